"""Dashboard cards: agents running / stale / failing, and queue depth."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from studio.plugins.agents.api import AgentsSnapshot, AgentStatus
from studio.plugins.agents.present import STATUS_TOKEN
from studio.plugins.agents.widgets.common import SnapshotListener
from studio.shell.api import ViewContext, current_theme, icon

__all__ = ["AgentsStatusCard", "QueueCard"]


class _Card(QWidget):
    def __init__(self, context: ViewContext) -> None:
        super().__init__()
        self.context = context
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        self.body = QLabel("Reading agents…")
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setWordWrap(True)
        layout.addWidget(self.body, 0, Qt.AlignmentFlag.AlignTop)
        button = QPushButton(icon("mdi6.robot-outline"), "Open Agents")
        button.clicked.connect(lambda: context.run_command("workbench.workspace.agents"))
        layout.addWidget(button, 0, Qt.AlignmentFlag.AlignLeft)
        self.listener = SnapshotListener.follow(context.studio, self, self._render)

    def _render(self, snapshot: AgentsSnapshot) -> None:
        if snapshot.loaded:
            self.render(snapshot)

    def render(self, snapshot: AgentsSnapshot) -> None:
        raise NotImplementedError


def _big(count: int, label: str, colour: str) -> str:
    return (f"<span style='font-size:20pt; font-weight:600; color:{colour}'>{count}</span>"
            f"&nbsp;{label}")


class AgentsStatusCard(_Card):
    def render(self, snapshot: AgentsSnapshot) -> None:
        if not snapshot.rows:
            self.body.setText("No agents have reported yet.")
            return
        theme = current_theme()
        running = snapshot.count(AgentStatus.RUNNING, AgentStatus.IDLE)
        stale = snapshot.count(AgentStatus.STALE)
        failing = snapshot.count(AgentStatus.FAILED) + sum(
            1 for row in snapshot.rows if row.status.alive and row.success_rate is not None
            and row.success_rate < 0.5 and (row.failures or 0) > 0)
        muted = theme["text.muted"]
        parts = [_big(running, "running", theme[STATUS_TOKEN[AgentStatus.RUNNING]]
                      if running else muted),
                 _big(stale, "stale", theme["warning"] if stale else muted),
                 _big(failing, "failing", theme["error"] if failing else muted)]
        troubled = [row for row in snapshot.rows
                    if row.status in (AgentStatus.STALE, AgentStatus.FAILED)][:3]
        lines = "".join(f"<br>{html.escape(row.name)}: {html.escape(row.reason)}"
                        for row in troubled)
        self.body.setText("&nbsp;&nbsp;".join(parts) + f"<br>of {len(snapshot.rows)} agents"
                          + lines)


class QueueCard(_Card):
    def render(self, snapshot: AgentsSnapshot) -> None:
        queued = sorted(((row.queue_depth or 0, row.name) for row in snapshot.rows
                         if row.status.alive and row.queue_depth), reverse=True)
        due = sum(1 for task in snapshot.tasks if task.due and task.enabled)
        if not queued and not due:
            self.body.setText("Nothing queued in running agents.")
            return
        theme = current_theme()
        top = "".join(f"<br>{html.escape(name)}: <b>{depth:,}</b>" for depth, name in queued[:4])
        self.body.setText(_big(snapshot.queue_depth, "items queued", theme["accent"])
                          + f"<br>{due} scheduled task{'s' * (due != 1)} due" + top)
