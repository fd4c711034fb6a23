"""Search and filter a log: literal or regex, case, whole word, levels; chunked, cancellable.

The native kernel (``native.LineSearch``: a SIMD literal prefilter, PCRE2 only on candidate
lines) scans the file chunk by chunk behind the line index, so a search can start while a big
file is still being indexed and reports progress between chunks; cancelling stops at the next
chunk. Levels are taken from the document when already classified, else classified from the
very chunk being searched. Results are line numbers (int64, ascending), which is all the
highlight, next/previous, count and the filter view need.

A query that only names levels (no pattern) is a level filter.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from studio.api import NULL_CONTEXT, JobContext, native
from studio.plugins.logs.document import Generation, LogDocument
from studio.plugins.logs.query import SearchError, SearchQuery
from studio.plugins.logs.render import DISPLAY_CAP_BYTES, RenderedLine, display_width

__all__ = ["SearchError", "SearchQuery", "SearchResult", "search_document", "visible_spans"]


@dataclass
class SearchResult:
    """Matching lines of one generation of a document; grows while the search runs."""

    query: SearchQuery
    generation: int
    scanned_lines: int = 0  # lines 0..scanned_lines-1 are searched (terminated lines only)
    complete: bool = False
    _parts: list[np.ndarray] = field(default_factory=list)
    _lines: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def lines(self) -> np.ndarray:
        """Ascending line numbers of every match found so far."""
        with self._lock:
            if self._parts:
                self._lines = np.concatenate([self._lines, *self._parts])
                self._parts.clear()
            return self._lines

    @property
    def count(self) -> int:
        return int(self.lines.size)

    def add(self, found: np.ndarray, scanned_to: int) -> None:
        with self._lock:
            if found.size:
                self._parts.append(found)
            self.scanned_lines = scanned_to

    def drop_from(self, line: int) -> None:
        """Forget matches at or after ``line`` (the growing last line is searched again)."""
        lines = self.lines
        with self._lock:
            self._lines = lines[: int(np.searchsorted(lines, line))]
            self.scanned_lines = min(self.scanned_lines, line)

    def next_after(self, line: int, *, wrap: bool = True) -> int | None:
        lines = self.lines
        if not lines.size:
            return None
        at = int(np.searchsorted(lines, line, side="right"))
        return int(lines[at]) if at < lines.size else (int(lines[0]) if wrap else None)

    def previous_before(self, line: int, *, wrap: bool = True) -> int | None:
        lines = self.lines
        if not lines.size:
            return None
        at = int(np.searchsorted(lines, line, side="left")) - 1
        return int(lines[at]) if at >= 0 else (int(lines[-1]) if wrap else None)

    def rank_of(self, line: int) -> int:
        """How many matches lie before ``line`` (the "n of N" position)."""
        return int(np.searchsorted(self.lines, line, side="left"))


def search_document(doc: LogDocument, query: SearchQuery, ctx: JobContext = NULL_CONTEXT,
                    result: SearchResult | None = None) -> SearchResult:
    """Search ``doc`` (or continue ``result`` over lines added since); a job body.

    Waits for the index while a load is running, so matches stream in behind it.
    """
    searcher = query.compile()
    gen = doc.current
    if result is None or result.generation != gen.number:
        result = SearchResult(query, gen.number)
    else:
        result.drop_from(result.scanned_lines)  # the last line may have grown since
    result.complete = False
    scan = _Scan(doc, gen, searcher, query)
    while not doc.closed and gen is doc.current:
        terminated = gen.index.newline_count
        first = result.scanned_lines
        if first < terminated:
            stop = _chunk_stop(gen, first)
            result.add(scan.matches(first, stop), stop)
            ctx.report(_fraction(doc, gen, stop), f"{result.count:,} matches")
            ctx.raise_if_cancelled()
            continue
        if doc.loading and not gen.complete:
            ctx.wait(0.02)  # the index is behind: let it go ahead
            ctx.raise_if_cancelled()
            continue
        if gen.line_count > terminated:  # a last line without newline: search it, not "done"
            last = terminated
            result.add(scan.matches(last, last + 1), last)
        break
    result.complete = True
    return result


def _fraction(doc: LogDocument, gen: Generation, line: int) -> float:
    total = gen.line_count if gen.complete else max(gen.line_count, 1) / max(doc.progress(), 1e-6)
    return min(1.0, line / max(total, 1))


def _chunk_stop(gen: Generation, first: int) -> int:
    """The line after the last whole line starting within one chunk of bytes from ``first``."""
    stop = gen.index.line_of_offset(gen.index.line_start(first) + gen.scan_chunk)
    return min(max(stop, first + 1), gen.index.newline_count)


@dataclass
class _Scan:
    """One search's state while it walks a document chunk by chunk."""

    doc: LogDocument
    gen: Generation
    searcher: native.LineSearch | None
    query: SearchQuery
    carry: int = 0  # level of the line before the chunk: continuation lines inherit it

    def matches(self, first: int, stop: int) -> np.ndarray:
        """Absolute numbers of the matching lines among [first, stop)."""
        index = self.gen.index
        begin = index.line_start(first)
        end = (index.newline_at(stop - 1) + 1 if stop <= index.newline_count
               else index.indexed_bytes)
        with self.gen.chunk(begin, end) as view:
            if self.searcher is not None:
                hits = self.searcher.matching_lines(view)
                hits = hits[hits < stop - first]  # a copy shorter than asked never overflows
            else:
                hits = np.arange(stop - first, dtype=np.int64)
            if self.query.levels and hits.size:
                wanted = np.fromiter(self.query.levels, dtype=np.uint8)
                hits = hits[np.isin(self._levels(view, stop - first)[hits], wanted)]
        return hits + first

    def _levels(self, view: np.ndarray, count: int) -> np.ndarray:
        """Level codes of the ``count`` lines of the chunk being searched."""
        codes = np.zeros(count, dtype=np.uint8)
        found = self.doc.classify(view)
        codes[: min(found.size, count)] = found[:count]
        if self.doc.format.level_inherit and count and codes[0] == 0:
            named = np.flatnonzero(codes)
            codes[: named[0] if named.size else count] = self.carry
        if count:
            self.carry = int(codes[-1])
        return codes


def visible_spans(doc: LogDocument, searcher: native.LineSearch,
                  rows: list[tuple[int, RenderedLine]], gen: Generation | None = None
                  ) -> dict[int, list[tuple[int, int]]]:
    """Display columns [start, end) of the matches in the given visible lines, by line."""
    gen = gen or doc.current
    segments, begins, ends, owners = [], [], [], []
    offset = 0
    for line, rendered in rows:
        if not rendered.text:
            continue
        raw = doc.raw_line(line, rendered.start + DISPLAY_CAP_BYTES, gen)[rendered.start:]
        segments.append(raw)
        begins.append(offset)
        ends.append(offset + len(raw))
        owners.append((line, raw))
        offset += len(raw) + 1
    if not segments:
        return {}
    data = b"\n".join(segments)
    which, starts, stops = searcher.spans(data, np.asarray(begins, dtype=np.int64),
                                          np.asarray(ends, dtype=np.int64))
    spans: dict[int, list[tuple[int, int]]] = {}
    for row, start, stop in zip(which.tolist(), starts.tolist(), stops.tolist(), strict=True):
        line, raw = owners[row]
        local_start, local_stop = start - begins[row], stop - begins[row]
        column = display_width(raw[:local_start])
        spans.setdefault(line, []).append(
            (column, column + max(display_width(raw[local_start:local_stop]), 1)))
    return spans
