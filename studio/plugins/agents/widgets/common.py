"""Pieces every Agents view uses: the bus → Qt bridge, status colours, small labels."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import QLabel

from studio.api import SelectionChanged
from studio.plugins.agents.api import (
    SELECTION_KIND,
    AgentsMonitor,
    AgentsSnapshot,
    AgentStatus,
    agents_monitor,
)
from studio.plugins.agents.present import STATUS_TOKEN
from studio.shell.api import current_theme, icon

if TYPE_CHECKING:
    from studio.api import Studio

__all__ = [
    "SnapshotListener",
    "muted",
    "status_color",
    "status_icon",
]


class SnapshotListener(QObject):
    """Re-emits the monitor's bus events as Qt signals on the GUI thread.

    With the shell's dispatcher ``thread="main"`` events already arrive on the GUI thread;
    without it (tests) they arrive on the monitor's thread and the queued signal hops. The
    subscriptions end with the owning widget.
    """

    snapshot = Signal(object)  # AgentsSnapshot
    selected = Signal(object)  # str | None

    def __init__(self, studio: Studio, parent: QObject) -> None:
        super().__init__(parent)
        self.monitor: AgentsMonitor = agents_monitor(studio)
        bus = studio.bus
        self._subscriptions = [
            bus.subscribe(AgentsSnapshot.topic, self._on_snapshot, owner="agents", latest=True),
            bus.subscribe(f"selection.{SELECTION_KIND}", self._on_selected, owner="agents",
                          latest=True),
        ]
        parent.destroyed.connect(lambda *_: self.close())

    @classmethod
    def follow(cls, studio: Studio, widget: QObject, show: Callable[[AgentsSnapshot], None]
               ) -> SnapshotListener:
        """Call ``show`` with the current snapshot now and with every new one."""
        listener = cls(studio, widget)
        listener.snapshot.connect(show)
        show(listener.monitor.snapshot)
        return listener

    def _on_snapshot(self, event: AgentsSnapshot | list[AgentsSnapshot]) -> None:
        self.snapshot.emit(event[-1] if isinstance(event, list) else event)

    def _on_selected(self, event: SelectionChanged | list[SelectionChanged]) -> None:
        self.selected.emit((event[-1] if isinstance(event, list) else event).first)

    def close(self) -> None:
        for subscription in self._subscriptions:
            subscription.unsubscribe()
        self._subscriptions = []


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
