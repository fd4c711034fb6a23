"""Agent Events: the live stream of agents.jsonl, newest first, with filters."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from studio.plugins.agents.api import AgentEvent, AgentsSnapshot
from studio.plugins.agents.present import format_time
from studio.plugins.agents.widgets.common import SnapshotListener, muted
from studio.shell.api import ViewContext, current_theme, setup_record_table

__all__ = ["KINDS", "AgentEventsView", "EventsModel"]

HEADERS = ("Time", "Agent", "Event", "Details")
KEPT = 5000
# Filter name → the event names it shows.
KINDS = {
    "All events": None,
    "Tasks": {"start", "success", "failure"},
    "Failures": {"failure"},
    "Heartbeats": {"heartbeat"},
    "Queue and metrics": {"queue", "metric"},
    "Stops": {"stop"},
}
_COLOUR = {"failure": "error", "success": "success", "stop": "warning"}
Index = QModelIndex | QPersistentModelIndex


class EventsModel(QAbstractTableModel):
    """At most :data:`KEPT` events, newest first."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[AgentEvent] = []

    def add(self, events: list[AgentEvent]) -> None:
        if not events:
            return
        newest_first = list(reversed(events[-KEPT:]))
        self.beginInsertRows(QModelIndex(), 0, len(newest_first) - 1)
        self.events[:0] = newest_first
        self.endInsertRows()
        if len(self.events) > KEPT:
            self.beginRemoveRows(QModelIndex(), KEPT, len(self.events) - 1)
            del self.events[KEPT:]
            self.endRemoveRows()

    def clear(self) -> None:
        self.beginResetModel()
        self.events = []
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.events)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        event = self.events[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return (format_time(event.timestamp), event.agent, event.event,
                    event.summary())[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 2 and \
                event.event in _COLOUR:
            return QColor(current_theme()[_COLOUR[event.event]])
        if role == Qt.ItemDataRole.UserRole:
            return event
        return None


class _Filter(QSortFilterProxyModel):
    def __init__(self) -> None:
        super().__init__()
        self.agent: str | None = None
        self.kinds: set[str] | None = None
        self.text = ""

    def update(self, agent: str | None, kinds: set[str] | None, text: str) -> None:
        staged = hasattr(self, "beginFilterChange")  # Qt >= 6.9 (6.7/6.8: invalidate after)
        if staged:
            self.beginFilterChange()
        self.agent, self.kinds, self.text = agent, kinds, text.lower()
        if staged:
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex) -> bool:
        event: AgentEvent = self.sourceModel().events[source_row]
        if self.agent is not None and event.agent != self.agent:
            return False
        if self.kinds is not None and event.event not in self.kinds:
            return False
        return not self.text or self.text in f"{event.agent} {event.event} " \
                                             f"{event.summary()}".lower()


class AgentEventsView(QWidget):
    def __init__(self, context: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("agentEvents")
        self.studio = context.studio
        self.model = EventsModel()
        self.proxy = _Filter()
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setObjectName("agentEventsTable")
        self.table.setModel(self.proxy)
        setup_record_table(self.table, row_height=22).setStretchLastSection(True)
        self.table.setColumnWidth(0, 150)
        self.table.setColumnWidth(1, 160)
        self.table.setColumnWidth(2, 80)
        self.agent = QComboBox()
        self.agent.setObjectName("agentEventsAgent")
        self.agent.addItem("All agents", None)
        self.kind = QComboBox()
        self.kind.setObjectName("agentEventsKind")
        for name in KINDS:
            self.kind.addItem(name)
        self.text = QLineEdit()
        self.text.setPlaceholderText("Text in task, error or metric…")
        self.text.setClearButtonEnabled(True)
        for signal in (self.agent.currentIndexChanged, self.kind.currentIndexChanged,
                       self.text.textChanged):
            signal.connect(self._refilter)
        self.status = muted(wrap=False)
        bar = QHBoxLayout()
        bar.addWidget(self.agent)
        bar.addWidget(self.kind)
        bar.addWidget(self.text, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        self._total = 0
        self._path = ""
        self.listener = SnapshotListener.follow(self.studio, self, self.show_snapshot)

    def show_snapshot(self, snapshot: AgentsSnapshot) -> None:
        if not snapshot.loaded:
            return
        if snapshot.events_total < self._total:  # the file was replaced: start again
            self.model.clear()
            self._total = 0
        new = snapshot.events_total - self._total
        if new > 0:
            self.model.add(list(snapshot.recent[-min(new, len(snapshot.recent)):]))
        self._total = snapshot.events_total
        self._path = snapshot.events_path
        known = {self.agent.itemData(i) for i in range(self.agent.count())}
        for row in snapshot.rows:
            if row.name not in known and snapshot.summaries.get(row.name) is not None:
                self.agent.addItem(row.name, row.name)
        self._update_status()

    def _refilter(self) -> None:
        self.proxy.update(self.agent.currentData(), KINDS[self.kind.currentText()],
                          self.text.text().strip())
        self._update_status()

    def _update_status(self) -> None:
        shown, kept = self.proxy.rowCount(), self.model.rowCount()
        self.status.setText(f"{shown:,} of the last {kept:,} events shown · {self._total:,} "
                            f"read from {self._path}" if kept else
                            f"No events yet in {self._path}")
