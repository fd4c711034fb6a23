"""Read-only pages of a text file too big to edit (a 100 MB JSONL, a 10 GB log).

Nothing is loaded whole. The first page comes straight from the first bytes, before any index
exists; the line index (newline offsets, built by the native kernel with positional reads) is
made in slices so a job can report progress and be cancelled, and pages after the first are
cut from it. Very long lines are clipped for display, with a note.
"""

from __future__ import annotations

import mmap
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.api import NULL_CONTEXT, JobContext, native

__all__ = ["PAGE_LINES", "Page", "PageHit", "PagedText"]

PAGE_LINES = 2000
MAX_LINE_CHARS = 20_000  # longer lines are clipped in the pager (the file is untouched)
FIRST_PAGE_BYTES = 4 * 1024 * 1024
INDEX_SLICE = 256 * 1024 * 1024


@dataclass(frozen=True)
class Page:
    number: int  # 0-based
    first_line: int  # 0-based line number of the page's first line
    text: str
    clipped_lines: int = 0


@dataclass(frozen=True)
class PageHit:
    line: int  # 0-based
    column: int  # 0-based, in characters of the (unclipped) line
    length: int


def _clip(line: str) -> tuple[str, bool]:
    if len(line) <= MAX_LINE_CHARS:
        return line, False
    hidden = len(line) - MAX_LINE_CHARS
    return f"{line[:MAX_LINE_CHARS]} … [{hidden} more characters not shown]", True


class PagedText:
    """Pages of ``PAGE_LINES`` lines of one file (read-only)."""

    def __init__(self, path: str | os.PathLike[str], page_lines: int = PAGE_LINES) -> None:
        self.path = Path(path)
        self.page_lines = page_lines
        self.size = self.path.stat().st_size
        self._newlines = np.zeros(0, dtype=np.int64)
        self.indexed = False

    # -- the index --------------------------------------------------------------------------
    def build_index(self, ctx: JobContext = NULL_CONTEXT) -> int:
        """Index the file's lines (in slices: progress and cancel between them); line count."""
        size, done, parts = self.size, 0, []
        while done < size:
            ctx.raise_if_cancelled()
            end = min(size, done + INDEX_SLICE)
            parts.append(native.newline_offsets_file(self.path, done, end))
            done = end
            ctx.report(done / size, f"Indexing lines: {done >> 20} of {size >> 20} MiB")
        self._newlines = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        self.indexed = True
        return self.line_count or 0

    @property
    def line_count(self) -> int | None:
        if not self.indexed:
            return None
        nl = self._newlines
        last_end = int(nl[-1]) + 1 if len(nl) else 0
        return len(nl) + (1 if self.size > last_end else 0)

    @property
    def page_count(self) -> int | None:
        lines = self.line_count
        if lines is None:
            return None
        return max(1, -(-lines // self.page_lines))

    def line_bounds(self, first: int, count: int) -> tuple[np.ndarray, np.ndarray]:
        """Byte ranges [begin, end) of lines first..first+count-1 (clipped), without \\n."""
        stop = min(first + count, self.line_count or 0)
        if first >= stop:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty.copy()
        nl = self._newlines
        lines = np.arange(first, stop)
        begins = np.where(lines == 0, 0, nl[np.maximum(lines - 1, 0)] + 1)
        ends = np.where(lines < len(nl), nl[np.minimum(lines, max(len(nl) - 1, 0))], self.size)
        return begins.astype(np.int64), ends.astype(np.int64)

    # -- pages ------------------------------------------------------------------------------
    def first_page(self) -> Page:
        """Page 0 from the file's first bytes (no index needed: the first screen at once)."""
        with open(self.path, "rb") as handle:
            data = handle.read(FIRST_PAGE_BYTES)
        lines = data.split(b"\n")
        if len(data) == FIRST_PAGE_BYTES and len(lines) > 1:
            lines = lines[:-1]  # the last one may be cut in the middle
        elif lines and not lines[-1]:
            lines = lines[:-1]  # the file's final newline ends the last line
        return self._page(0, 0, lines[: self.page_lines])

    def page(self, number: int) -> Page:
        """Page ``number`` (needs the index, except page 0)."""
        if number == 0 and not self.indexed:
            return self.first_page()
        if not self.indexed:
            raise RuntimeError("the line index is not built yet")
        number = max(0, min(number, (self.page_count or 1) - 1))
        first = number * self.page_lines
        begins, ends = self.line_bounds(first, self.page_lines)
        if not len(begins):
            return Page(number, first, "")
        start, stop = int(begins[0]), int(ends[-1])
        with open(self.path, "rb") as handle:
            handle.seek(start)
            blob = handle.read(stop - start)
        lines = [blob[int(b) - start:int(e) - start] for b, e in zip(begins, ends, strict=True)]
        return self._page(number, first, lines)

    def _page(self, number: int, first: int, raw: list[bytes]) -> Page:
        clipped = 0
        shown = []
        for item in raw:
            line, cut = _clip(item.decode("utf-8", errors="replace").rstrip("\r"))
            clipped += cut
            shown.append(line)
        return Page(number, first, "\n".join(shown), clipped)

    def page_of_line(self, line: int) -> int:
        return max(0, line) // self.page_lines

    # -- search -----------------------------------------------------------------------------
    def find(self, pattern: str, *, regex: bool = False, case_sensitive: bool = True,
             limit: int = 10_000, ctx: JobContext = NULL_CONTEXT) -> list[PageHit]:
        """The first match of every line matching ``pattern`` (native search over a map)."""
        if not self.indexed:
            self.build_index(ctx)
        lines = self.line_count or 0
        if not lines:
            return []
        search = native.LineSearch(pattern, regex=regex, ignore_case=not case_sensitive)
        hits: list[PageHit] = []
        begins_all = self.line_bounds(0, lines)[0]
        with open(self.path, "rb") as handle, mmap.mmap(handle.fileno(), 0,
                                                       access=mmap.ACCESS_READ) as view:
            first = 0
            while first < lines and len(hits) < limit:
                ctx.raise_if_cancelled()
                # a slice of whole lines starting near every INDEX_SLICE bytes
                stop = int(begins_all.searchsorted(int(begins_all[first]) + INDEX_SLICE))
                stop = max(stop, first + 1)
                hits += self._find_lines(search, view, first, stop)
                first = stop
                ctx.report(first / lines, f"Searching: {len(hits)} matching lines")
        return hits[:limit]

    def _find_lines(self, search: native.LineSearch, view: mmap.mmap, first: int, stop: int
                    ) -> list[PageHit]:
        begins, ends = self.line_bounds(first, stop - first)
        lo, hi = int(begins[0]), int(ends[-1])
        chunk = memoryview(view)[lo:hi]
        try:
            matching = search.matching_lines(chunk)
            if not len(matching):
                return []
            which, match_b, match_e = search.spans(chunk, begins[matching] - lo,
                                                   ends[matching] - lo)
            first_span: dict[int, tuple[int, int]] = {}
            for w, b, e in zip(which.tolist(), match_b.tolist(), match_e.tolist(), strict=True):
                first_span.setdefault(w, (b, e))
            hits = []
            for position, index in enumerate(matching.tolist()):
                line_start = int(begins[index]) - lo
                b, e = first_span.get(position, (line_start, line_start))
                column = len(bytes(chunk[line_start:b]).decode("utf-8", "replace"))
                length = len(bytes(chunk[b:e]).decode("utf-8", "replace"))
                hits.append(PageHit(first + index, column, length))
            return hits
        finally:
            chunk.release()
