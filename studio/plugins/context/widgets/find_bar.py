"""Find and replace in the editor: plain text or regular expression, case, whole words.

Uses ``QTextDocument.find`` with a ``QRegularExpression`` (Perl-compatible); replacing with a
regex expands ``\\1``…``\\9`` group references. "Replace all" is one undo step. A bad regex
is reported under the field, never raised.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.plugins.context.widgets.common import icon

__all__ = ["FindBar"]


class FindBar(QWidget):
    closed = Signal()

    def __init__(self, editor: QPlainTextEdit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("findBar")
        self.editor = editor
        self.find_text = QLineEdit()
        self.find_text.setPlaceholderText("Find")
        self.replace_text = QLineEdit()
        self.replace_text.setPlaceholderText("Replace with")
        self.regex = QCheckBox("Regex")
        self.case = QCheckBox("Match case")
        self.words = QCheckBox("Whole words")
        self.message = QLabel("")
        self.message.setProperty("role", "muted")
        previous_button = self._button("mdi6.chevron-up", "Previous match (Shift+Enter)",
                                       lambda: self.find(backwards=True))
        next_button = self._button("mdi6.chevron-down", "Next match (Enter)", self.find)
        replace = self._button("mdi6.find-replace", "Replace this match", self.replace_one)
        replace_all = self._button("mdi6.text-box-check-outline", "Replace all",
                                   self.replace_all)
        close = self._button("mdi6.close", "Close (Esc)", self.close_bar)
        self.find_text.returnPressed.connect(self.find)
        self.replace_text.returnPressed.connect(self.replace_one)
        row1 = QHBoxLayout()
        for widget in (self.find_text, previous_button, next_button, self.regex, self.case,
                       self.words, close):
            row1.addWidget(widget)
        row1.setStretch(0, 1)
        row2 = QHBoxLayout()
        for widget in (self.replace_text, replace, replace_all, self.message):
            row2.addWidget(widget)
        row2.setStretch(0, 1)
        self.replace_row = QWidget()
        self.replace_row.setLayout(row2)
        row2.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addLayout(row1)
        layout.addWidget(self.replace_row)

    @staticmethod
    def _button(name: str, tip: str, slot: object) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon(name))
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    def open_bar(self, replace: bool = False) -> None:
        cursor = self.editor.textCursor()
        if cursor.hasSelection() and "\u2029" not in cursor.selectedText():
            self.find_text.setText(cursor.selectedText())
        self.replace_row.setVisible(replace and not self.editor.isReadOnly())
        self.show()
        self.find_text.setFocus()
        self.find_text.selectAll()

    def close_bar(self) -> None:
        self.hide()
        self.editor.setFocus()
        self.closed.emit()

    def keyPressEvent(self, event: object) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.close_bar()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and (
                event.modifiers() & Qt.KeyboardModifier.ShiftModifier):
            self.find(backwards=True)
            return
        super().keyPressEvent(event)

    # -- searching ---------------------------------------------------------------------------
    def _pattern(self) -> QRegularExpression | None:
        text = self.find_text.text()
        if not text:
            return None
        source = text if self.regex.isChecked() else QRegularExpression.escape(text)
        if self.words.isChecked():
            source = rf"\b(?:{source})\b"
        options = QRegularExpression.PatternOption.NoPatternOption
        if not self.case.isChecked():
            options |= QRegularExpression.PatternOption.CaseInsensitiveOption
        pattern = QRegularExpression(source, options)
        if not pattern.isValid():
            self.message.setText(f"Invalid regex: {pattern.errorString()} (at "
                                 f"{pattern.patternErrorOffset()})")
            return None
        return pattern

    def find(self, backwards: bool = False) -> bool:
        """Select the next (or previous) match, wrapping around; False when none."""
        pattern = self._pattern()
        if pattern is None:
            return False
        flags = QTextDocument.FindFlag(0)
        if backwards:
            flags |= QTextDocument.FindFlag.FindBackward
        document = self.editor.document()
        found = document.find(pattern, self.editor.textCursor(), flags)
        if found.isNull():
            start = QTextCursor(document)
            if backwards:
                start.movePosition(QTextCursor.MoveOperation.End)
            found = document.find(pattern, start, flags)
        if found.isNull():
            self.message.setText("No match")
            return False
        self.message.setText("")
        self.editor.setTextCursor(found)
        return True

    def _replacement(self, matched: str) -> str:
        text = self.replace_text.text()
        if not self.regex.isChecked():
            return text
        flags = 0 if self.case.isChecked() else re.IGNORECASE
        source = self.find_text.text()
        if self.words.isChecked():
            source = rf"\b(?:{source})\b"
        try:
            return re.sub(source, text, matched, count=1, flags=flags)
        except re.error:
            return text

    def replace_one(self) -> bool:
        if self.editor.isReadOnly():
            return False
        cursor = self.editor.textCursor()
        pattern = self._pattern()
        if pattern is None:
            return False
        if cursor.hasSelection() and pattern.match(cursor.selectedText()).hasMatch():
            cursor.insertText(self._replacement(cursor.selectedText()))
        return self.find()

    def replace_all(self) -> int:
        """Replace every match as one undo step; returns how many."""
        pattern = self._pattern()
        if pattern is None or self.editor.isReadOnly():
            return 0
        document = self.editor.document()
        cursor = QTextCursor(document)
        edit = QTextCursor(document)
        edit.beginEditBlock()
        count = 0
        while True:
            cursor = document.find(pattern, cursor)
            if cursor.isNull():
                break
            if not cursor.hasSelection():  # an empty match would loop forever
                if not cursor.movePosition(QTextCursor.MoveOperation.NextCharacter):
                    break
                continue
            cursor.insertText(self._replacement(cursor.selectedText()))
            count += 1
        edit.endEditBlock()
        self.message.setText(f"Replaced {count}")
        return count
