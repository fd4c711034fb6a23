"""Read only what was appended to a file since the last call.

Every live reader (JSONL stream, logs, metrics.csv, TensorBoard events) sits on a
:class:`FileTail`. It remembers the offset it consumed and the file's identity; a file that
shrank or was replaced (a new inode, a rotated log, a re-created metrics file) is reported as a
reset so the reader starts over instead of mixing two files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from studio.plugins.training.readers.base import ReadResult
from studio.plugins.training.series import ColumnBuilder

__all__ = ["FileTail", "RecordReader", "TailChunk", "split_records"]

MAX_CHUNK = 64 << 20  # never pull more than this in one refresh; the rest comes next time


@dataclass(frozen=True, slots=True)
class TailChunk:
    data: bytes
    reset: bool  # True: the file was replaced or truncated; data starts at offset 0
    mtime: float | None  # the file's mtime (local clock of the file server) or None if missing


class FileTail:
    """Incremental reader of one file: :meth:`read` returns the bytes appended since last time."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.offset = 0
        self._identity: tuple[int, int] | None = None
        self._signature: tuple[int, int] | None = None  # (mtime_ns, size) when last read
        self.bytes_read = 0  # total, for tests and benchmarks

    def unchanged(self) -> bool:
        """True when the file's size and mtime are what we saw last time (nothing to read)."""
        try:
            st = os.stat(self.path)
        except OSError:
            return self._signature is None
        return self._signature == (st.st_mtime_ns, st.st_size)

    def read(self) -> TailChunk:
        try:
            handle = open(self.path, "rb")  # noqa: SIM115 - closed below, fstat needs the handle
        except FileNotFoundError:
            reset = self._identity is not None
            self.offset, self._identity, self._signature = 0, None, None
            return TailChunk(b"", reset, None)
        with handle:
            st = os.fstat(handle.fileno())
            identity = (st.st_dev, st.st_ino)
            reset = False
            if self._identity is not None and (identity != self._identity
                                               or st.st_size < self.offset):
                reset = True
                self.offset = 0
            self._identity = identity
            self._signature = (st.st_mtime_ns, st.st_size)
            if st.st_size <= self.offset:
                return TailChunk(b"", reset, st.st_mtime)
            handle.seek(self.offset)
            data = handle.read(min(st.st_size - self.offset, MAX_CHUNK))
        self.offset += len(data)
        self.bytes_read += len(data)
        if len(data) == MAX_CHUNK:
            self._signature = None  # more remains: the next refresh must read again
        return TailChunk(data, reset, st.st_mtime)


def split_records(pending: bytes, data: bytes, separators: bytes = b"\n"
                  ) -> tuple[list[bytes], bytes]:
    """Split ``pending + data`` into complete records and the unterminated rest.

    ``separators`` may hold several single-byte separators (``b"\\r\\n"`` splits tqdm's
    carriage-return refreshes too); empty records are dropped.
    """
    buffer = pending + data
    if len(separators) == 1:
        parts = buffer.split(separators)
    else:
        first, *others = separators
        for other in others:
            buffer = buffer.replace(bytes([other]), bytes([first]))
        parts = buffer.split(bytes([first]))
    rest = parts.pop()
    return [part for part in parts if part.strip()], rest


class RecordReader:
    """Base of the line-oriented readers (JSONL stream, logs, metrics.csv).

    ``read()`` takes the appended bytes, splits complete records on ``separators`` (an
    unterminated last record waits for the next refresh), and hands them to :meth:`parse`.
    A replaced or truncated file calls :meth:`restart` and flags the result ``reset``.
    """

    separators = b"\n"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._tail = FileTail(self.path)
        self._pending = b""

    @property
    def bytes_read(self) -> int:
        return self._tail.bytes_read

    def read(self) -> ReadResult:
        if self._tail.unchanged():
            return ReadResult()
        result = ReadResult()
        if self.must_restart():
            self._tail.offset = 0
            result.reset = True
        chunk = self._tail.read()
        result.last_update, result.bytes_read = chunk.mtime, len(chunk.data)
        if chunk.reset or result.reset:
            result.reset = True
            self._pending = b""
            self.restart()
        records, self._pending = split_records(self._pending, chunk.data, self.separators)
        columns = ColumnBuilder()
        self.parse(records, columns, result)
        result.columns = columns.build()
        return result

    def must_restart(self) -> bool:
        """True when the file was rewritten in place (a subclass can tell); read it again."""
        return False

    def restart(self) -> None:
        """Forget what was parsed: the file starts over."""

    def parse(self, records: list[bytes], columns: ColumnBuilder, result: ReadResult) -> None:
        raise NotImplementedError
