"""The Agents plugin's hook implementations: views, commands, settings, cards, CLI, sample.

Nothing here imports Qt: the CLI loads this module too. Widgets are imported by the factories
the first time a view is shown; command handlers reach the GUI through
:mod:`studio.plugins.agents.widgets.actions` only when they run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.api import (
    CliCommandSpec,
    CommandSpec,
    DashboardCardSpec,
    SettingField,
    SettingsSectionSpec,
    ViewSpec,
    hookimpl,
)
from studio.plugins.agents.launch import SETTINGS_SECTION, command_setting_fields
from studio.plugins.agents.model import SELECTION_KIND
from studio.shell.api import lazy_widget

if TYPE_CHECKING:
    from studio.api import CommandContext, Studio

# The Logs workspace opens an agent's log when the Logs plugin is installed; without it the
# desktop's viewer does (studio.plugins.agents.widgets.actions.open_log).
OPTIONAL = ("logs",)

TABLE_VIEW = "agents.table"
DETAILS_VIEW = "agents.details"
SWARM_VIEW = "agents.swarm"
EVENTS_VIEW = "agents.events"
QUEUE_VIEW = "agents.queue"


def _view(module: str, cls: str) -> Callable[[Any], Any]:
    return lazy_widget(f"studio.plugins.agents.widgets.{module}", cls)


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


def _action(name: str) -> Callable[[CommandContext], Any]:
    def handler(context: CommandContext) -> Any:
        from studio.plugins.agents.widgets import actions

        return getattr(actions, name)(context.studio, context.selection)

    return handler


def _action0(name: str, studio: Studio) -> Callable[[], Any]:
    def handler() -> Any:
        from studio.plugins.agents.widgets import actions

        return getattr(actions, name)(studio)

    return handler


def _has_gui() -> bool:
    from studio.shell.api import current_shell

    return current_shell() is not None


def _rows(context: CommandContext) -> list[Any]:
    """The selected agents as last read (none without a window: the CLI has its own verbs)."""
    if not _has_gui() or not context.selection:
        return []
    from studio.plugins.agents.api import agents

    snapshot = agents(context.studio).monitor().snapshot
    return [row for row in map(snapshot.get, context.selection) if row is not None]


def _any_alive(context: CommandContext) -> bool:
    return any(row.stoppable for row in _rows(context))


def _any_selected(context: CommandContext) -> bool:
    return bool(_rows(context))


def _any_log(context: CommandContext) -> bool:
    return any(row.log_file for row in _rows(context))


@hookimpl
def studio_register_commands(register: Callable[[CommandSpec], None], studio: Studio) -> None:
    def add(  # noqa: PLR0917 - a compact table of commands reads best positionally
            command_id: str, title: str, handler: str, icon: str,
            enabled: Callable[[CommandContext], bool], description: str = "") -> None:
        register(CommandSpec(f"agents.{command_id}", title, _action(handler), None,
                             "Agents", icon, "Agents", enabled_when=enabled,
                             description=description, selection=SELECTION_KIND))

    add("stop", "Stop Agent…", "stop_selected", "mdi6.stop-circle-outline", _any_alive,
        "Send SIGTERM to the selected agent's process (asks first)")
    add("start", "Start Agent", "start_selected", "mdi6.play-circle-outline", _any_selected,
        "Run the start command configured for the selected agent")
    add("restart", "Restart Agent…", "restart_selected", "mdi6.restart", _any_selected,
        "Run its restart command, or stop it and start it again")
    add("open-log", "Open Agent Log", "open_log_selected", "mdi6.text-box-outline", _any_log,
        "Open the selected agent's log (in the Logs workspace when it is installed)")
    register(CommandSpec("agents.refresh", "Refresh Agents", _action0("refresh", studio), None,
                         "Agents", "mdi6.refresh", "Agents",
                         enabled_when=_has_gui))


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
        SettingField("campaign_search", "bool", True, "Find a campaign by its command line",
                     "When no campaign pid file names it, look for a process running a hafs "
                     "campaign script, as `hafs training stop` does."),
        SettingField("remote_hosts", "str", "", "Remote hosts",
                     "sync.toml hosts whose agents to show, comma-separated; name=/path sets "
                     "the context root there (default ~/.context). Read over SSH.",
                     validate=_validate_remote_hosts),
        SettingField("remote_refresh_seconds", "float", 5.0, "Read remote hosts every (s)",
                     "One SSH probe per host per period; changed files are fetched.",
                     minimum=1.0, maximum=3600.0),
        *command_setting_fields(),
    ), "Refresh, alerts, remote hosts, and the start/restart command of each agent."))


def _validate_remote_hosts(value: str) -> None:
    from studio.plugins.agents.remote_source import parse_remote_hosts

    parse_remote_hosts(value)


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
    # Cheap: the service reads nothing until its monitor is first asked for. Both are closed
    # by the studio when the plugin is torn down or the studio exits.
    from studio.plugins.agents.service import OWNER, SERVICE_NAME, AgentsService
    from studio.plugins.agents.widgets.notify import StatusBarNotifier

    studio.services.provide(SERVICE_NAME, AgentsService(studio), owner=OWNER)
    studio.services.provide("agents.notifier", StatusBarNotifier(studio), owner=OWNER)
