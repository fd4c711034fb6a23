"""The Log Files side view: recent logs, bookmarks of the current log, known formats."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from studio.plugins.logs.api import logs_service
from studio.plugins.logs.service import BookmarksChanged, LogFocused
from studio.shell.api import ViewContext, icon

__all__ = ["LogFilesView"]


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setProperty("role", "subheading")
    return label


class LogFilesView(QWidget):
    def __init__(self, context: ViewContext) -> None:
        super().__init__()
        self.studio = context.studio
        self.service = logs_service(self.studio)
        self.current = ""
        self.recent = QListWidget()
        self.recent.setToolTip("Double-click to open")
        self.recent.itemActivated.connect(self._open_recent)
        self.bookmarks = QListWidget()
        self.bookmarks.setToolTip("Double-click to go to the line")
        self.bookmarks.itemActivated.connect(self._open_bookmark)
        self.bookmarks_title = _heading("Bookmarks")
        self.formats = QLabel()
        self.formats.setWordWrap(True)
        self.formats.setProperty("role", "muted")
        self.formats.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(_heading("Recent logs"))
        layout.addWidget(self.recent, 2)
        layout.addWidget(self.bookmarks_title)
        layout.addWidget(self.bookmarks, 1)
        layout.addWidget(_heading("Formats"))
        layout.addWidget(self.formats)
        context.subscribe("logs.focused", self._on_focused)
        context.subscribe("logs.bookmarks", self._on_bookmarks)
        context.subscribe("logs.open", self._fill_recent)
        context.subscribe("plugins.contributions", self._fill_formats)  # a plugin came or went
        self._fill_recent()
        self._fill_bookmarks()
        self._fill_formats()

    def _fill_formats(self, _event: object = None) -> None:
        self.formats.setText("<br>".join(
            f"<b>{html.escape(fmt.title)}</b> ({html.escape(fmt.id)}"
            + (f", from plugin {html.escape(fmt.plugin)}" if fmt.plugin not in ("", "logs")
               else "") + f"): {html.escape(fmt.description)}"
            for fmt in self.service.formats.items()))

    def _fill_recent(self, _event: object = None) -> None:
        self.recent.clear()
        for path in self.service.recent.items():
            item = QListWidgetItem(icon("mdi6.file-document-outline"), path.rsplit("/", 1)[-1])
            item.setToolTip(path)
            item.setData(Qt.ItemDataRole.UserRole, path)
            self.recent.addItem(item)

    def _fill_bookmarks(self) -> None:
        self.bookmarks.clear()
        name = self.current.rsplit("/", 1)[-1]
        self.bookmarks_title.setText(f"Bookmarks in {name}" if name else "Bookmarks")
        if not self.current:
            return
        for line in self.service.bookmarks.lines(self.current):
            item = QListWidgetItem(icon("mdi6.bookmark-outline"), f"line {line + 1:,}")
            item.setData(Qt.ItemDataRole.UserRole, line)
            self.bookmarks.addItem(item)

    def _on_focused(self, event: LogFocused) -> None:
        self.current = event.path
        self._fill_recent()
        self._fill_bookmarks()

    def _on_bookmarks(self, event: BookmarksChanged) -> None:
        if event.path == self.current:
            self._fill_bookmarks()

    def _open_recent(self, item: QListWidgetItem) -> None:
        self.service.request_open(item.data(Qt.ItemDataRole.UserRole))

    def _open_bookmark(self, item: QListWidgetItem) -> Any:
        if self.current:
            self.service.request_open(self.current, item.data(Qt.ItemDataRole.UserRole))
