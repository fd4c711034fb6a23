"""Drawing the visible rows of a log viewport: gutter, levels, tracebacks, matches, text.

Only the columns inside the viewport are handed to Qt's text layout, so a 64 KB line costs
the same to draw as a short one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRect, QRectF, Qt, QTimer
from PySide6.QtGui import QPainter, QPen, QStaticText

from studio.api import format_bytes
from studio.plugins.logs.formats import Level
from studio.plugins.logs.render import RenderedLine
from studio.plugins.logs.structure import TracebackBlock

if TYPE_CHECKING:
    from studio.plugins.logs.widgets.viewport import LogViewport

__all__ = ["RowPainter", "ViewRow"]

_STATIC_LIMIT = 4000  # laid-out texts kept (a few screens' worth)


@dataclass(frozen=True, slots=True)
class ViewRow:
    row: int
    line: int
    rendered: RenderedLine
    level: int
    folded: bool


def _block_of(blocks: list[TracebackBlock], line: int) -> TracebackBlock | None:
    return next((block for block in blocks if line in block), None)


class RowPainter:
    """Paints a :class:`LogViewport`'s rows; remembers what it drew for clicks."""

    def __init__(self, view: LogViewport) -> None:
        self.view = view
        self.blocks: list[TracebackBlock] = []
        self._widest = 0
        self._static: dict[str, QStaticText] = {}

    def widest_columns(self) -> int:
        return self._widest

    def draw(self, painter: QPainter, x: float, y: int, text: str) -> None:
        """Draw one row's text (or line number) at its top-left, in the painter's pen.

        Laid-out texts are kept (QStaticText): scrolling or following by a line re-draws the
        same rows, and shaping them again is most of what a paint costs.
        """
        if not text:
            return
        static = self._static.get(text)
        if static is None:
            if len(self._static) > _STATIC_LIMIT:
                self._static.clear()
            static = QStaticText(text)
            static.setTextFormat(Qt.TextFormat.PlainText)
            static.prepare(painter.transform(), painter.font())
            self._static[text] = static
        painter.drawStaticText(QPointF(x, y + self.view.text_top), static)

    def clear_cache(self) -> None:
        self._static.clear()

    def toggle_fold_at(self, line: int) -> bool:
        """Fold or unfold the traceback whose first line is ``line`` (from a gutter click)."""
        block = _block_of(self.blocks, line)
        rows = self.view.rows
        if block is None or not hasattr(rows, "toggle_fold"):
            return False
        rows.toggle_fold(block)
        self.view.refresh()
        self.view.go_to_line(block.first, center=False)
        return True

    def paint(self, painter: QPainter, area: QRect) -> None:
        """Two passes over the visible rows: backgrounds and gutter, then (clipped to the text
        area once) matches, selection and text."""
        view, palette = self.view, self.view.palette_
        painter.setFont(view.font())
        painter.fillRect(area, palette.background)
        width, height = view.viewport().width(), view.viewport().height()
        gutter, line_height = view.gutter_width(), view.line_height
        widest = self._widest
        rows = view.view_rows(view.top, view.visible_rows() + 1)
        self.blocks = view.traceback_blocks(rows)
        spans = view.spans_for(rows)
        levels = []
        painter.fillRect(QRect(0, 0, gutter, height), palette.gutter)
        for index, row in enumerate(rows):
            y = index * line_height
            block = _block_of(self.blocks, row.line) if self.blocks else None
            level = Level.ERROR if block is not None else row.level
            levels.append((level, block))
            if row.row == view.current_row:
                painter.fillRect(QRect(gutter, y, width - gutter, line_height),
                                 palette.current_line)
            elif level in palette.level_tint:
                painter.fillRect(QRect(gutter, y, width - gutter, line_height),
                                 palette.level_tint[level])
            self._paint_gutter(painter, row, y, level, block)
        painter.setPen(palette.border)
        painter.drawLine(gutter - 1, 0, gutter - 1, height)
        painter.setClipRect(QRect(gutter, 0, width - gutter, height))
        left = view.text_left() - view.hscroll
        first_column = max(0, int(view.hscroll / view.char_width) - 1)
        columns = int(width / view.char_width) + 3
        for index, row in enumerate(rows):
            level, block = levels[index]
            self._paint_text(painter, row, index * line_height, spans.get(row.line, ()),
                             (left, first_column, columns, level, block))
        painter.setClipping(False)
        if self._widest > widest:  # a longer line came on screen: widen the sideways range
            QTimer.singleShot(0, view, view.update_scroll_ranges)

    def _paint_text(self, painter: QPainter, row: ViewRow, y: int,
                    spans: Sequence[tuple[int, int]],
                    where: tuple[float, int, int, int, TracebackBlock | None]) -> None:
        view, palette = self.view, self.view.palette_
        left, first_column, columns, level, block = where
        char_width, line_height = view.char_width, view.line_height
        if spans:
            color = palette.current_match if row.line == view.current_match else palette.match
            for start, stop in spans:
                painter.fillRect(QRectF(left + start * char_width, y,
                                        max(stop - start, 1) * char_width, line_height), color)
        text = row.rendered.text
        if self.view.anchor is not None:
            self._paint_selection(painter, row, y, len(text))
        painter.setPen(palette.levels.get(level, palette.text))
        self.draw(painter, left + first_column * char_width, y,
                  text[first_column:first_column + columns])
        note = self._note(row, block) if row.rendered.truncated or row.rendered.refreshes or \
            row.folded else ""
        if note:
            painter.setPen(palette.marker)
            painter.drawText(QPointF(left + (len(text) + 2) * char_width, y + view.ascent), note)
        self._widest = max(self._widest, len(text) + len(note) + 4)

    def _paint_gutter(self, painter: QPainter, row: ViewRow, y: int, level: int,
                      block: TracebackBlock | None) -> None:
        view, palette = self.view, self.view.palette_
        line_height, gutter = view.line_height, view.gutter_width()
        if row.line in view.bookmarks:
            painter.setBrush(palette.bookmark)
            painter.setPen(palette.bookmark)
            size = max(4, line_height // 2)
            painter.drawEllipse(3, y + (line_height - size) // 2, size, size)
            painter.setBrush(palette.background)
        if level in (Level.ERROR, Level.WARNING):
            painter.fillRect(QRect(gutter - 4, y, 3, line_height), palette.levels[level])
        number = str(row.line + 1)
        painter.setPen(palette.gutter_text)
        self.draw(painter, view.numbers_right() - len(number) * view.char_width, y, number)
        if block is not None:
            fold_left = view.fold_left()
            if row.line == block.first:
                painter.setPen(palette.traceback)
                painter.drawText(QPointF(fold_left, y + view.ascent),
                                 "▸" if row.folded else "▾")
            pen = QPen(palette.traceback)
            pen.setWidth(2)
            painter.setPen(pen)
            x = fold_left + int(view.char_width) + 4
            top = y + (line_height // 2 if row.line == block.first else 0)
            bottom = y + (line_height // 2 if row.line == block.last else line_height)
            painter.drawLine(x, top, x, bottom)
            if row.line == block.last:
                painter.drawLine(x, bottom, x + 4, bottom)

    def _paint_selection(self, painter: QPainter, row: ViewRow, y: int, length: int) -> None:
        selection = self.view.selection_range()
        if selection is None:
            return
        (first_row, first_col), (last_row, last_col) = selection
        if not first_row <= row.row <= last_row:
            return
        view = self.view
        start = first_col if row.row == first_row else 0
        stop = last_col if row.row == last_row else max(length, start) + 1
        left = view.text_left() - view.hscroll
        painter.fillRect(QRectF(left + start * view.char_width, y,
                                max(stop - start, 0) * view.char_width, view.line_height),
                         view.palette_.selection)

    def _note(self, row: ViewRow, block: TracebackBlock | None) -> str:
        rendered = row.rendered
        notes = []
        if row.folded and block is not None:
            notes.append(f"… {block.last - block.first} lines folded: {block.summary}")
        if rendered.refreshes:
            notes.append(f"↻ last of {rendered.refreshes + 1} progress updates")
        if rendered.truncated:
            rest = rendered.length - rendered.end
            notes.append(f"… {format_bytes(max(rest, 0))} more (double-click to show all)")
        return "   ".join(notes)
