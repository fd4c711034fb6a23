"""An open log file: positional reads, an optional read-only mapping, and its identity.

Why both reads and a mapping. The mapping (mmap) lets the native kernels scan a file at memory
speed without copying it, and its bytes stay in the page cache, never in Python. But touching a
mapped page past the end of a file that was truncated meanwhile (``copytruncate`` log
rotation) kills the process with SIGBUS. So the view reads its visible lines with ``pread``
(a short read past the end is harmless), and scans use the mapping only while the file is at
rest; once it changes (it is being written, followed, truncated) scans read it in bounded chunks
with ``pread`` too. Both read the file that was opened (its descriptor), even after a rename.
"""

from __future__ import annotations

import contextlib
import errno
import getpass
import hashlib
import mmap
import os
import stat
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["FileIdentity", "LogFile", "LogOpenError", "open_error_message"]

HEAD_DIGEST_BYTES = 4096


class LogOpenError(OSError):
    """A log could not be opened; the message names the file and what to do."""


@dataclass(frozen=True, slots=True)
class FileIdentity:
    """Which file this is (device and inode): a rename keeps it, a new file does not."""

    device: int
    inode: int

    @classmethod
    def of(cls, st: os.stat_result) -> FileIdentity:
        return cls(st.st_dev, st.st_ino)


def open_error_message(path: Path, exc: OSError) -> str:
    """A sentence a user can act on for a log that cannot be opened."""
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM):
        return (f"{path}: permission denied: the studio runs as {_user()}, who may not read "
                "this file (check its owner and mode, e.g. with ls -l)")
    if isinstance(exc, FileNotFoundError):
        return f"{path}: no such file"
    if isinstance(exc, IsADirectoryError):
        return f"{path}: is a folder, not a log file"
    return f"{path}: cannot open: {exc.strerror or exc}"


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (containers)
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "this user"


class LogFile:
    """One opened file (by descriptor). Raises :class:`LogOpenError` with a clear message."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
        # O_NONBLOCK: opening a FIFO must not hang the view waiting for a writer.
        try:
            fd = os.open(self.path, flags | getattr(os, "O_NONBLOCK", 0))
        except OSError as exc:
            raise LogOpenError(exc.errno, open_error_message(self.path, exc)) from exc
        try:
            st = os.fstat(fd)
            if stat.S_ISDIR(st.st_mode):
                raise LogOpenError(errno.EISDIR, f"{self.path}: is a folder, not a log file")
            if not stat.S_ISREG(st.st_mode):
                raise LogOpenError(errno.EINVAL, f"{self.path}: not a regular file (a pipe, "
                                   "socket or device cannot be indexed)")
            if hasattr(os, "set_blocking"):
                os.set_blocking(fd, True)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        self.identity = FileIdentity.of(st)
        self._lock = threading.Lock()  # only for platforms without pread

    # -- facts ---------------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        return self._fd < 0

    def size(self) -> int:
        """The file's size now (of the opened file, even if it was renamed or deleted)."""
        return os.fstat(self._fd).st_size

    def links(self) -> int:
        """How many names the opened file has now: 0 once deleted, still 1 after a rename."""
        return os.fstat(self._fd).st_nlink

    @property
    def kernel_path(self) -> str:
        """A path naming the opened file itself, for kernels that open by path (Linux)."""
        candidate = f"/proc/self/fd/{self._fd}"
        return candidate if sys.platform.startswith("linux") and os.path.exists(candidate) \
            else str(self.path)

    def head_digest(self, length: int = HEAD_DIGEST_BYTES) -> bytes:
        """A hash of the first ``length`` bytes: tells a rewritten file from a grown one."""
        return hashlib.blake2b(self.read(0, length), digest_size=16).digest()

    # -- reading -------------------------------------------------------------------------
    def read(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes at ``offset`` (fewer at the end of the file; never a crash)."""
        if length <= 0 or offset < 0:
            return b""
        if hasattr(os, "pread"):
            chunks = []
            while length > 0:
                chunk = os.pread(self._fd, min(length, 1 << 30), offset)
                if not chunk:
                    break
                chunks.append(chunk)
                offset += len(chunk)
                length -= len(chunk)
            return b"".join(chunks)
        with self._lock:  # Windows: no pread
            os.lseek(self._fd, offset, os.SEEK_SET)
            return os.read(self._fd, length)

    def read_into(self, offset: int, buffer: np.ndarray) -> int:
        """Fill ``buffer`` (uint8) from ``offset``; return the bytes read."""
        if hasattr(os, "preadv"):
            total = 0
            view = memoryview(buffer)
            while total < len(view):
                got = os.preadv(self._fd, [view[total:]], offset + total)
                if got <= 0:
                    break
                total += got
            return total
        data = self.read(offset, len(buffer))
        buffer[: len(data)] = np.frombuffer(data, dtype=np.uint8)
        return len(data)

    @contextlib.contextmanager
    def scan_view(self, begin: int, end: int, *, mapped: bool) -> Iterator[np.ndarray]:
        """The bytes [begin, end) as a uint8 array for a kernel: a view of a mapping of just
        that range when ``mapped`` (the file is at rest), else a copy read with pread (safe
        while it changes). Callers keep ``end - begin`` bounded (a chunk): the mapping is
        dropped afterwards, so scanning a large file never keeps it resident in the process."""
        view = self._map_range(begin, end) if mapped and end > begin else None
        if view is not None:
            yield view
            return
        buffer = np.empty(max(end - begin, 0), dtype=np.uint8)
        got = self.read_into(begin, buffer) if end > begin else 0
        yield buffer[:got]

    def _map_range(self, begin: int, end: int) -> np.ndarray | None:
        """A read-only view of bytes [begin, end) through a fresh mapping (None if the file is
        shorter now, or the platform refuses). The mapping goes with the last view of it."""
        if self.size() < end:
            return None
        start = begin - begin % mmap.ALLOCATIONGRANULARITY
        try:
            mapping = mmap.mmap(self._fd, end - start, access=mmap.ACCESS_READ, offset=start)
        except (OSError, ValueError):
            return None
        if hasattr(mapping, "madvise") and hasattr(mmap, "MADV_SEQUENTIAL"):
            with contextlib.suppress(OSError):
                mapping.madvise(mmap.MADV_SEQUENTIAL)
        return np.frombuffer(mapping, dtype=np.uint8)[begin - start:]

    def close(self) -> None:
        """Close the descriptor; mappings still viewed by a running scan stay valid until then."""
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> LogFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
