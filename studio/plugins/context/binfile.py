"""Binary files of any size: memory-mapped reads, byte search, value decoding, edit copies.

Nothing is read whole: :class:`BinaryFile` maps the file read-only and the hex view asks for the
few hundred bytes on screen. Search runs over the map in slices (progress and cancel between
them, an overlap so a match across a slice edge is found). Editing never touches the file:
:func:`make_edit_copy` copies it (a job) and only the copy is mapped writable.
"""

from __future__ import annotations

import mmap
import os
import re
import struct
from dataclasses import dataclass
from pathlib import Path

from studio.api import NULL_CONTEXT, JobCancelled, JobContext

__all__ = [
    "BinaryFile",
    "DecodedValue",
    "decode_values",
    "find_bytes",
    "make_edit_copy",
    "parse_needle",
]

SEARCH_SLICE = 64 * 1024 * 1024
COPY_CHUNK = 8 * 1024 * 1024


class BinaryFile:
    """A read-only (or, for an edit copy, writable) memory map of one file."""

    def __init__(self, path: str | os.PathLike[str], *, writable: bool = False) -> None:
        self.path = Path(path)
        self.writable = writable
        self._handle = open(self.path, "r+b" if writable else "rb")  # noqa: SIM115 - kept open
        self.size = os.fstat(self._handle.fileno()).st_size
        access = mmap.ACCESS_WRITE if writable else mmap.ACCESS_READ
        self._map = mmap.mmap(self._handle.fileno(), 0, access=access) if self.size else None

    def read(self, offset: int, count: int) -> bytes:
        """Up to ``count`` bytes from ``offset`` (fewer at the end of the file)."""
        if self._map is None or offset >= self.size or count <= 0:
            return b""
        offset = max(0, offset)
        return self._map[offset:min(self.size, offset + count)]

    def write(self, offset: int, data: bytes) -> None:
        """Overwrite bytes of an edit copy in place (the size never changes)."""
        if not self.writable or self._map is None:
            raise PermissionError(f"{self.path} is open read-only; edit a copy instead")
        if offset < 0 or offset + len(data) > self.size:
            raise ValueError(f"write of {len(data)} bytes at {offset} is outside the file "
                             f"({self.size} bytes)")
        self._map[offset:offset + len(data)] = data

    def flush(self) -> None:
        if self._map is not None and self.writable:
            self._map.flush()

    @property
    def view(self) -> mmap.mmap | None:
        return self._map

    def close(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None
        self._handle.close()

    def __enter__(self) -> BinaryFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- values ----------------------------------------------------------------------------------

_FORMATS = (
    ("int8", "b", 1), ("uint8", "B", 1), ("int16", "h", 2), ("uint16", "H", 2),
    ("int32", "i", 4), ("uint32", "I", 4), ("int64", "q", 8), ("uint64", "Q", 8),
    ("float16", "e", 2), ("bfloat16", "bf16", 2), ("float32", "f", 4), ("float64", "d", 8),
)  # fmt: skip


@dataclass(frozen=True)
class DecodedValue:
    type: str
    size: int
    little: int | float | None  # None: not enough bytes selected
    big: int | float | None


def _unpack(code: str, size: int, data: bytes, order: str) -> int | float:
    chunk = data[:size]
    if code == "bf16":  # bfloat16 = the upper half of a float32
        raw = chunk if order == "<" else chunk[::-1]
        return struct.unpack("<f", b"\0\0" + raw)[0]
    return struct.unpack(order + code, chunk)[0]


def decode_values(data: bytes) -> list[DecodedValue]:
    """The first bytes of ``data`` as every integer and float width, little and big endian."""
    values = []
    for name, code, size in _FORMATS:
        if len(data) < size:
            values.append(DecodedValue(name, size, None, None))
            continue
        values.append(DecodedValue(name, size, _unpack(code, size, data, "<"),
                                   _unpack(code, size, data, ">")))
    return values


# -- search ----------------------------------------------------------------------------------

_HEX_PAIR = re.compile(r"^(?:[0-9a-fA-F]{2})+$")


def parse_needle(text: str, mode: str) -> bytes:
    """What to search for: ``mode`` "hex" ("47 47 55 46", "0x4747") or "text" (UTF-8)."""
    if mode == "text":
        if not text:
            raise ValueError("type some text to search for")
        return text.encode("utf-8")
    compact = re.sub(r"0x|[\s,:]", "", text)
    if not compact or not _HEX_PAIR.match(compact):
        raise ValueError(f"{text!r} is not a byte sequence in hex (e.g. 47 47 55 46)")
    return bytes.fromhex(compact)


def find_bytes(view: mmap.mmap | bytes, needle: bytes, start: int = 0, *,
               backwards: bool = False, ctx: JobContext = NULL_CONTEXT) -> int:
    """Offset of the next (or previous) ``needle`` from ``start``; -1 when there is none.

    Scans in slices of ``SEARCH_SLICE`` bytes overlapping by ``len(needle) - 1``, reporting
    progress and checking for cancellation between slices.
    """
    size = len(view)
    if not needle or size == 0:
        return -1
    overlap = len(needle) - 1
    if not backwards:
        position = max(0, start)
        total = max(1, size - position)
        begin = position
        while position < size:
            ctx.raise_if_cancelled()
            end = min(size, position + SEARCH_SLICE + overlap)
            found = view.find(needle, position, end)
            if found >= 0:
                return found
            position += SEARCH_SLICE
            ctx.report(min(1.0, (position - begin) / total), f"Searched {position >> 20} MiB")
        return -1
    position = min(size, start)  # a match must end at or before ``start``
    total = max(1, position)
    begin = position
    while position > 0:
        ctx.raise_if_cancelled()
        low = max(0, position - SEARCH_SLICE - overlap)
        found = view.rfind(needle, low, position)
        if found >= 0:
            return found
        position -= SEARCH_SLICE
        ctx.report(min(1.0, (begin - position) / total), "Searching backwards")
    return -1


# -- editing on a copy -----------------------------------------------------------------------

def make_edit_copy(source: str | os.PathLike[str], target: str | os.PathLike[str],
                   ctx: JobContext = NULL_CONTEXT) -> Path:
    """Copy ``source`` to ``target`` for byte editing (a job: progress, cancel).

    The copy is written as ``target.partial`` and renamed when complete; after a failure or a
    cancel nothing is left at ``target``. An existing ``target`` is refused.
    """
    source, target = Path(source), Path(target)
    if target.exists():
        raise FileExistsError(f"{target} exists; choose another name for the copy")
    if target.resolve() == source.resolve():
        raise ValueError("the edit copy must be a different file from the original")
    partial = target.with_name(target.name + ".partial")
    size = source.stat().st_size
    done = 0
    try:
        with open(source, "rb") as src, open(partial, "wb") as dst:
            while chunk := src.read(COPY_CHUNK):
                ctx.raise_if_cancelled()
                if chunk.count(0) == len(chunk):
                    dst.seek(len(chunk), os.SEEK_CUR)  # keep a sparse file sparse
                else:
                    dst.write(chunk)
                done += len(chunk)
                ctx.report(done / size if size else 1.0, f"Copied {done >> 20} MiB")
            dst.truncate(done)
            dst.flush()
            os.fsync(dst.fileno())
        os.replace(partial, target)
    except (OSError, JobCancelled):
        partial.unlink(missing_ok=True)
        raise
    return target
