"""The Agents plugin's per-studio service (``studio.services.get("agents")``).

Provided when the plugin starts (cheap: nothing is read until the monitor is first asked for)
and withdrawn, and closed, when the plugin is torn down. It owns the studio's one
:class:`~studio.plugins.agents.monitor.AgentsMonitor` (created on first use, wired to the
studio's file watcher, event bus, remote hosts and the ``agent`` selection) and the actions:
stop, start, restart by agent name, with the commands configured in the ``agents`` settings.

**Agents the studio starts stop with the studio.** Start runs the configured argv through
``studio.services.process`` (no shell; own process group; output in a log under the studio's
state folder; ``HAFS_AGENT_EVENTS`` pointing at the events file this studio reads). A command
still running after a moment is the agent itself: a long-lived child of the studio with a pid
file, terminated when the studio exits and offered for cleanup on the next start if the studio
crashed (``hafs-studio processes orphans``); it is never left running unnoticed. An agent that
must outlive the studio belongs to the init system: the hafs daemons' commands are
``hafs services start …`` (launchd/systemd own the daemon, the command exits at once), and any
other agent can be started the same way (``systemd-run --user …``). See docs/agents.md.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Any

from studio.api import NULL_CONTEXT, JobContext, SelectionChanged
from studio.plugins.agents.control import (
    ControlError,
    ControlResult,
    start_agent,
    stop_agent,
)
from studio.plugins.agents.launch import SETTINGS_SECTION, AgentCommands, commands_for
from studio.plugins.agents.model import SELECTION_KIND

if TYPE_CHECKING:
    from studio.api import Studio
    from studio.plugins.agents.model import AgentRow
    from studio.plugins.agents.monitor import AgentsMonitor

__all__ = ["OWNER", "SELECTION_KIND", "SERVICE_NAME", "AgentsService", "process_name"]

SERVICE_NAME = "agents"
OWNER = "agents"  # the plugin: owner of its jobs, processes, watches and subscriptions
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def process_name(agent: str) -> str:
    """A managed-process name for ``agent`` (the process service accepts file-name-safe
    names only)."""
    name = _UNSAFE.sub("-", agent).strip("-.") or "agent"
    return f"agent-{name}"[:80]


class AgentsService:
    """The monitor and the actions of one studio; see the module docstring."""

    def __init__(self, studio: Studio) -> None:
        self.studio = studio
        self._monitor: AgentsMonitor | None = None
        self._lock = threading.Lock()
        self._subscriptions: list[Any] = []
        self._closed = False

    # -- the monitor ---------------------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        try:
            return self.studio.settings.values(SETTINGS_SECTION)
        except KeyError:  # the section is not registered (loaded without settings)
            return {}

    def monitor(self, *, start: bool = True) -> AgentsMonitor:
        """The studio's monitor, created on first use; its thread started unless ``start`` is
        False (the CLI calls :meth:`AgentsMonitor.refresh_now` itself)."""
        with self._lock:
            if self._monitor is None:
                self._monitor = self._create()
            monitor = self._monitor
        if start and not monitor.running and not self._closed:
            monitor.start()
        return monitor

    def _create(self) -> AgentsMonitor:
        from studio.plugins.agents.monitor import AgentsMonitor, MonitorConfig

        studio = self.studio
        monitor = AgentsMonitor(
            studio.context, bus=studio.bus, config=MonitorConfig.from_settings(self.settings()),
            watcher=studio.watcher, remote=studio.services.remote,
            managed=lambda: studio.services.process.processes(OWNER))
        monitor.selected = studio.selection.first(SELECTION_KIND)
        bus = studio.bus
        self._subscriptions = [
            bus.subscribe(f"selection.{SELECTION_KIND}", self._on_selection, owner=OWNER,
                          thread="publisher"),
            bus.subscribe("settings.changed", self._on_setting, owner=OWNER,
                          thread="publisher"),
        ]
        return monitor

    def _on_selection(self, event: SelectionChanged) -> None:
        monitor = self._monitor
        if monitor is not None and monitor.selected != event.first:
            monitor.selected = event.first
            monitor.wake()  # the next snapshot carries its charts and events

    def _on_setting(self, event: Any) -> None:
        monitor = self._monitor
        if monitor is not None and getattr(event, "section", "") == SETTINGS_SECTION:
            from studio.plugins.agents.monitor import MonitorConfig

            monitor.configure(MonitorConfig.from_settings(self.settings()))

    def selected(self) -> AgentRow | None:
        """The selected agent as last read (None when nothing is selected)."""
        name = self.studio.selection.first(SELECTION_KIND)
        return self.monitor().snapshot.get(name) if name else None

    def select(self, name: str | None) -> None:
        self.studio.selection.set(SELECTION_KIND, name)

    # -- actions -------------------------------------------------------------------------
    def commands(self, name: str) -> AgentCommands:
        """The start/restart argv configured for ``name`` (ValueError for a bad setting)."""
        return commands_for(name, self.settings())

    def row(self, name: str, *, fresh: bool = True) -> AgentRow:
        monitor = self.monitor(start=False)
        snapshot = monitor.refresh_now() if fresh or not monitor.snapshot.loaded \
            else monitor.snapshot
        row = snapshot.get(name)
        if row is None:
            known = ", ".join(r.name for r in snapshot.rows) or "none"
            raise ControlError(f"no agent called {name!r} (known: {known})")
        return row

    def _grace(self) -> float:
        return float(self.settings().get("stop_grace_seconds", 10.0))

    def stop(self, name: str, *, row: AgentRow | None = None,
             ctx: JobContext = NULL_CONTEXT) -> ControlResult:
        """Stop the agent (``row``: what the user confirmed; else a fresh reading)."""
        row = row or self.row(name)
        monitor = self.monitor(start=False)
        result = stop_agent(row, self._grace(), ctx,
                            managed=self.studio.services.process.processes(OWNER),
                            remote=monitor.remote_prober(row))
        monitor.wake()
        return result

    def _checked_commands(self, name: str) -> AgentCommands:
        try:
            return self.commands(name)
        except ValueError as exc:  # a setting that does not parse, named in the message
            raise ControlError(str(exc)) from None

    def _run(self, name: str, argv: list[str], ctx: JobContext) -> ControlResult:
        monitor = self.monitor(start=False)
        result = start_agent(name, argv, self.studio.services.process,
                             process_name=process_name(name), owner=OWNER,
                             env={"HAFS_AGENT_EVENTS": str(monitor.locations.events_file)},
                             ctx=ctx)
        monitor.wake()
        return result

    def start(self, name: str, *, ctx: JobContext = NULL_CONTEXT) -> ControlResult:
        commands = self._checked_commands(name)
        if not commands.start:
            raise ControlError(f"{name}: no start command is configured (Preferences ▸ Agents)")
        return self._run(name, commands.start, ctx)

    def restart(self, name: str, *, ctx: JobContext = NULL_CONTEXT) -> ControlResult:
        """The configured restart command, else Stop (when it runs) and then Start."""
        commands = self._checked_commands(name)
        if commands.restart:
            return self._run(name, commands.restart, ctx)
        row = self.row(name)
        if row.status.alive:
            stopped = self.stop(name, row=row, ctx=ctx)
            if not stopped.ok:
                raise ControlError(stopped.message + "; not restarted")
        return self.start(name, ctx=ctx)

    def close(self) -> None:
        """The plugin is torn down or the studio exits: stop reading (the studio itself
        cancels the plugin's watches, jobs and processes)."""
        self._closed = True
        for subscription in self._subscriptions:
            subscription.unsubscribe()
        self._subscriptions = []
        with self._lock:
            monitor = self._monitor
        if monitor is not None:
            monitor.stop()
