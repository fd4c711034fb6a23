"""Encodings: UTF-8 is read in place; UTF-16 (by its BOM) through a UTF-8 copy.

Every kernel (line index, search, levels) works on UTF-8 bytes. A UTF-16 log (PowerShell's
``>`` on Windows writes one) is therefore transcoded, incrementally and in the background, into
a UTF-8 file in the studio's cache folder, which is then indexed and searched like any other
log; only the bytes added since the last sync are read, so following it stays cheap. The copy
is deleted when the log is closed. Invalid UTF-16 (a lone surrogate) becomes U+FFFD.
"""

from __future__ import annotations

import codecs
import contextlib
import itertools
import os
from pathlib import Path

from studio.plugins.logs.source import LogFile

__all__ = ["UTF16_BOMS", "Utf16Transcoder", "detect_encoding"]

UTF16_BOMS = {codecs.BOM_UTF16_LE: "utf-16-le", codecs.BOM_UTF16_BE: "utf-16-be"}
_CHUNK = 1 << 20
_names = itertools.count()


def detect_encoding(head: bytes) -> str:
    """``"utf-16-le"``/``"utf-16-be"`` for a UTF-16 BOM, else ``"utf-8"`` (lenient)."""
    for bom, name in UTF16_BOMS.items():
        if head.startswith(bom) and not head.startswith(codecs.BOM_UTF32_LE):
            return name
    return "utf-8"


class Utf16Transcoder:
    """Keeps a UTF-8 copy of a UTF-16 file (read from ``raw``) in ``cache_dir`` up to date."""

    def __init__(self, raw: LogFile, encoding: str, cache_dir: Path) -> None:
        self.raw = raw
        self.encoding = encoding
        cache_dir.mkdir(parents=True, exist_ok=True)
        # A fresh name per copy: a copy being scanned is never truncated under a mapping.
        self.target = cache_dir / f"{os.getpid()}-{next(_names)}-{raw.path.name}.utf8"
        self._out = open(self.target, "wb")  # noqa: SIM115 - kept open while the log is open
        self._decoder = codecs.getincrementaldecoder(encoding)("replace")
        self.consumed = 2  # past the BOM

    def sync(self, limit: int | None = None) -> bool:
        """Transcode what was appended to the raw file (at most ``limit`` raw bytes).

        Returns True when the copy is up to date.
        """
        end = self.raw.size()
        if limit is not None:
            end = min(end, self.consumed + limit)
        while self.consumed < end:
            data = self.raw.read(self.consumed, min(_CHUNK, end - self.consumed))
            if not data:
                break
            self.consumed += len(data)
            self._out.write(self._decoder.decode(data).encode("utf-8", "replace"))
        self._out.flush()
        return self.consumed >= self.raw.size()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._out.close()
        with contextlib.suppress(OSError):
            self.target.unlink()
