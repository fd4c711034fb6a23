"""A compact line index: 4 bytes per line, for files of any size.

The native kernel finds newlines (``native.newline_offsets_file``: positional reads) and
returns int64 offsets for one chunk at a time; this index keeps only their low 32 bits
(``uint32``) plus, for files beyond 4 GiB, the few line numbers where the high bits step up.
That halves the memory of an int64 index (a 1 GB log of 10 M lines: 41 MB instead of 82 MB),
which is what keeps the viewer's whole process under a quarter of lnav's memory.

Growth: capacity is reserved from an estimate and grown with ``ndarray.resize`` (``realloc``,
so no second copy is alive) when no view of the offsets exists; otherwise by copying.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence

import numpy as np

from studio.api import native

__all__ = ["INDEX_THREADS", "LineIndex"]

# Every core: the index is read with small positional reads (64 KiB, cache-resident), which
# scale with threads (1 GB: 0.35 s on one thread, 0.20 s on both cores of the 2-core VM, where
# `wc -l` takes 0.24 s). The GUI thread stays responsive because it mostly sleeps and the
# scheduler favours a waking sleeper. (Through a mapping, a second thread had made the load
# slower: page faults serialise; see docs/performance.md.)
INDEX_THREADS = max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                    else (os.cpu_count() or 1))


class LineIndex:
    """Newline offsets of a growing file; the same conventions as ``native.LineIndex``.

    Lines end at ``\\n``; a final segment without one is a line when it is not empty.
    """

    def __init__(self) -> None:
        self._low = np.zeros(0, dtype=np.uint32)
        self._count = 0  # newlines stored
        self._size = 0  # bytes indexed
        self._wraps: list[int] = []  # wraps[k]: first newline at or beyond (k + 1) * 2**32
        self._last_end = 0  # just after the last newline (where the last line starts)

    # -- facts ---------------------------------------------------------------------------
    @property
    def indexed_bytes(self) -> int:
        return self._size

    @property
    def newline_count(self) -> int:
        """Lines that end with a newline."""
        return self._count

    @property
    def line_count(self) -> int:
        return self._count + (1 if self._size > self._last_end else 0)

    @property
    def nbytes(self) -> int:
        return int(self._low.nbytes) + 8 * len(self._wraps)

    # -- growing -------------------------------------------------------------------------
    def update_from_file(self, path: str | os.PathLike[str], end: int) -> int:
        """Index bytes [indexed_bytes, end) of the file at ``path`` (positional reads)."""
        if end <= self._size:
            return 0
        found = native.newline_offsets_file(path, self._size, end, threads=INDEX_THREADS)
        # The kernel stops where the file ends: a file that shrank since ``end`` was taken
        # (copytruncate) is indexed as far as it goes, never past it, and the follower then
        # starts a new generation (as it does for a file gone meanwhile, on platforms that
        # index by path rather than /proc/self/fd).
        with contextlib.suppress(OSError):
            end = min(end, os.stat(path).st_size)
        if found.size and int(found[-1]) >= end:
            found = found[: int(np.searchsorted(found, end))]
        return self._add(found, max(end, self._size))

    def _add(self, found: np.ndarray, end: int) -> int:
        before = self.line_count
        self._append(found)
        self._size = end
        return self.line_count - before

    def _append(self, found: np.ndarray) -> None:
        needed = self._count + found.size
        if needed > self._low.size:
            self.reserve(max(needed, self._low.size * 3 // 2, 1024))
        if found.size and int(found[-1]) >> 32 > len(self._wraps):  # crossing 4 GiB
            high = found >> 32
            base = len(self._wraps)
            for step in range(int(high[-1]) - base):
                first = int(np.searchsorted(high, base + step + 1))
                self._wraps.append(self._count + first)
        self._low[self._count:needed] = found  # the low 32 bits (an unsafe cast truncates)
        self._count = needed
        if found.size:
            self._last_end = int(found[-1]) + 1

    def reserve(self, lines: int) -> None:
        """Make room for ``lines`` newlines (from an estimate: no regrowth while loading)."""
        if lines <= self._low.size:
            return
        if self._count * 4 < lines:
            # Mostly new room (the load's reserve after opening): a fresh block whose pages
            # the OS supplies as the kernel fills them. ndarray.resize would zero all of it
            # first (~60 ms for a 1 GB log's 43 MB, a sixth of its whole index time).
            self._low = self._copied_into(np.empty(lines, dtype=np.uint32))
            return
        try:
            self._low.resize(lines, refcheck=True)  # realloc: the old block is not kept
        except ValueError:  # a view of the offsets is alive: copy instead
            self._low = self._copied_into(np.empty(lines, dtype=np.uint32))

    def _copied_into(self, grown: np.ndarray) -> np.ndarray:
        grown[: self._count] = self._low[: self._count]
        return grown

    def shrink_to_fit(self) -> None:
        if self._low.size == self._count:
            return
        try:
            self._low.resize(self._count, refcheck=True)
        except ValueError:
            self._low = self._low[: self._count].copy()

    # -- reading -------------------------------------------------------------------------
    def _high(self, lines: np.ndarray) -> np.ndarray:
        """The 4 GiB segment of each newline number."""
        if not self._wraps:
            return np.zeros(lines.shape, dtype=np.int64)
        return np.searchsorted(np.asarray(self._wraps), lines, side="right").astype(np.int64)

    def newlines_at(self, lines: np.ndarray | Sequence[int]) -> np.ndarray:
        """Offsets (int64) of the given newlines (0 <= line < newline_count)."""
        lines = np.asarray(lines, dtype=np.int64)
        return self._low[lines].astype(np.int64) + (self._high(lines) << 32)

    def newline_at(self, line: int) -> int:
        return int(self.newlines_at([line])[0])

    def line_of_offset(self, offset: int) -> int:
        """The line holding byte ``offset`` (the number of newlines before it)."""
        segment = offset >> 32
        start = self._wraps[segment - 1] if 0 < segment <= len(self._wraps) else (
            0 if segment == 0 else self._count)
        stop = self._wraps[segment] if segment < len(self._wraps) else self._count
        # The key as uint32: a Python int would make NumPy cast the whole array to int64 first.
        key = np.uint32(offset & 0xFFFFFFFF)
        return start + int(np.searchsorted(self._low[start:stop], key))

    def bounds_of(self, lines: np.ndarray | Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Byte ranges [begin, end) of the given lines (without their ``\\n``)."""
        lines = np.asarray(lines, dtype=np.int64)
        if lines.size and (int(lines.min()) < 0 or int(lines.max()) >= self.line_count):
            raise ValueError(f"line numbers must be in [0, {self.line_count})")
        begins = np.zeros(lines.size, dtype=np.int64)
        later = lines > 0
        begins[later] = self.newlines_at(lines[later] - 1) + 1
        ends = np.full(lines.size, self._size, dtype=np.int64)
        terminated = lines < self._count
        ends[terminated] = self.newlines_at(lines[terminated])
        return begins, ends

    def line_bounds(self, first: int, count: int) -> tuple[np.ndarray, np.ndarray]:
        """Byte ranges of lines ``first`` … ``first + count - 1`` (clipped to the index)."""
        stop = min(first + count, self.line_count)
        return self.bounds_of(np.arange(max(first, 0), max(stop, first), dtype=np.int64))

    def line_start(self, line: int) -> int:
        return 0 if line <= 0 else self.newline_at(line - 1) + 1
