"""A plain-text code editor: line numbers, current line, problem markers, go to line.

QPlainTextEdit does the editing, undo/redo and large-document layout; this adds the gutter
(painted from the theme's tokens) and extra selections for the current line and the problems
the validator found (a wavy underline from the reported column to the end of the line).
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QTextCharFormat, QTextCursor, QTextFormat
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

from studio.plugins.context.validate import Problem
from studio.plugins.context.widgets.common import colour

__all__ = ["CodeEditor"]


class _Gutter(QWidget):
    def __init__(self, editor: CodeEditor) -> None:
        super().__init__(editor)
        self.editor = editor

    def sizeHint(self) -> QSize:
        return QSize(self.editor.gutter_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        self.editor.paint_gutter(event)


class CodeEditor(QPlainTextEdit):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("codeEditor")
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabStopDistance(4 * self.fontMetrics().horizontalAdvance(" "))
        self.first_line_number = 1  # pages of a big file start further down
        self.problems: list[Problem] = []
        self._gutter = _Gutter(self)
        self.blockCountChanged.connect(lambda _n: self._update_margins())
        self.updateRequest.connect(self._update_gutter)
        self.cursorPositionChanged.connect(self._update_selections)
        self._update_margins()
        self._update_selections()

    # -- gutter ------------------------------------------------------------------------------
    def gutter_width(self) -> int:
        digits = len(str(max(1, self.blockCount() + self.first_line_number - 1)))
        return 12 + self.fontMetrics().horizontalAdvance("9") * max(3, digits)

    def _update_margins(self) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _update_gutter(self, rect: QRect, dy: int) -> None:
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())
        if rect.contains(self.viewport().rect()):
            self._update_margins()

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)
        rect = self.contentsRect()
        self._gutter.setGeometry(QRect(rect.left(), rect.top(), self.gutter_width(),
                                       rect.height()))

    def setFont(self, font: object) -> None:  # keep tabs and the gutter in step with the font
        super().setFont(font)
        self.setTabStopDistance(4 * self.fontMetrics().horizontalAdvance(" "))
        self._update_margins()

    def paint_gutter(self, event: QPaintEvent) -> None:
        painter = QPainter(self._gutter)
        painter.fillRect(event.rect(), colour("surface"))
        problem_lines = {p.line for p in self.problems if p.line}
        current = self.textCursor().blockNumber()
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        height = self.fontMetrics().height()
        width = self._gutter.width() - 6
        while block.isValid() and top <= event.rect().bottom():
            if block.isVisible() and top + height >= event.rect().top():
                number = block.blockNumber() + self.first_line_number
                if number in problem_lines:
                    painter.setPen(colour("error"))
                elif block.blockNumber() == current:
                    painter.setPen(colour("text"))
                else:
                    painter.setPen(colour("text.muted"))
                painter.drawText(0, top, width, height, Qt.AlignmentFlag.AlignRight,
                                 str(number))
            top += round(self.blockBoundingRect(block).height())
            block = block.next()
        painter.end()

    # -- selections --------------------------------------------------------------------------
    def set_problems(self, problems: list[Problem]) -> None:
        self.problems = problems
        self._update_selections()
        self._gutter.update()

    def _update_selections(self) -> None:
        line = QTextEdit.ExtraSelection()
        line.format.setBackground(colour("hover"))
        line.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        line.cursor = self.textCursor()
        line.cursor.clearSelection()
        selections = [line]
        document = self.document()
        for problem in self.problems[:200]:
            if not problem.line:
                continue
            block = document.findBlockByNumber(problem.line - self.first_line_number)
            if not block.isValid():
                continue
            mark = QTextEdit.ExtraSelection()
            fmt = QTextCharFormat()
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            fmt.setUnderlineColor(colour("error" if problem.severity != "warning"
                                         else "warning"))
            mark.format = fmt
            cursor = QTextCursor(block)
            column = max(0, (problem.column or 1) - 1)
            cursor.setPosition(block.position() + min(column, max(0, block.length() - 1)))
            cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock,
                                QTextCursor.MoveMode.KeepAnchor)
            if not cursor.hasSelection():  # an error at the end of a line: mark its last char
                cursor.movePosition(QTextCursor.MoveOperation.Left,
                                    QTextCursor.MoveMode.KeepAnchor)
            mark.cursor = cursor
            selections.append(mark)
        self.setExtraSelections(selections)

    # -- navigation --------------------------------------------------------------------------
    def go_to(self, line: int, column: int = 1) -> bool:
        """Put the cursor on 1-based ``line`` (of the file) and ``column``; False if absent."""
        block = self.document().findBlockByNumber(line - self.first_line_number)
        if not block.isValid():
            return False
        cursor = QTextCursor(block)
        cursor.setPosition(block.position() + min(max(0, column - 1), block.length() - 1))
        self.setTextCursor(cursor)
        self.centerCursor()
        self.setFocus()
        return True

    def current_line(self) -> int:
        return self.textCursor().blockNumber() + self.first_line_number
