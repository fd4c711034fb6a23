"""The Agents plugin's hook implementations: views, commands, settings, cards, CLI, sample.

Nothing here imports Qt: the CLI loads this module too. Widgets are imported by the factories
the first time a view is shown; command handlers reach the GUI through
:mod:`studio.plugins.agents.widgets.actions` only when they run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio import hookimpl
from studio.core.contributions import (
    CliCommandSpec,
    CommandSpec,
    DashboardCardSpec,
    SettingField,
    SettingsSectionSpec,
    ViewSpec,
)
from studio.plugins.agents.launch import SETTINGS_SECTION, command_setting_fields

if TYPE_CHECKING:
    from studio.core.app import Studio

TABLE_VIEW = "agents.table"
DETAILS_VIEW = "agents.details"
SWARM_VIEW = "agents.swarm"
EVENTS_VIEW = "agents.events"
QUEUE_VIEW = "agents.queue"


def _view(module: str, cls: str) -> Callable[[Any], Any]:
    def factory(context: Any) -> Any:
        import importlib

        return getattr(importlib.import_module(f"studio.plugins.agents.widgets.{module}"),
                       cls)(context)

    return factory


@hookimpl
def studio_register_views(register: Callable[[ViewSpec], None]) -> None:
    register(ViewSpec(TABLE_VIEW, "Agents", _view("table_view", "AgentsTableView"),
                      "mdi6.robot-outline", "left", ("agents",),
                      "Every agent: status, pid, queue, tasks, success rate, latency"))
    register(ViewSpec(DETAILS_VIEW, "Agent Details", _view("details_view", "AgentDetailsView"),
                      "mdi6.chart-timeline-variant", "right", ("agents",),
                      "The selected agent: throughput, latency and failure charts, tasks, "
                      "events, log"))
    register(ViewSpec(SWARM_VIEW, "Swarm", _view("swarm_view", "SwarmView"),
                      "mdi6.graph-outline", "right", ("agents",),
                      "hafs's swarm council: nodes, edges and their status"))
    register(ViewSpec(EVENTS_VIEW, "Agent Events", _view("events_view", "AgentEventsView"),
                      "mdi6.format-list-bulleted-type", "bottom", ("agents",),
                      "Live stream of agents.jsonl with filters"))
    register(ViewSpec(QUEUE_VIEW, "Task Queue", _view("queue_view", "TaskQueueView"),
                      "mdi6.calendar-clock", "bottom", ("agents",),
                      "Scheduled tasks of every agent by next run; queue depths"))


def _action(name: str, studio: Studio) -> Callable[[], Any]:
    def handler() -> Any:
        from studio.plugins.agents.widgets import actions

        return getattr(actions, name)(studio)

    return handler


def _has_gui() -> bool:
    from studio.shell.api import current_shell

    return current_shell() is not None


def _selected_alive(studio: Studio) -> bool:
    from studio.plugins.agents.api import selected_agent

    row = selected_agent(studio) if _has_gui() else None
    return row is not None and row.status.alive and row.local and row.pid is not None


def _selected(studio: Studio) -> bool:
    from studio.plugins.agents.api import selected_agent

    return _has_gui() and selected_agent(studio) is not None


@hookimpl
def studio_register_commands(register: Callable[[CommandSpec], None], studio: Studio) -> None:
    def add(  # noqa: PLR0917 - a compact table of commands reads best positionally
            command_id: str, title: str, handler: str, icon: str,
            enabled: Callable[[Studio], bool], description: str = "") -> None:
        register(CommandSpec(f"agents.{command_id}", title, _action(handler, studio), None,
                             "Agents", icon, "Agents", enabled_when=lambda: enabled(studio),
                             description=description))

    add("stop", "Stop Agent…", "stop_selected", "mdi6.stop-circle-outline", _selected_alive,
        "Send SIGTERM to the selected agent's process (asks first)")
    add("start", "Start Agent", "start_selected", "mdi6.play-circle-outline", _selected,
        "Run the start command configured for the selected agent")
    add("restart", "Restart Agent…", "restart_selected", "mdi6.restart", _selected,
        "Run its restart command, or stop it and start it again")
    add("open-log", "Open Agent Log", "open_log", "mdi6.text-box-outline", _selected,
        "Open the selected agent's log file")
    add("refresh", "Refresh Agents", "refresh", "mdi6.refresh", lambda _s: _has_gui())


@hookimpl
def studio_register_settings(register: Callable[[SettingsSectionSpec], None]) -> None:
    register(SettingsSectionSpec(SETTINGS_SECTION, "Agents", (
        SettingField("refresh_seconds", "float", 1.0, "Refresh every (s)",
                     "How often pids and status files are checked; new events show at once.",
                     minimum=0.2, maximum=60.0),
        SettingField("events_stale_after_seconds", "float", 600.0,
                     "Silent agent without heartbeat is stale after (s)",
                     "For agents that send no heartbeat interval (e.g. hafs MetricsLogger).",
                     minimum=10.0, maximum=86400.0),
        SettingField("failure_alert_threshold", "float", 0.5, "Alert at failure rate",
                     "Alert when this share of an agent's last 20 tasks failed (and it jumped).",
                     minimum=0.05, maximum=1.0),
        SettingField("alerts", "bool", True, "Show alerts",
                     "Status bar and Messages when an agent goes stale or starts failing."),
        SettingField("stop_grace_seconds", "float", 10.0, "Wait after SIGTERM (s)",
                     "How long Stop waits for the process to exit before reporting.",
                     minimum=1.0, maximum=600.0),
        *command_setting_fields(),
    ), "Refresh, alerts, and the start/restart command of each agent."))


@hookimpl
def studio_register_dashboard_cards(register: Callable[[DashboardCardSpec], None]) -> None:
    register(DashboardCardSpec("agents.status", "Agents", _view("cards", "AgentsStatusCard"),
                               order=60))
    register(DashboardCardSpec("agents.queue", "Agent queues", _view("cards", "QueueCard"),
                               order=61))


@hookimpl
def studio_register_cli(register: Callable[[CliCommandSpec], None]) -> None:
    from studio.plugins.agents.cli import app

    register(CliCommandSpec("agents", app, "Background agents: list, events, stop."))


@hookimpl
def studio_populate_sample_workspace(root: Path, report: Callable[[str], None]) -> None:
    from studio.plugins.agents.sample import populate_sample_agents

    populate_sample_agents(Path(root), report)


@hookimpl
def studio_startup(studio: Studio) -> None:
    from studio.plugins.agents.widgets.notify import StatusBarNotifier

    studio.services.provide("agents.notifier", StatusBarNotifier(studio), owner="agents")


@hookimpl
def studio_shutdown(studio: Studio) -> None:
    from studio.plugins.agents.api import close_agents_monitor

    close_agents_monitor(studio)
    if studio.services.has("agents.notifier"):
        studio.services.get("agents.notifier").close()
