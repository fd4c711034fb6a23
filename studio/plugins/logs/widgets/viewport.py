"""The log viewport: paints only the visible lines of a file of any size.

A ``QAbstractScrollArea`` whose paint reads the rows on screen from the document (a few
``pread`` calls, cached per line), never a text widget holding the file. The vertical position
is a row number kept as a Python int; the scroll bar shows it on a bounded range
(:data:`SCROLL_RANGE`) so 50 M or 5 G lines scroll the same way (Qt's scroll values are 32-bit
ints). Rows are file lines (:class:`~studio.plugins.logs.structure.LineRows`, with folded
tracebacks) or search hits (:class:`~studio.plugins.logs.structure.MatchRows`).
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QPoint, QRect, Qt, Signal
from PySide6.QtGui import (
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

from studio.plugins.logs.document import LogDocument
from studio.plugins.logs.structure import LineRows, MatchRows, TracebackBlock
from studio.plugins.logs.widgets.palette import LogPalette
from studio.plugins.logs.widgets.row_cache import RowCache
from studio.plugins.logs.widgets.rows_painter import RowPainter, ViewRow

__all__ = ["SCROLL_RANGE", "LogViewport", "scroll_value", "top_for_value"]

SCROLL_RANGE = 1 << 24  # the scroll bar's maximum once a log has more rows than this


def scroll_value(top: int, max_top: int) -> int:
    """The scroll bar value showing row ``top`` (identity up to SCROLL_RANGE rows)."""
    if max_top <= SCROLL_RANGE:
        return top
    return round(top * SCROLL_RANGE / max_top)


def top_for_value(value: int, max_top: int) -> int:
    """The top row for a scroll bar value (inverse of :func:`scroll_value`)."""
    if max_top <= SCROLL_RANGE:
        return max(0, min(value, max_top))
    return max(0, min(round(value * max_top / SCROLL_RANGE), max_top))


class LogViewport(QAbstractScrollArea):
    """Rows of a :class:`LogDocument`; emits what the user does with them."""

    line_activated = Signal(int)  # a line was clicked or Enter pressed on it
    current_line_changed = Signal(int)
    bookmark_clicked = Signal(int)
    expand_requested = Signal(int)  # show a truncated line whole
    scrolled = Signal()
    first_painted = Signal()  # once: the lines are on screen

    def __init__(self, doc: LogDocument, rows: LineRows | MatchRows | None = None,
                 parent: QWidget | None = None, *, font_size: int = 10) -> None:
        super().__init__(parent)
        self.doc = doc
        self.rows = rows if rows is not None else LineRows()
        if isinstance(self.rows, LineRows):
            self.rows.set_line_count(doc.line_count)
        self.top = 0
        self._bottom_pinned = False  # the view showed the end when last moved or resized
        self._rows_shown = 0  # rows it showed then (0: not laid out yet)
        self.hscroll = 0
        self.current_row = 0
        self.anchor: tuple[int, int] | None = None  # selection start (row, column)
        self.caret: tuple[int, int] | None = None
        self.bookmarks: set[int] = set()
        self.searcher: Any = None  # native.LineSearch for highlights
        self.current_match: int | None = None
        self.palette_ = LogPalette.from_theme()
        self.cache = RowCache(doc)
        self._gutter_key: tuple[int, float] | None = None
        self._gutter_cache = (0, 0, 0)
        self._wheel_rest = 0.0
        self._painted = False
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.viewport().setCursor(Qt.CursorShape.IBeamCursor)
        self.verticalScrollBar().valueChanged.connect(self._on_vertical_bar)
        self.horizontalScrollBar().valueChanged.connect(self._on_horizontal_bar)
        self.set_font_size(font_size)

    # -- configuration -------------------------------------------------------------------
    def set_font_size(self, points: int) -> None:
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSize(points)
        font.setStyleHint(QFont.StyleHint.TypeWriter)
        self.setFont(font)
        metrics = QFontMetricsF(font)
        self.line_height = max(1, math.ceil(metrics.height()))
        self.char_width = max(1.0, metrics.horizontalAdvance("M"))
        self.ascent = metrics.ascent()
        self.text_top = (self.line_height - metrics.height()) / 2  # a row's text, from its top
        self.painter_ = RowPainter(self)
        self.refresh()

    def set_rows(self, rows: LineRows | MatchRows) -> None:
        self.rows = rows
        self.top = min(self.top, self.max_top())
        self.refresh()

    def set_search(self, searcher: Any) -> None:
        self.searcher = searcher
        self.cache.forget_spans()
        self.viewport().update()

    def set_bookmarks(self, lines: set[int]) -> None:
        self.bookmarks = set(lines)
        self.viewport().update()

    def apply_theme(self) -> None:
        self.palette_ = LogPalette.from_theme()
        self.viewport().update()

    # -- geometry ------------------------------------------------------------------------
    def visible_rows(self) -> int:
        return max(1, self.viewport().height() // self.line_height)

    def row_count(self) -> int:
        return self.rows.row_count()

    def max_top(self) -> int:
        return max(0, self.row_count() - self.visible_rows())

    def at_bottom(self) -> bool:
        return self.top >= self.max_top()

    BOOKMARK_WIDTH = 14

    def _gutter(self) -> tuple[int, int, int]:
        """(numbers_right, fold_left, gutter_width) for the current line count (cached):
        [bookmark][line numbers][fold ▾][traceback bracket][level bar]."""
        digits = len(str(max(self.doc.line_count, 1)))
        if self._gutter_key != (digits, self.char_width):
            numbers_right = self.BOOKMARK_WIDTH + int(self.char_width * digits) + 2
            fold_left = numbers_right + 3
            self._gutter_cache = (numbers_right, fold_left, fold_left + int(self.char_width) + 14)
            self._gutter_key = (digits, self.char_width)
        return self._gutter_cache

    def numbers_right(self) -> int:
        return self._gutter()[0]

    def fold_left(self) -> int:
        return self._gutter()[1]

    def gutter_width(self) -> int:
        return self._gutter()[2]

    def text_left(self) -> int:
        return self.gutter_width() + 6

    # -- content changes -----------------------------------------------------------------
    def refresh(self, *, keep_bottom: bool = False) -> None:
        """Re-read the row count (lines appended, the file restarted, a filter grew)."""
        was_bottom = keep_bottom and self.at_bottom()
        if self.cache.sync():  # the file restarted (truncated, rotated …): start at the top
            self.top = 0
            self.current_row = 0
            self.anchor = self.caret = None
        if isinstance(self.rows, LineRows):
            self.rows.set_line_count(self.doc.line_count)
        self.update_scroll_ranges()
        if was_bottom:
            self.set_top(self.max_top())
        self._note_position()
        self.viewport().update()

    def update_scroll_ranges(self) -> None:
        bar = self.verticalScrollBar()
        max_top = self.max_top()
        bar.blockSignals(True)
        bar.setRange(0, min(max_top, SCROLL_RANGE))
        step = self.visible_rows() if max_top <= SCROLL_RANGE else max(
            1, round(self.visible_rows() * SCROLL_RANGE / max_top))
        bar.setPageStep(step)
        bar.setSingleStep(1)
        bar.setValue(scroll_value(self.top, max_top))
        bar.blockSignals(False)
        hbar = self.horizontalScrollBar()
        width = int(self.painter_.widest_columns() * self.char_width)
        hbar.setRange(0, max(0, width - (self.viewport().width() - self.text_left()) + 40))
        hbar.setPageStep(max(1, self.viewport().width() - self.text_left()))
        hbar.setSingleStep(max(1, int(self.char_width * 4)))

    # -- moving --------------------------------------------------------------------------
    def set_top(self, row: int) -> None:
        row = max(0, min(int(row), self.max_top()))
        changed = row != self.top
        self.top = row
        self._note_position()
        if changed:
            bar = self.verticalScrollBar()
            bar.blockSignals(True)
            bar.setValue(scroll_value(row, self.max_top()))
            bar.blockSignals(False)
            self.viewport().update()
            self.scrolled.emit()

    def scroll_to_row(self, row: int, *, center: bool = False) -> None:
        if center:
            self.set_top(row - self.visible_rows() // 2)
        elif row < self.top:
            self.set_top(row)
        elif row >= self.top + self.visible_rows():
            self.set_top(row - self.visible_rows() + 1)

    def go_to_line(self, line: int, *, center: bool = True) -> None:
        """Make ``line`` (0-based) the current line and show it."""
        self.set_current_row(self.rows.row_of(max(0, line)), center=center)

    def set_current_row(self, row: int, *, center: bool = False) -> None:
        count = self.row_count()
        if not count:
            return
        row = max(0, min(row, count - 1))
        self.current_row = row
        self.scroll_to_row(row, center=center)
        self.viewport().update()
        self.current_line_changed.emit(self.rows.line_of(row))

    @property
    def current_line(self) -> int | None:
        return self.rows.line_of(self.current_row) if self.row_count() else None

    def scroll_to_end(self) -> None:
        self.set_top(self.max_top())
        if self.row_count():
            self.current_row = self.row_count() - 1

    def _on_vertical_bar(self, value: int) -> None:
        top = top_for_value(value, self.max_top())
        if top != self.top:
            self.top = top
            self._note_position()
            self.viewport().update()
            self.scrolled.emit()

    def _on_horizontal_bar(self, value: int) -> None:
        self.hscroll = value
        self.viewport().update()

    # -- reading rows --------------------------------------------------------------------
    def view_rows(self, first_row: int, count: int) -> list[ViewRow]:
        """The rows ``first_row`` … as drawn: line number, rendering, level, folding."""
        count = max(0, min(count, self.row_count() - first_row))
        lines = [self.rows.line_of(row) for row in range(first_row, first_row + count)]
        return [ViewRow(first_row + i, line, *entry, self.rows.folded(line))
                for i, (line, entry) in enumerate(zip(lines, self.cache.lines(lines),
                                                      strict=True)) if entry is not None]

    def spans_for(self, rows: list[ViewRow]) -> dict[int, list[tuple[int, int]]]:
        """Match columns in the given rows (none without a search)."""
        return self.cache.spans(rows, self.searcher)

    def traceback_blocks(self, rows: list[ViewRow]) -> list[TracebackBlock]:
        """Traceback groups around the visible lines (main view only)."""
        if not isinstance(self.rows, LineRows) or not rows:
            return []
        return self.cache.traceback_blocks(rows)

    # -- painting ------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self.viewport())
        try:
            self.painter_.paint(painter, event.rect())
        finally:
            painter.end()
        if not self._painted:
            self._painted = True
            self.first_painted.emit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        # Where the view stood is judged by the geometry it had: the first resize of a widget
        # laid out while hidden has no old size (a log opened at its end, then shown).
        was_bottom = self._bottom_pinned
        old_rows = self._rows_shown or max(1, event.oldSize().height() // self.line_height)
        current_was_shown = self.top <= self.current_row < self.top + old_rows
        super().resizeEvent(event)
        self.update_scroll_ranges()
        if was_bottom:  # at the end (following): stay there
            self.set_top(self.max_top())
        elif current_was_shown and not (
                self.top <= self.current_row < self.top + self.visible_rows()):
            # a shrinking window (or the first layout after "go to line") keeps the line in view
            self.scroll_to_row(self.current_row, center=True)
        self._note_position()

    def _note_position(self) -> None:
        """Remember, for the next resize, whether the view shows the end (of a longer log)."""
        self._rows_shown = self.visible_rows()
        self._bottom_pinned = self.top > 0 and self.top >= self.max_top()

    # -- input ---------------------------------------------------------------------------
    def position_at(self, point: QPoint) -> tuple[int, int]:
        """(row, column) under a viewport point."""
        row = self.top + max(0, point.y()) // self.line_height
        column = max(0, round((point.x() - self.text_left() + self.hscroll) / self.char_width))
        return min(row, max(self.row_count() - 1, 0)), column

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or not self.row_count():
            super().mousePressEvent(event)
            return
        row, column = self.position_at(event.position().toPoint())
        line = self.rows.line_of(row)
        if event.position().x() < self.gutter_width():
            if event.position().x() < self.BOOKMARK_WIDTH:
                self.bookmark_clicked.emit(line)
            elif event.position().x() >= self.fold_left():
                self.painter_.toggle_fold_at(line)
            return
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier and self.anchor is not None:
            self.caret = (row, column)
        else:
            self.anchor = self.caret = (row, column)
        self.set_current_row(row)
        self.line_activated.emit(line)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton and self.anchor is not None:
            row, column = self.position_at(event.position().toPoint())
            self.caret = (row, column)
            self.scroll_to_row(row)
            self.viewport().update()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        row, _ = self.position_at(event.position().toPoint())
        if self.row_count():
            line = self.rows.line_of(row)
            cached = self.cache.get(line)
            if cached is not None and cached[0].truncated:
                self.expand_requested.emit(line)

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta()
        if delta.x() and not delta.y():
            self.horizontalScrollBar().setValue(self.hscroll - delta.x())
            return
        pixels = event.pixelDelta().y()
        rows = pixels / self.line_height if pixels else delta.y() / 120 * 3
        self._wheel_rest += rows
        whole = int(self._wheel_rest)
        self._wheel_rest -= whole
        if whole:
            self.set_top(self.top - whole)
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, mods = event.key(), event.modifiers()
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        page = max(1, self.visible_rows() - 1)
        moves = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1, Qt.Key.Key_PageUp: -page,
                 Qt.Key.Key_PageDown: page}
        if key in moves:
            if not self.top <= self.current_row < self.top + self.visible_rows():
                self.current_row = self.top  # scrolled away: move from what is on screen
            if key in (Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
                self.set_top(self.top + moves[key])  # a page turns the view, not just the cursor
            self.set_current_row(self.current_row + moves[key])
        elif key == Qt.Key.Key_Home and ctrl:
            self.set_current_row(0)
        elif key == Qt.Key.Key_End and ctrl:
            self.scroll_to_end()
            self.set_current_row(self.row_count() - 1)
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            sign = -1 if key == Qt.Key.Key_Left else 1
            self.horizontalScrollBar().setValue(self.hscroll + sign * int(self.char_width * 8))
        elif key == Qt.Key.Key_Home:
            self.horizontalScrollBar().setValue(0)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.row_count():
            self.line_activated.emit(self.rows.line_of(self.current_row))
        elif event.matches(QKeySequence.StandardKey.Copy):
            self.copy()
        else:
            super().keyPressEvent(event)

    # -- selection -----------------------------------------------------------------------
    def selection_range(self) -> tuple[tuple[int, int], tuple[int, int]] | None:
        if self.anchor is None or self.caret is None or self.anchor == self.caret:
            return None
        return (min(self.anchor, self.caret), max(self.anchor, self.caret))

    def selected_text(self, limit_rows: int = 100_000) -> str:
        """The selection as shown (or the current line when nothing is selected)."""
        selection = self.selection_range()
        if selection is None:
            if not self.row_count():
                return ""
            rows = self.view_rows(self.current_row, 1)
            return rows[0].rendered.text if rows else ""
        (first_row, first_col), (last_row, last_col) = selection
        last_row = min(last_row, first_row + limit_rows)
        parts = []
        for row in self.view_rows(first_row, last_row - first_row + 1):
            text = row.rendered.text
            start = first_col if row.row == first_row else 0
            stop = last_col if row.row == last_row else len(text)
            parts.append(text[start:stop])
        return "\n".join(parts)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.selected_text())

    def text_rect(self) -> QRect:
        rect = self.viewport().rect()
        rect.setLeft(self.text_left())
        return rect
