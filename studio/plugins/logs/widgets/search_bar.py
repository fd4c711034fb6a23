"""The search row of a log tab: pattern, options, level filter, filter view, navigation."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QMenu, QToolButton, QWidget

from studio.plugins.logs.formats import LEVEL_NAMES, Level
from studio.plugins.logs.query import SearchQuery
from studio.shell.api import icon

__all__ = ["SearchBar"]

_LEVEL_CHOICES = (Level.ERROR, Level.WARNING, Level.INFO, Level.DEBUG, Level.TRACE,
                  Level.UNKNOWN)


class _PatternEdit(QLineEdit):
    """Enter: next match; Shift+Enter: previous; Escape: clear."""

    step = Signal(int)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shift = event.modifiers() & Qt.KeyboardModifier.ShiftModifier
            self.step.emit(-1 if shift else 1)
            return
        if event.key() == Qt.Key.Key_Escape and self.text():
            self.clear()
            return
        super().keyPressEvent(event)


def _toggle(text: str, tip: str) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setCheckable(True)
    button.setToolTip(tip)
    return button


class SearchBar(QWidget):
    """Emits ``query_changed`` (debounced while typing) and ``step`` (±1: next/previous)."""

    query_changed = Signal(object)  # SearchQuery
    step = Signal(int)
    filter_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pattern = _PatternEdit()
        self.pattern.setPlaceholderText("Search (Ctrl+F) · Enter: next · Shift+Enter: previous")
        self.pattern.setClearButtonEnabled(True)
        self.case = _toggle("Aa", "Match case")
        self.regex = _toggle(".*", "Regular expression (PCRE2)")
        self.word = _toggle("W", "Whole words")
        self.levels_button = QToolButton()
        self.levels_button.setText("Levels")
        self.levels_button.setIcon(icon("mdi6.filter-variant"))
        self.levels_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.levels_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.levels_button.setToolTip("Only lines of the chosen levels")
        menu = QMenu(self.levels_button)
        self.level_actions: dict[int, QAction] = {}
        for code in _LEVEL_CHOICES:
            action = menu.addAction(LEVEL_NAMES[code].capitalize())
            action.setCheckable(True)
            action.toggled.connect(lambda _on: self._changed(immediate=True))
            self.level_actions[code] = action
        self.levels_button.setMenu(menu)
        self.filter = _toggle("Filter", "Show only the matching lines below the log")
        self.filter.setIcon(icon("mdi6.filter-outline"))
        self.filter.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.previous = QToolButton()
        self.previous.setIcon(icon("mdi6.chevron-up"))
        self.previous.setToolTip("Previous match (Shift+Enter, Shift+F3)")
        self.next = QToolButton()
        self.next.setIcon(icon("mdi6.chevron-down"))
        self.next.setToolTip("Next match (Enter, F3)")
        self.count = QLabel()
        self.count.setProperty("role", "muted")
        self.count.setMinimumWidth(120)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(2)
        layout.addWidget(self.pattern, 1)
        for widget in (self.case, self.regex, self.word, self.levels_button, self.filter,
                       self.previous, self.next, self.count):
            layout.addWidget(widget)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self._emit)
        self.pattern.textChanged.connect(lambda _text: self._changed())
        self.pattern.step.connect(self.step)
        for button in (self.case, self.regex, self.word):
            button.toggled.connect(lambda _on: self._changed(immediate=True))
        self.filter.toggled.connect(self.filter_toggled)
        self.previous.clicked.connect(lambda: self.step.emit(-1))
        self.next.clicked.connect(lambda: self.step.emit(1))

    def query(self) -> SearchQuery:
        levels = frozenset(code for code, action in self.level_actions.items()
                           if action.isChecked())
        return SearchQuery(self.pattern.text(), regex=self.regex.isChecked(),
                           ignore_case=not self.case.isChecked(),
                           whole_word=self.word.isChecked(), levels=levels)

    def set_levels(self, levels: set[int]) -> None:
        for code, action in self.level_actions.items():
            action.setChecked(code in levels)

    def _changed(self, *, immediate: bool = False) -> None:
        levels = [LEVEL_NAMES[c] for c, a in self.level_actions.items() if a.isChecked()]
        self.levels_button.setText("Levels: " + ", ".join(levels) if levels else "Levels")
        if immediate:
            self._debounce.stop()
            self._emit()
        else:
            self._debounce.start()

    def _emit(self) -> None:
        self.query_changed.emit(self.query())

    def stop(self) -> None:
        """Drop a query still waiting for the typing pause (the log is closing)."""
        self._debounce.stop()

    def focus(self) -> None:
        self.pattern.setFocus()
        self.pattern.selectAll()
