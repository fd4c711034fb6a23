"""The Messages view: every error and warning the studio knows about, in one list.

Plugin failures, subscriber exceptions, failed commands, keybinding problems and damaged
settings files land here, so nothing that went wrong is only in a log file.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.api import (
    Event,
    KeybindingsChanged,
    Message,
    PluginChanged,
    PluginState,
    SubscriberFailed,
)
from studio.shell.api import icon

__all__ = ["MessagesView"]

_DETAILS_ROLE = Qt.ItemDataRole.UserRole


class MessagesView(QWidget):
    def __init__(self, context: Any) -> None:
        super().__init__()
        self._studio = context.studio
        self.tree = QTreeWidget()
        self.tree.setObjectName("messages-tree")
        self.tree.setHeaderLabels(["Time", "Source", "Message"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setColumnWidth(0, 90)
        self.tree.setColumnWidth(1, 140)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setProperty("role", "mono")
        self.details.setPlaceholderText("Select a message to see its details")
        self.tree.currentItemChanged.connect(self._show_details)
        clear = QPushButton(icon("mdi6.notification-clear-all"), "Clear")
        clear.clicked.connect(self.tree.clear)
        self.count_label = QLabel()
        self.count_label.setProperty("role", "muted")
        header = QHBoxLayout()
        header.addWidget(self.count_label, 1)
        header.addWidget(clear)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.tree)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(header)
        layout.addWidget(splitter, 1)
        self._collect_existing()
        for topic in ("errors", "errors.*", PluginChanged.topic, KeybindingsChanged.topic):
            context.subscribe(topic, self._on_event, batch=True)
        self._update_count()

    def _collect_existing(self) -> None:
        for record in self._studio.plugins.records_sorted():
            if record.state is PluginState.ERRORED:
                self.add(
                    "error",
                    f"plugin {record.name}",
                    f"{record.error_phase}: {record.error}",
                    record.traceback,
                )
            for warning in record.warnings:
                self.add("warning", f"plugin {record.name}", warning)
        for problem in self._studio.commands.problems:
            self.add("warning", "keybindings", problem)
        for warning in self._studio.settings.warnings:
            self.add("warning", "settings", warning)

    def add(self, level: str, source: str, text: str, details: str = "") -> None:
        item = QTreeWidgetItem([time.strftime("%H:%M:%S"), source, text])
        item.setIcon(0, icon("mdi6.alert-circle" if level == "error" else "mdi6.alert"))
        item.setToolTip(2, text)
        item.setData(0, _DETAILS_ROLE, details or text)
        self.tree.insertTopLevelItem(0, item)
        self._update_count()

    def _on_event(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, SubscriberFailed):
                self.add(
                    "error",
                    event.owner,
                    f"failed on {event.event_topic}: {event.error}",
                    event.details,
                )
            elif isinstance(event, PluginChanged) and event.state == PluginState.ERRORED:
                record = self._studio.plugins.records.get(event.name)
                if record is not None:
                    self.add(
                        "error",
                        f"plugin {record.name}",
                        f"{record.error_phase}: {record.error}",
                        record.traceback,
                    )
            elif isinstance(event, KeybindingsChanged):
                for problem in event.problems:
                    self.add("warning", "keybindings", problem)
            elif isinstance(event, Message):
                payload = event.payload if isinstance(event.payload, dict) else {}
                self.add(
                    "error",
                    payload.get("command", event.name),
                    str(payload.get("error", event.payload)),
                )

    def _show_details(self, current: QTreeWidgetItem | None, _previous: object) -> None:
        self.details.setPlainText("" if current is None else str(current.data(0, _DETAILS_ROLE)))

    def _update_count(self) -> None:
        count = self.tree.topLevelItemCount()
        self.count_label.setText("No problems" if count == 0 else f"{count} message(s)")
