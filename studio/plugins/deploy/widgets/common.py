"""Pieces the Deploy views share: bus events as Qt signals, small formatting helpers."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel, QWidget

from studio.api import Event, format_duration
from studio.plugins.deploy.api import DeploymentsChanged, deploy_manager

__all__ = ["DeployEvents", "OpenChat", "format_uptime", "label", "manager_of"]

MODEL_SELECTED_TOPIC = "models.selected"  # published by the Models list


@dataclass(frozen=True, slots=True)
class OpenChat(Event):
    """Ask the Chat view to talk to a deployment (from the pipeline or the table)."""

    topic = "deploy.open-chat"
    deployment_id: str = ""


class DeployEvents(QObject):
    """Re-emits the bus events the Deploy views follow as Qt signals (GUI thread)."""

    deployments_changed = Signal()
    model_selected = Signal(object)  # model id or None
    open_chat = Signal(str)  # deployment id: "Chat" pressed somewhere

    def __init__(self, studio: Any, parent: QObject) -> None:
        super().__init__(parent)
        bus = studio.bus
        self._subscriptions = [
            bus.subscribe(DeploymentsChanged.topic, lambda *_: self.deployments_changed.emit(),
                          owner="deploy", latest=True),
            bus.subscribe(MODEL_SELECTED_TOPIC, self._selected, owner="deploy", latest=True),
            bus.subscribe(OpenChat.topic, self._open_chat, owner="deploy"),
        ]
        parent.destroyed.connect(lambda *_: self.close())

    def _selected(self, event: Any) -> None:
        event = event[-1] if isinstance(event, list) else event
        self.model_selected.emit(getattr(event, "model_id", None))

    def _open_chat(self, event: Any) -> None:
        self.open_chat.emit(event.deployment_id)

    def close(self) -> None:
        for subscription in self._subscriptions:
            subscription.unsubscribe()
        self._subscriptions = []


def manager_of(context: Any) -> Any:
    return deploy_manager(context.studio)


def format_uptime(since: float | None, now: float | None = None) -> str:
    """How long a deployment has been up, from its start time (epoch seconds)."""
    return "—" if since is None else format_duration((now or time.time()) - since)


def label(text: str = "", role: str | None = None, parent: QWidget | None = None,
          wrap: bool = True) -> QLabel:
    widget = QLabel(text, parent)
    widget.setWordWrap(wrap)
    if role:
        widget.setProperty("role", role)
    return widget
