"""Agent Details: the selected agent's fields, charts, scheduled tasks, recent events, log."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.api import format_duration
from studio.plugins.agents.api import AgentEvent, AgentRow, AgentsSnapshot, TaskRow
from studio.plugins.agents.present import (
    format_clock,
    format_percent,
    format_short_time,
)
from studio.plugins.agents.widgets import actions
from studio.plugins.agents.widgets.charts import AgentCharts
from studio.plugins.agents.widgets.common import SnapshotListener, muted, status_color
from studio.shell.api import ViewContext, icon, setup_record_table

__all__ = ["AgentDetailsView"]

_FIELDS = ("Kind", "Status", "PID", "Host", "Uptime", "Last update", "Interval", "Queue",
           "Tasks", "Success", "Latency", "Throughput", "Last error", "Log", "Sources")


def _table(headers: tuple[str, ...]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    setup_record_table(table, row_height=24).setStretchLastSection(True)
    table.setMinimumHeight(120)
    return table


def _fill(table: QTableWidget, rows: list[tuple[str, ...]]) -> None:
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            item = QTableWidgetItem(value)
            item.setToolTip(value)
            table.setItem(r, c, item)


class AgentDetailsView(QWidget):
    def __init__(self, context: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("agentDetails")
        self.context = context
        self.studio = context.studio
        self.row: AgentRow | None = None
        self._shown: tuple = ()
        self.placeholder = muted("Select an agent in the Agents table to see its charts, "
                                 "tasks, events and log.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)

        body = QWidget()
        column = QVBoxLayout(body)
        self.title = QLabel()
        self.title.setProperty("role", "heading")
        self.reason = muted()
        column.addWidget(self.title)
        column.addWidget(self.reason)
        buttons = QHBoxLayout()
        self.buttons = {}
        for key, text, glyph in (("stop", "Stop…", "mdi6.stop-circle-outline"),
                                 ("start", "Start", "mdi6.play-circle-outline"),
                                 ("restart", "Restart…", "mdi6.restart"),
                                 ("log", "Open log", "mdi6.text-box-outline")):
            button = QToolButton()
            button.setText(text)
            button.setIcon(icon(glyph))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            buttons.addWidget(button)
            self.buttons[key] = button
        buttons.addStretch(1)
        self.buttons["stop"].clicked.connect(lambda: self._act(actions.stop_row))
        self.buttons["start"].clicked.connect(lambda: self._act(actions.start_row))
        self.buttons["restart"].clicked.connect(lambda: self._act(actions.restart_row))
        self.buttons["log"].clicked.connect(
            lambda: self.row is not None and actions.open_log(self.studio, self.row))
        self.buttons["log"].setToolTip("Opens the file in your desktop's viewer (the Logs "
                                       "workspace will open it once it exists)")
        column.addLayout(buttons)

        self.form = QFormLayout()
        self.values: dict[str, QLabel] = {}
        for name in _FIELDS:
            label = QLabel()
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.values[name] = label
            self.form.addRow(name, label)
        self.extra = QFormLayout()
        fields_box = QGroupBox("Agent")
        box_layout = QVBoxLayout(fields_box)
        box_layout.addLayout(self.form)
        box_layout.addLayout(self.extra)
        column.addWidget(fields_box)

        self.charts = AgentCharts()
        charts_box = QGroupBox("Activity (from agents.jsonl)")
        QVBoxLayout(charts_box).addWidget(self.charts)
        column.addWidget(charts_box)

        self.tasks = _table(("Task", "Type", "Interval", "Last run", "Next run", "Status",
                             "Last error"))
        tasks_box = QGroupBox("Scheduled tasks")
        QVBoxLayout(tasks_box).addWidget(self.tasks)
        self.tasks_box = tasks_box
        column.addWidget(tasks_box)

        self.events = _table(("Time", "Event", "Details"))
        events_box = QGroupBox("Recent events")
        QVBoxLayout(events_box).addWidget(self.events)
        column.addWidget(events_box)
        column.addStretch(1)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        self.scroll = scroll
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.placeholder)
        layout.addWidget(scroll, 1)

        theme = context.bus.subscribe("theme.changed", lambda _e: self.charts.restyle(),
                                      owner="agents", latest=True)
        self.destroyed.connect(lambda *_: theme.unsubscribe())
        self.listener = SnapshotListener.follow(self.studio, self, self.show_snapshot)

    def show_snapshot(self, snapshot: AgentsSnapshot) -> None:
        if not snapshot.loaded:
            return
        row = snapshot.get(snapshot.selected) if snapshot.selected else None
        self.row = row
        self.placeholder.setVisible(row is None)
        self.scroll.setVisible(row is not None)
        if row is None:
            return
        self._show_row(row, snapshot.taken_at)
        self.charts.show_series(snapshot.selected_series)
        tasks = [t for t in snapshot.tasks if t.agent == row.name]
        shown = (tuple(tasks), snapshot.selected_events)
        if shown != self._shown:
            self._shown = shown
            self._show_tasks(tasks, snapshot.taken_at)
            self._show_events(snapshot.selected_events, snapshot.taken_at)

    def _show_row(self, row: AgentRow, now: float) -> None:
        colour = status_color(row.status).name()
        self.title.setText(html.escape(row.name))
        self.reason.setText(f"<span style='color:{colour}'><b>{row.status.value}</b></span> — "
                            f"{html.escape(row.reason)}")
        failures = "—" if row.failures is None else f"{row.failures:,} failed"
        done = "—" if row.tasks_done is None else f"{row.tasks_done:,} done"
        values = {
            "Kind": row.kind, "Status": row.status.value,
            "PID": "—" if row.pid is None else (
                f"{row.pid}" + ("" if row.local else f" on {row.remote_host} (checked over SSH)"
                                if row.remote_host else f" on {row.host} (not checked here)")),
            "Host": row.host or "—", "Uptime": format_duration(row.uptime_s(now)),
            "Last update": format_clock(row.last_update, now),
            "Interval": "—" if row.interval_s is None else format_duration(row.interval_s),
            "Queue": "—" if row.queue_depth is None else f"{row.queue_depth:,}",
            "Tasks": f"{done}, {failures}", "Success": format_percent(row.success_rate),
            "Latency": "—" if row.mean_latency_ms is None else f"{row.mean_latency_ms:,.0f} ms",
            "Throughput": "—" if row.throughput_per_min is None
            else f"{row.throughput_per_min:.1f} per minute (last 10 minutes)",
            "Last error": row.last_error or "—",
            "Log": row.log_file or "— (none known)",
            "Sources": "\n".join(row.sources) or "—",
        }
        for name, value in values.items():
            self.values[name].setText(value)
        self.values["Status"].setStyleSheet(f"color: {colour}; font-weight: 600;")
        while self.extra.rowCount():
            self.extra.removeRow(0)
        for label, value in (*row.details,
                             *((f"Metric {name}", f"{value:g}") for name, value in row.metrics)):
            text = QLabel(value)
            text.setWordWrap(True)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.extra.addRow(label, text)
        alive = row.stoppable
        self.buttons["stop"].setEnabled(alive)
        self.buttons["log"].setEnabled(bool(row.log_file) and Path(row.log_file).exists())

    def _show_tasks(self, tasks: list[TaskRow], now: float) -> None:
        self.tasks_box.setVisible(bool(tasks))
        _fill(self.tasks, [
            (t.name, t.type, format_duration(t.interval_s) if t.interval_s else "—",
             format_clock(t.last_run, now), "disabled" if not t.enabled else
             ("due now" if t.due else format_clock(t.next_run, now)), t.last_status or "—",
             t.last_error or "") for t in tasks])

    def _show_events(self, events: tuple[AgentEvent, ...], now: float) -> None:
        _fill(self.events, [(format_short_time(e.timestamp, now), e.event, e.summary())
                            for e in reversed(events)])

    def _act(self, action: object) -> None:
        if self.row is not None:
            action(self.studio, self.row, self)  # type: ignore[operator]
