"""What a log viewport has read: rendered lines, their levels and match columns.

Rows are read from the document in batches (one ``pread`` and one level call per run of
consecutive lines) and kept per line, so scrolling by a line reads one line. The cache belongs
to one generation of the document (a truncation or rotation empties it) and never keeps a line
that may still grow (the last one, before its newline).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from studio.plugins.logs.document import LogDocument
from studio.plugins.logs.render import RenderedLine
from studio.plugins.logs.structure import TracebackBlock, traceback_blocks

if TYPE_CHECKING:
    from studio.plugins.logs.widgets.rows_painter import ViewRow

__all__ = ["RowCache"]

CACHE_LIMIT = 20_000  # lines kept (a long scroll drops them all and starts again)
TRACEBACK_LOOKBACK = 200  # lines above the screen searched for the start of a traceback

Entry = tuple[RenderedLine, int]  # the rendering and the level code


class RowCache:
    def __init__(self, doc: LogDocument) -> None:
        self.doc = doc
        self._entries: dict[int, Entry] = {}
        self._spans: dict[int, list[tuple[int, int]]] = {}
        self._generation = doc.generation
        self._partial: int | None = None  # a cached line without its newline yet

    def sync(self) -> bool:
        """Forget what the file changed: everything after a restart (returns True then), else
        only the line that may have grown."""
        if self.doc.generation != self._generation:
            self.clear()
            self._generation = self.doc.generation
            return True
        if self._partial is not None:
            self._entries.pop(self._partial, None)
            self._spans.pop(self._partial, None)
            self._partial = None
        return False

    def clear(self) -> None:
        self._entries.clear()
        self._spans.clear()
        self._partial = None

    def forget_spans(self) -> None:
        self._spans.clear()

    def get(self, line: int) -> Entry | None:
        return self._entries.get(line)

    def lines(self, lines: list[int]) -> list[Entry | None]:
        """Entries of ``lines`` (read now when missing; None for a line past the end)."""
        missing = [line for line in lines if line not in self._entries]
        if missing:
            self._read(missing)
        return [self._entries.get(line) for line in lines]

    def _read(self, missing: list[int]) -> None:
        if len(self._entries) > CACHE_LIMIT:
            self.clear()
        gen = self.doc.current
        start = 0
        while start < len(missing):  # consecutive runs: one batch each
            end = start + 1
            while end < len(missing) and missing[end] == missing[end - 1] + 1:
                end += 1
            first = missing[start]
            rendered, levels = self.doc.screen(first, end - start, gen)
            terminated = gen.terminated_lines
            for offset, line in enumerate(rendered):
                level = int(levels[offset]) if offset < len(levels) else 0
                self._entries[first + offset] = (line, level)
                if first + offset >= terminated:
                    self._partial = first + offset
            start = end

    def spans(self, rows: list[ViewRow], searcher: Any) -> dict[int, list[tuple[int, int]]]:
        """Match columns in the given rows, computed once per line and search."""
        if searcher is None:
            return {}
        missing = [(row.line, row.rendered) for row in rows if row.line not in self._spans]
        if missing:
            from studio.plugins.logs.search import visible_spans

            found = visible_spans(self.doc, searcher, missing)
            for line, _ in missing:
                self._spans[line] = found.get(line, [])
        return {row.line: self._spans.get(row.line, []) for row in rows}

    def traceback_blocks(self, rows: list[ViewRow]) -> list[TracebackBlock]:
        """Traceback groups touching the given (consecutive file) rows."""
        if not any("Traceback" in row.rendered.text or row.rendered.text[:1] in " \t"
                   for row in rows):
            return []
        first = max(0, rows[0].line - TRACEBACK_LOOKBACK)
        last = min(self.doc.line_count, rows[-1].line + 64)
        lines = list(range(first, last))
        texts = [entry[0].text if entry is not None else "" for entry in self.lines(lines)]
        return traceback_blocks(first, texts)
