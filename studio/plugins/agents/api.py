"""The Agents plugin's public, Qt-free API: what the panel, the CLI and other plugins call.

``agents(studio)`` is the studio's :class:`~.service.AgentsService` (service ``"agents"``):
its ``monitor()`` publishes snapshots on ``agents.snapshot`` and alerts on ``agents.alert``;
``stop(name)``, ``start(name)`` and ``restart(name)`` act on an agent by its table name. The
selected agent is the studio selection of kind ``"agent"`` (``studio.selection``); the
commands ``agents.stop``, ``agents.start``, ``agents.restart`` and ``agents.open-log`` act on
it, or on the names a context menu passes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.plugins.agents.aggregate import ChartSeries
from studio.plugins.agents.alerts import AgentAlert
from studio.plugins.agents.control import ControlError, ControlResult
from studio.plugins.agents.launch import AgentCommands
from studio.plugins.agents.model import AgentEvent, AgentRow, AgentStatus, TaskRow
from studio.plugins.agents.monitor import AgentsMonitor, AgentsSnapshot, MonitorConfig
from studio.plugins.agents.service import SELECTION_KIND, SERVICE_NAME, AgentsService

if TYPE_CHECKING:
    from studio.api import Studio

__all__ = [
    "SELECTION_KIND",
    "SERVICE_NAME",
    "AgentAlert",
    "AgentCommands",
    "AgentEvent",
    "AgentRow",
    "AgentStatus",
    "AgentsMonitor",
    "AgentsService",
    "AgentsSnapshot",
    "ChartSeries",
    "ControlError",
    "ControlResult",
    "MonitorConfig",
    "TaskRow",
    "agents",
    "agents_monitor",
    "selected_agent",
]


def agents(studio: Studio) -> AgentsService:
    """The studio's Agents service (ServiceUnavailableError when the plugin is not active)."""
    return studio.services.get(SERVICE_NAME)


def agents_monitor(studio: Studio, *, start: bool = True) -> AgentsMonitor:
    """The studio's live monitor, created on first use (its thread started unless ``start``
    is False, as in the CLI, which calls :meth:`AgentsMonitor.refresh_now` itself)."""
    return agents(studio).monitor(start=start)


def selected_agent(studio: Studio) -> AgentRow | None:
    """The agent selected in the Agents table, as last read."""
    return agents(studio).selected()
