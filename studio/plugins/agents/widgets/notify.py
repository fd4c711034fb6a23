"""Alerts and action results in every window's status bar.

Installed at start-up (``studio_startup``), before any window exists: the callbacks look for
the running shell when an event arrives, so they are harmless in the CLI. It imports no Qt; it
sits in ``widgets/`` because it talks to the shell.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from studio.plugins.agents.alerts import AgentAlert

if TYPE_CHECKING:
    from studio.api import Studio

__all__ = ["ACTION_TOPIC", "StatusBarNotifier"]

ACTION_TOPIC = "agents.action"


def _post(text: str, timeout_ms: int) -> None:
    from studio.shell.api import current_shell

    shell = current_shell()
    if shell is not None and text:
        shell.post_message(text, timeout_ms)


class StatusBarNotifier:
    """Subscribes to ``agents.alert`` and ``agents.action``; :meth:`close` unsubscribes."""

    def __init__(self, studio: Studio) -> None:
        bus = studio.bus
        self._subscriptions = [
            bus.subscribe(AgentAlert.topic, self._on_alerts, owner="agents", batch=True),
            bus.subscribe(ACTION_TOPIC, self._on_actions, owner="agents", batch=True),
        ]

    @staticmethod
    def _on_alerts(events: list[Any]) -> None:
        alerts = [e for e in events if isinstance(e, AgentAlert)]
        if alerts:
            more = f" (+{len(alerts) - 1} more in Messages)" if len(alerts) > 1 else ""
            _post(f"⚠ {alerts[-1].message}{more}", 15000)

    @staticmethod
    def _on_actions(events: list[Any]) -> None:
        payload = getattr(events[-1], "payload", None) if events else None
        if isinstance(payload, dict):
            _post(str(payload.get("text", "")), 10000)

    def close(self) -> None:
        for subscription in self._subscriptions:
            subscription.unsubscribe()
        self._subscriptions = []
