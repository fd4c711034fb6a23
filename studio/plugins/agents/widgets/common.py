"""Pieces every Agents view uses: the bus → Qt bridge, status colours, small labels."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import QLabel

from studio.plugins.agents.api import (
    SELECTION_KIND,
    AgentsMonitor,
    AgentsSnapshot,
    AgentStatus,
    agents_monitor,
)
from studio.plugins.agents.present import STATUS_TOKEN
from studio.shell.api import current_theme, icon, subscribe_widget

if TYPE_CHECKING:
    from studio.api import Studio

__all__ = [
    "SnapshotListener",
    "muted",
    "status_color",
    "status_icon",
]


class SnapshotListener(QObject):
    """The monitor's snapshots and the agent selection as Qt signals on the GUI thread.

    Built on the shell's :func:`~studio.shell.api.subscribe_widget`: delivered on the GUI
    thread, only the latest when several queued up, ended with the owning widget (or when the
    plugin is torn down).
    """

    snapshot = Signal(object)  # AgentsSnapshot
    selected = Signal(object)  # str | None

    def __init__(self, studio: Studio, parent: QObject) -> None:
        super().__init__(parent)
        self.monitor: AgentsMonitor = agents_monitor(studio)
        subscribe_widget(self, studio.bus, AgentsSnapshot.topic, self.snapshot.emit,
                         owner="agents", latest=True)
        subscribe_widget(self, studio.bus, f"selection.{SELECTION_KIND}",
                         lambda event: self.selected.emit(event.first), owner="agents",
                         latest=True)

    @classmethod
    def follow(cls, studio: Studio, widget: QObject, show: Callable[[AgentsSnapshot], None]
               ) -> SnapshotListener:
        """Call ``show`` with the current snapshot now and with every new one."""
        listener = cls(studio, widget)
        listener.snapshot.connect(show)
        show(listener.monitor.snapshot)
        return listener


def status_color(status: AgentStatus) -> QColor:
    return QColor(current_theme()[STATUS_TOKEN[status]])


def status_icon(status: AgentStatus) -> QIcon:
    glyph = {AgentStatus.RUNNING: "mdi6.play-circle", AgentStatus.IDLE: "mdi6.pause-circle",
             AgentStatus.STALE: "mdi6.clock-alert", AgentStatus.STOPPED: "mdi6.stop-circle",
             AgentStatus.FAILED: "mdi6.alert-circle"}[status]
    return icon(glyph, status_color(status).name())


def muted(text: str = "", wrap: bool = True) -> QLabel:
    label = QLabel(text)
    label.setProperty("role", "muted")
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label
