"""The Agents plugin's public, Qt-free API: what the panel, the CLI and other plugins call.

``agents_monitor(studio)`` is the one live :class:`AgentsMonitor` of a studio (provided as the
``agents`` service); its snapshots are published on ``agents.snapshot``, alerts on
``agents.alert`` and the selected agent on ``agents.selected``. The actions resolve an agent by
name in the latest snapshot and use the commands configured in the ``agents`` settings.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from studio.core.events import Event
from studio.core.jobs import NULL_CONTEXT, JobContext
from studio.core.services import ServiceUnavailableError
from studio.plugins.agents.aggregate import ChartSeries
from studio.plugins.agents.alerts import AgentAlert
from studio.plugins.agents.control import (
    ControlError,
    ControlResult,
    start_agent,
    stop_agent,
)
from studio.plugins.agents.launch import SETTINGS_SECTION, AgentCommands, commands_for
from studio.plugins.agents.model import AgentEvent, AgentRow, AgentStatus, TaskRow
from studio.plugins.agents.monitor import AgentsMonitor, AgentsSnapshot, MonitorConfig

if TYPE_CHECKING:
    from studio.core.app import Studio

__all__ = [
    "SERVICE_NAME",
    "AgentAlert",
    "AgentEvent",
    "AgentRow",
    "AgentSelected",
    "AgentStatus",
    "AgentsMonitor",
    "AgentsSnapshot",
    "ChartSeries",
    "ControlError",
    "ControlResult",
    "TaskRow",
    "agent_commands",
    "agents_monitor",
    "close_agents_monitor",
    "restart_agent",
    "select_agent",
    "selected_agent",
    "start_agent_by_name",
    "stop_agent_by_name",
]

SERVICE_NAME = "agents"
_create_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class AgentSelected(Event):
    """The user selected an agent (the detail view follows it)."""

    topic = "agents.selected"
    name: str | None = None


def _settings_values(studio: Studio) -> dict[str, Any]:
    try:
        return studio.settings.values(SETTINGS_SECTION)
    except KeyError:  # the section is not registered (the plugin is loaded without settings)
        return {}


def agents_monitor(studio: Studio, *, start: bool = True) -> AgentsMonitor:
    """The studio's monitor, created on first use (and its thread started unless ``start``
    is False, as in the CLI, which calls :meth:`AgentsMonitor.refresh_now` itself)."""
    with _create_lock:
        try:
            monitor = studio.services.get(SERVICE_NAME)
        except ServiceUnavailableError:
            config = MonitorConfig.from_settings(_settings_values(studio))
            monitor = AgentsMonitor(studio.context.path, bus=studio.bus, config=config)
            studio.services.provide(SERVICE_NAME, monitor, owner="agents")
    if start and not monitor.running:
        monitor.start()
    return monitor


def close_agents_monitor(studio: Studio) -> None:
    try:
        monitor = studio.services.get(SERVICE_NAME)
    except ServiceUnavailableError:
        return
    monitor.stop()


def select_agent(studio: Studio, name: str | None) -> None:
    monitor = agents_monitor(studio)
    if monitor.selected != name:
        monitor.selected = name
        studio.bus.publish(AgentSelected(name=name))
        monitor.wake()  # the next snapshot carries its charts and events


def selected_agent(studio: Studio) -> AgentRow | None:
    monitor = agents_monitor(studio)
    name = monitor.selected
    return monitor.snapshot.get(name) if name else None


def agent_commands(studio: Studio, name: str) -> AgentCommands:
    """The start/restart argv configured for ``name`` (ValueError for a bad setting)."""
    return commands_for(name, _settings_values(studio))


def _row(studio: Studio, name: str, fresh: bool) -> AgentRow:
    monitor = agents_monitor(studio, start=False)
    snapshot = monitor.refresh_now() if fresh or not monitor.snapshot.loaded else monitor.snapshot
    row = snapshot.get(name)
    if row is None:
        known = ", ".join(r.name for r in snapshot.rows) or "none"
        raise ControlError(f"no agent called {name!r} (known: {known})")
    return row


def _grace(studio: Studio) -> float:
    return float(_settings_values(studio).get("stop_grace_seconds", 10.0))


def stop_agent_by_name(studio: Studio, name: str, *, row: AgentRow | None = None,
                       ctx: JobContext = NULL_CONTEXT) -> ControlResult:
    """SIGTERM the agent (``row``: what the user confirmed; else a fresh reading)."""
    result = stop_agent(row or _row(studio, name, fresh=True), _grace(studio), ctx)
    agents_monitor(studio, start=False).wake()
    return result


def _checked_commands(studio: Studio, name: str) -> AgentCommands:
    try:
        return agent_commands(studio, name)
    except ValueError as exc:  # a setting that does not parse, named in the message
        raise ControlError(str(exc)) from None


def start_agent_by_name(studio: Studio, name: str, *, ctx: JobContext = NULL_CONTEXT
                        ) -> ControlResult:
    commands = _checked_commands(studio, name)
    if not commands.start:
        raise ControlError(f"{name}: no start command is configured (Preferences ▸ Agents)")
    result = start_agent(name, commands.start, studio.paths.state / "logs" / "agents", ctx=ctx)
    agents_monitor(studio, start=False).wake()
    return result


def restart_agent(studio: Studio, name: str, *, ctx: JobContext = NULL_CONTEXT
                  ) -> ControlResult:
    """The configured restart command, else Stop (when it runs) and then Start."""
    commands = _checked_commands(studio, name)
    if commands.restart:
        result = start_agent(name, commands.restart, studio.paths.state / "logs" / "agents",
                             ctx=ctx)
        agents_monitor(studio, start=False).wake()
        return result
    row = _row(studio, name, fresh=True)
    if row.status.alive:
        stopped = stop_agent(row, _grace(studio), ctx)
        if not stopped.ok:
            raise ControlError(stopped.message + "; not restarted")
    return start_agent_by_name(studio, name, ctx=ctx)


def series(studio: Studio, name: str) -> ChartSeries:
    return agents_monitor(studio).series(name)


def recent_events(studio: Studio, name: str | None = None, limit: int = 200
                  ) -> list[AgentEvent]:
    return agents_monitor(studio).recent_events(name, limit)
