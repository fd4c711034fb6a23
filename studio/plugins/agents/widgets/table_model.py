"""The agents table: one row per agent, updated in place from each snapshot."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from studio.api import format_duration
from studio.plugins.agents.api import AgentRow, AgentsSnapshot
from studio.plugins.agents.present import format_percent
from studio.plugins.agents.widgets.common import status_color, status_icon

__all__ = ["COLUMNS", "ROW_ROLE", "SORT_ROLE", "AgentsTableModel"]

COLUMNS = ("Name", "Kind", "Status", "PID", "Host", "Uptime", "Queue", "Done", "Failed",
           "Success", "Latency", "Per min", "Last error")
(NAME, KIND, STATUS, PID, HOST, UPTIME, QUEUE, DONE, FAILED, SUCCESS, LATENCY, PER_MIN,
 LAST_ERROR) = range(len(COLUMNS))
ROW_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
_NUMERIC = {PID, UPTIME, QUEUE, DONE, FAILED, SUCCESS, LATENCY, PER_MIN}
_STATUS_ORDER = {"Failed": 0, "Stale": 1, "Running": 2, "Idle": 3, "Stopped": 4}
Index = QModelIndex | QPersistentModelIndex


def _count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


class AgentsTableModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[AgentRow] = []
        self.now = 0.0

    def set_snapshot(self, snapshot: AgentsSnapshot) -> None:
        rows = list(snapshot.rows)
        self.now = snapshot.taken_at
        if [r.name for r in rows] == [r.name for r in self.rows]:
            self.rows = rows  # same agents: repaint values, keep selection and scroll
            if rows:
                self.dataChanged.emit(self.index(0, 0),
                                      self.index(len(rows) - 1, len(COLUMNS) - 1))
            return
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def row_index(self, name: str) -> int | None:
        return next((i for i, row in enumerate(self.rows) if row.name == name), None)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == SORT_ROLE:
            return self._sort_key(row, column)
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.DecorationRole and column == STATUS:
            return status_icon(row.status)
        if role == Qt.ItemDataRole.ForegroundRole and column == STATUS:
            return status_color(row.status)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == STATUS:
                return f"{row.status.value}: {row.reason}"
            if column == LAST_ERROR and row.last_error:
                return row.last_error
            if column == PID and row.pid is not None and row.remote_host:
                return f"pid on {row.remote_host}: checked over SSH"
            if column == PID and row.pid is not None and not row.local:
                return f"pid on {row.host}: not checked from this machine"
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _text(self, row: AgentRow, column: int) -> str:
        if column == NAME:
            return row.name
        if column == KIND:
            return row.kind
        if column == STATUS:
            return row.status.value
        if column == PID:
            return "—" if row.pid is None else str(row.pid)
        if column == HOST:
            return row.host or "—"
        if column == UPTIME:
            return format_duration(row.uptime_s(self.now))
        if column == QUEUE:
            return _count(row.queue_depth)
        if column == DONE:
            return _count(row.tasks_done)
        if column == FAILED:
            return _count(row.failures)
        if column == SUCCESS:
            return format_percent(row.success_rate)
        if column == LATENCY:
            return "—" if row.mean_latency_ms is None else f"{row.mean_latency_ms:,.0f} ms"
        if column == PER_MIN:
            return "—" if row.throughput_per_min is None else f"{row.throughput_per_min:.1f}"
        return row.last_error.splitlines()[0] if row.last_error else ""

    def _sort_key(self, row: AgentRow, column: int) -> Any:
        values = {PID: row.pid, UPTIME: row.uptime_s(self.now), QUEUE: row.queue_depth,
                  DONE: row.tasks_done, FAILED: row.failures, SUCCESS: row.success_rate,
                  LATENCY: row.mean_latency_ms, PER_MIN: row.throughput_per_min}
        if column in values:
            value = values[column]
            return -1.0 if value is None else float(value)
        if column == STATUS:
            return _STATUS_ORDER.get(row.status.value, 9)
        return self._text(row, column).lower()
