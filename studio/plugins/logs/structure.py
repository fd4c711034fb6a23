"""Structure within a log: Python tracebacks as groups, and which rows show which lines.

A traceback block starts at ``Traceback (most recent call last):`` and runs over the indented
frame lines to the exception line (the first non-indented line after it, included). Blocks are
found only around what is on screen (:func:`traceback_blocks` takes the rendered lines of a
window), so opening a 10 GB log costs nothing here.

:class:`LineRows` maps view rows to file lines when blocks are folded: a folded block shows its
first line only. Folds are few (the user makes them), so lookups are a bisect.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["LineRows", "MatchRows", "TracebackBlock", "traceback_blocks"]

TRACEBACK_HEAD = "Traceback (most recent call last):"
_CHAIN_LINES = ("During handling of the above exception", "The above exception was the direct")


@dataclass(frozen=True, slots=True)
class TracebackBlock:
    first: int  # line of "Traceback (most recent call last):"
    last: int  # line of the exception ("ValueError: …"), inclusive
    summary: str  # the exception line's text

    def __contains__(self, line: int) -> bool:
        return self.first <= line <= self.last


def _indented(text: str) -> bool:
    return text[:1] in (" ", "\t")


def traceback_blocks(first_line: int, texts: Sequence[str]) -> list[TracebackBlock]:
    """Blocks among consecutive lines ``first_line``, ``first_line + 1``, … with ``texts``.

    A block still open at the end of the window ends at the window's last line.
    """
    blocks: list[TracebackBlock] = []
    start: int | None = None
    for offset, text in enumerate(texts):
        line = first_line + offset
        stripped = text.lstrip()
        if stripped.startswith(TRACEBACK_HEAD) and not _indented(text):
            start = line
            continue
        if start is None or _indented(text) or not text.strip():
            continue
        if text.startswith(_CHAIN_LINES):
            continue
        blocks.append(TracebackBlock(start, line, text.strip()))
        start = None
    if start is not None and texts:
        blocks.append(TracebackBlock(start, first_line + len(texts) - 1, ""))
    return blocks


class LineRows:
    """Rows of the main view: every line, except the hidden lines of folded blocks."""

    def __init__(self) -> None:
        self.line_count = 0
        self._starts: list[int] = []  # first line of each folded block, ascending
        self._ends: list[int] = []  # its last line
        self._hidden_before: list[int] = []  # hidden lines in folds before fold i

    def set_line_count(self, count: int) -> None:
        self.line_count = count
        while self._ends and self._ends[-1] >= count:  # the file restarted or shrank
            self._starts.pop()
            self._ends.pop()
            self._hidden_before.pop()

    def row_count(self) -> int:
        hidden = self._hidden_before[-1] + self._ends[-1] - self._starts[-1] if self._starts \
            else 0
        return self.line_count - hidden

    def line_of(self, row: int) -> int:
        """The file line shown in ``row``."""
        # The i-th fold starts at row starts[i] - hidden_before[i].
        rows = [s - h for s, h in zip(self._starts, self._hidden_before, strict=True)]
        at = bisect.bisect_right(rows, row) - 1
        if at < 0:
            return row
        if row == rows[at]:  # the folded block's own row shows its first line
            return self._starts[at]
        return row + self._hidden_before[at] + self._ends[at] - self._starts[at]

    def row_of(self, line: int) -> int:
        """The row showing ``line`` (a hidden line maps to its fold's first row)."""
        at = bisect.bisect_right(self._starts, line) - 1
        if at < 0:
            return line
        if line <= self._ends[at]:
            return self._starts[at] - self._hidden_before[at]
        return line - self._hidden_before[at] - (self._ends[at] - self._starts[at])

    def folded(self, line: int) -> bool:
        return line in self._starts

    def toggle_fold(self, block: TracebackBlock) -> bool:
        """Fold or unfold ``block``; returns True when it is folded now."""
        if block.first in self._starts:
            del_at = self._starts.index(block.first)
            pairs = [(s, e) for i, (s, e) in enumerate(zip(self._starts, self._ends,
                                                           strict=True)) if i != del_at]
        else:
            if block.last <= block.first:
                return False
            pairs = sorted([*zip(self._starts, self._ends, strict=True),
                            (block.first, block.last)])
        self._starts, self._ends, self._hidden_before = [], [], []
        hidden = 0
        for start, end in pairs:
            self._starts.append(start)
            self._ends.append(end)
            self._hidden_before.append(hidden)
            hidden += end - start
        return block.first in self._starts


class MatchRows:
    """Rows of the filter view: the matching lines, in order."""

    def __init__(self, lines: Sequence[int] | None = None) -> None:
        self.lines = lines if lines is not None else []

    def row_count(self) -> int:
        return len(self.lines)

    def line_of(self, row: int) -> int:
        return int(self.lines[row])

    def row_of(self, line: int) -> int:
        """The first row showing ``line`` or a later line."""
        if hasattr(self.lines, "searchsorted"):
            return int(self.lines.searchsorted(line))
        return bisect.bisect_left(self.lines, line)

    def folded(self, line: int) -> bool:
        return False
