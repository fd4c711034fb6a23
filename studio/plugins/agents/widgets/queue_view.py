"""Task Queue: every agent's scheduled tasks by next run, and each agent's queue depth."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from studio.api import format_duration
from studio.plugins.agents.api import AgentsSnapshot, TaskRow
from studio.plugins.agents.present import format_clock
from studio.plugins.agents.widgets.common import SnapshotListener, muted
from studio.shell.api import ViewContext, current_theme, setup_record_table

__all__ = ["TaskQueueView"]

HEADERS = ("Agent", "Task", "Type", "Interval", "Last run", "Next run", "Last status",
           "Last error")


class TaskQueueView(QWidget):
    def __init__(self, context: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("agentsQueue")
        self.studio = context.studio
        self.depths = QLabel()
        self.depths.setTextFormat(Qt.TextFormat.RichText)
        self.depths.setWordWrap(True)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("agentsQueueTable")
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        setup_record_table(self.table, row_height=24).setStretchLastSection(True)
        self.table.setSortingEnabled(False)  # the order is the queue's: next run first
        self.empty = muted()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.depths)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        self._shown: tuple = ()
        self.listener = SnapshotListener.follow(self.studio, self, self.show_snapshot)

    def show_snapshot(self, snapshot: AgentsSnapshot) -> None:
        if not snapshot.loaded:
            return
        queued = [(row.name, row.queue_depth) for row in snapshot.rows
                  if row.queue_depth and row.status.alive]
        theme = current_theme()
        self.depths.setText(
            "Queue depth: " + (" · ".join(f"{html.escape(name)} <b>{depth:,}</b>"
                                          for name, depth in queued)
                               if queued else f"<span style='color:{theme['text.muted']}'>"
                               "nothing waiting in running agents</span>"))
        minute = int(snapshot.taken_at // 60)  # "in 5m" texts change once a minute
        shown = (snapshot.tasks, minute)
        if shown == self._shown:
            return
        self._shown = shown
        self._fill(snapshot.tasks, snapshot.taken_at)
        self.empty.setVisible(not snapshot.tasks)
        self.table.setVisible(bool(snapshot.tasks))
        self.empty.setText("No scheduled tasks: hafs's autonomy and context daemons list theirs "
                           "in daemon_status.json, the training daemon in "
                           "training_daemon/scheduled_tasks.json.")

    def _fill(self, tasks: tuple[TaskRow, ...], now: float) -> None:
        theme = current_theme()
        self.table.setRowCount(len(tasks))
        for r, task in enumerate(tasks):
            if not task.enabled:
                next_run = "disabled"
            elif task.due:
                next_run = "due now"
            else:
                next_run = format_clock(task.next_run, now)
            values = (task.agent, task.name, task.type,
                      format_duration(task.interval_s) if task.interval_s else "—",
                      format_clock(task.last_run, now), next_run, task.last_status or "—",
                      task.last_error)
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                if c == 5 and task.due and task.enabled:
                    item.setForeground(_color(theme["warning"]))
                if c == 6 and task.last_status == "error":
                    item.setForeground(_color(theme["error"]))
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        for column in range(len(HEADERS) - 1):  # long errors stay in the last column
            self.table.setColumnWidth(column, min(self.table.columnWidth(column) + 12, 320))


def _color(value: str) -> object:
    from PySide6.QtGui import QColor

    return QColor(value)
