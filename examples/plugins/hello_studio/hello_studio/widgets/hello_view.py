"""The Hello dock: a greeting, the context root, and live event-bus traffic by topic.

The traffic table is a small debugging aid for plugin authors: publish from your plugin and
watch your topic appear here.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hello_studio.greeting import SECTION, make_greeting
from hello_studio.widgets.topic_counts import TopicCounts
from studio.api import Event, SettingChanged
from studio.shell.api import icon

# The bus may deliver a hundred batches a second under load; redrawing the table that often
# would spend the GUI thread on a debugging aid, so counts are shown at most 4 times a second.
REFRESH_MS = 250


class HelloView(QWidget):
    """Created by the studio the first time the "Hello" dock is shown (see ViewSpec.factory)."""

    def __init__(self, context: Any) -> None:
        super().__init__()
        self.setObjectName("hello-view")
        self._studio = context.studio
        self.counts = TopicCounts()

        self.greeting = QLabel()
        self.greeting.setObjectName("hello-greeting")
        self.greeting.setProperty("role", "heading")
        self.greeting.setWordWrap(True)
        greet = QPushButton(icon("mdi6.hand-wave-outline"), "Greet")
        greet.setToolTip("Run the hello.greet command (also Ctrl+Alt+H and the palette)")
        greet.clicked.connect(lambda: context.run_command("hello.greet"))
        header = QHBoxLayout()
        header.addWidget(self.greeting, 1)
        header.addWidget(greet, 0, Qt.AlignmentFlag.AlignTop)

        self.total = QLabel()
        self.total.setObjectName("hello-total")
        self.total.setProperty("role", "muted")
        self.table = QTreeWidget()
        self.table.setObjectName("hello-topics")
        self.table.setHeaderLabels(["Topic", "Events"])
        self.table.setRootIsDecorated(False)
        self.table.setColumnWidth(0, 220)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(header)
        layout.addWidget(self.total)
        layout.addWidget(self.table, 1)

        self._dirty = True
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._refresh)
        self._timer.start()
        # batch=True: one call per bus drain with every event since the last one, on the GUI
        # thread, however fast plugins publish. The subscription ends with this view.
        context.subscribe("*", self._on_events, batch=True)
        self._show_greeting()
        self._refresh()

    def _on_events(self, events: list[Event]) -> None:
        self.counts.add(events)
        self._dirty = True
        if any(isinstance(e, SettingChanged) and e.section == SECTION for e in events):
            self._show_greeting()

    def _show_greeting(self) -> None:
        self.greeting.setText(make_greeting(self._studio.settings, self._studio.context.path))

    def _refresh(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        limit = self._studio.settings.get(SECTION, "top_topics")
        self.total.setText(f"{self.counts.total} events seen on the bus since this view opened")
        self.table.clear()
        for topic, count in self.counts.busiest(limit):
            item = QTreeWidgetItem([topic, str(count)])
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.addTopLevelItem(item)
