"""The live state of every agent for one studio: read off the GUI thread, published as snapshots.

An :class:`AgentsMonitor` owns a background thread. Every ``refresh_s``, and as soon as one of
the agent files changes (:class:`~.watching.AgentWatches` on the studio's file watcher), it
reads the new event lines, re-reads the daemon and campaign files whose ``stat`` changed,
checks every pid, decides each agent's status and publishes an immutable
:class:`AgentsSnapshot` on the bus (``agents.snapshot``). Agents of the sync.toml hosts named
in the settings are read by one :class:`~.remote_source.RemoteAgents` thread per host and
merged in (``agent@host``). Alerts go out as :class:`~.alerts.AgentAlert` (``agents.alert``)
and, for the Messages view, as a :class:`~studio.api.Message` on ``errors.agents``.

Qt-free: the panel, the dashboard cards and ``hafs-studio agents`` share this code; the CLI
calls :meth:`AgentsMonitor.refresh_now` without starting the thread.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.api import Event, EventBus, Message
from studio.plugins.agents.aggregate import AgentSummary, ChartSeries, EventAggregator
from studio.plugins.agents.alerts import AgentAlert, AlertTracker
from studio.plugins.agents.bulk_load import preload
from studio.plugins.agents.collect import collect_agents, split_qualified
from studio.plugins.agents.eventlog import EventLogTail
from studio.plugins.agents.files import LocalFiles
from studio.plugins.agents.locations import DAEMONS, SWARM_FILE, AgentLocations
from studio.plugins.agents.model import (
    AgentEvent,
    AgentRow,
    AgentStatus,
    ServiceState,
    SwarmGraph,
    TaskRow,
)
from studio.plugins.agents.service_state import query_service
from studio.plugins.agents.swarm import parse_swarm

if TYPE_CHECKING:
    from studio.api import ContextRoot, ManagedProcess, RemoteManager
    from studio.plugins.agents.remote_probe import RemoteProber
    from studio.plugins.agents.remote_source import RemoteAgents

__all__ = ["AgentsMonitor", "AgentsSnapshot", "MonitorConfig"]

RECENT_IN_SNAPSHOT = 500
SELECTED_EVENTS = 100


@dataclass(frozen=True)
class MonitorConfig:
    refresh_s: float = 1.0
    events_poll_s: float = 0.05  # stat of agents.jsonl: new events show within ~50 ms
    events_stale_after_s: float = 600.0  # agents with neither heartbeat interval nor pid
    service_poll_s: float = 30.0
    throughput_window_s: float = 600.0
    failure_alert_threshold: float = 0.5
    recent_events: int = 2000
    alerts: bool = True
    remote_hosts: tuple[tuple[str, str], ...] = ()  # (sync.toml host, context root there)
    remote_refresh_s: float = 5.0
    # hafs's third way to find a campaign (no pid in its files): the process table, by command
    # line (hafs-formats §2.D). Machine-wide, as in `hafs training stop`.
    campaign_search: bool = True

    @classmethod
    def from_settings(cls, values: dict[str, Any]) -> MonitorConfig:
        from studio.plugins.agents.remote_source import parse_remote_hosts

        try:
            hosts = tuple(parse_remote_hosts(str(values.get("remote_hosts") or "")).items())
        except ValueError:  # refused when set; an old settings file is not a crash
            hosts = ()
        return cls(
            refresh_s=float(values.get("refresh_seconds", cls.refresh_s)),
            events_stale_after_s=float(values.get("events_stale_after_seconds",
                                                  cls.events_stale_after_s)),
            failure_alert_threshold=float(values.get("failure_alert_threshold",
                                                     cls.failure_alert_threshold)),
            alerts=bool(values.get("alerts", cls.alerts)),
            remote_hosts=hosts,
            remote_refresh_s=float(values.get("remote_refresh_seconds", cls.remote_refresh_s)),
            campaign_search=bool(values.get("campaign_search", cls.campaign_search)),
        )


@dataclass(frozen=True, slots=True)
class AgentsSnapshot(Event):
    """Every agent as last read; views render it, ``agents list`` prints it."""

    topic = "agents.snapshot"
    rows: tuple[AgentRow, ...] = ()
    tasks: tuple[TaskRow, ...] = ()
    swarm: SwarmGraph | None = None
    recent: tuple[AgentEvent, ...] = ()  # the newest events of every source, oldest first
    stream_total: int = 0  # events ever appended to ``recent`` (views append the difference)
    stream_resets: int = 0  # changes when an events file was replaced (views start again)
    events_total: int = 0
    events_bad: int = 0
    events_path: str = ""
    looked_at: tuple[tuple[str, str, bool | None], ...] = ()  # exists None: a pattern
    problems: tuple[str, ...] = ()
    taken_at: float = 0.0
    loaded: bool = False
    loading: tuple[int, int] | None = None  # bytes of agents.jsonl read / total
    generation: int = 0
    summaries: dict[str, AgentSummary] = field(default_factory=dict, compare=False)
    # The selected agent's charts and events, computed here so views never read on the GUI
    # thread.
    selected: str | None = None
    selected_series: ChartSeries | None = None
    selected_events: tuple[AgentEvent, ...] = ()

    def get(self, name: str) -> AgentRow | None:
        return next((row for row in self.rows if row.name == name), None)

    def count(self, *statuses: AgentStatus) -> int:
        return sum(1 for row in self.rows if row.status in statuses)

    @property
    def queue_depth(self) -> int:
        return sum(row.queue_depth or 0 for row in self.rows if row.status.alive)


class AgentsMonitor:
    """Reads every agent source for one studio; see the module docstring."""

    def __init__(self, context: ContextRoot, *, bus: EventBus | None = None,
                 config: MonitorConfig | None = None, watcher: Any = None,
                 remote: RemoteManager | None = None,
                 managed: Callable[[], Sequence[ManagedProcess]] | None = None,
                 home: Path | None = None, owner: str = "agents") -> None:
        self.locations = AgentLocations(context)
        self.bus = bus
        self.config = config or MonitorConfig()
        self.files = LocalFiles(self.locations, campaign_search=self.config.campaign_search)
        self.tail = EventLogTail(self.locations.events_file)
        self.aggregator = EventAggregator(self.config.recent_events,
                                          self.config.throughput_window_s)
        self.alerts = AlertTracker(threshold=self.config.failure_alert_threshold)
        self.watcher = watcher  # the studio's FileWatcher (None: the CLI, tests)
        self.remote_manager = remote
        self.managed = managed or (lambda: ())  # the agents this studio started
        self.home = home or Path.home()
        self.owner = owner
        self.snapshot = AgentsSnapshot(events_path=str(self.locations.events_file))
        self.selected: str | None = None  # the agent the views show details of
        self.remotes: dict[str, RemoteAgents] = {}
        self._lock = threading.RLock()  # the tail, the aggregator and the snapshot
        self._build_lock = threading.Lock()  # one build at a time (thread, CLI, tests)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._watches: Any = None
        self._services: tuple[float, dict[str, ServiceState]] = (-1e9, {})
        self._generation = 0
        self._last_progress = 0.0
        self._recent: deque[AgentEvent] = deque(maxlen=RECENT_IN_SNAPSHOT)
        self._recent_total = 0  # aggregator.total when _recent was last extended
        self._stream_total = 0
        self._stream_resets = 0
        self._remote_resets: dict[str, int] = {}

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> AgentsMonitor:
        if self._thread is not None:
            return self
        self._stop.clear()
        if self.watcher is not None:
            from studio.plugins.agents.watching import AgentWatches

            self._watches = AgentWatches(self.watcher, self.locations, self.wake,
                                         events_poll_s=self.config.events_poll_s,
                                         owner=self.owner)
        self._sync_remotes()
        self._thread = threading.Thread(target=self._run, name="agents-monitor", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._watches is not None:
            self._watches.cancel()
            self._watches = None
        for remote in self.remotes.values():
            remote.stop()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    @property
    def running(self) -> bool:
        return self._thread is not None

    def wake(self) -> None:
        """Refresh soon (after an action, a file change)."""
        self._wake.set()

    def configure(self, config: MonitorConfig) -> None:
        """Apply changed settings (refresh period, alerts, remote hosts) from now on."""
        self.config = config
        self.files.campaign_search = config.campaign_search
        self.alerts.threshold = config.failure_alert_threshold
        if self.running:
            self._sync_remotes()
        self.wake()

    def _sync_remotes(self) -> None:
        """One reader thread per configured host; readers of removed hosts stop."""
        if self.remote_manager is None:
            return
        from studio.plugins.agents.remote_source import RemoteAgents

        wanted = dict(self.config.remote_hosts)
        for name in [n for n, r in self.remotes.items() if wanted.get(n) != r.root]:
            self.remotes.pop(name).stop()
        for name, root in wanted.items():
            if name not in self.remotes:
                self.remotes[name] = RemoteAgents(
                    name, root, self.remote_manager, refresh_s=self.config.remote_refresh_s,
                    stale_after_s=self.config.events_stale_after_s, on_update=self.wake)
                self.remotes[name].start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # a wake arriving during the refresh triggers the next one
            try:
                self.refresh_now()
            except Exception as exc:  # a bug must not kill the monitor; say it once per cycle
                self._publish_problem(f"agents monitor: {type(exc).__name__}: {exc}")
            self._wake.wait(self.config.refresh_s)

    # -- reading --------------------------------------------------------------------------
    def refresh_now(self, now: float | None = None) -> AgentsSnapshot:
        """Read everything now and publish the snapshot (CLI, tests, the monitor thread)."""
        with self._build_lock:
            first = not self.snapshot.loaded
            self._poll_events(publish_progress=first)
            snapshot, alerts = self._build(time.time() if now is None else now)
            with self._lock:
                self.snapshot = snapshot
        if self.bus is not None:
            self.bus.publish(snapshot)
            for alert in alerts if self.config.alerts else ():
                self.bus.publish(alert)
                self.bus.publish(Message(name="agent-alert", payload={
                    "source": f"agent {alert.agent}", "error": alert.message,
                    "level": alert.level}), topic="errors.agents")
        return snapshot

    def refresh_remotes(self) -> None:
        """Read every configured host once on this thread (the CLI; the GUI has threads)."""
        from studio.plugins.agents.remote_source import RemoteAgents

        if self.remote_manager is None:
            return
        for name, root in self.config.remote_hosts:
            remote = self.remotes.get(name)
            if remote is None:
                remote = self.remotes[name] = RemoteAgents(
                    name, root, self.remote_manager,
                    stale_after_s=self.config.events_stale_after_s)
            remote.refresh()

    def _poll_events(self, publish_progress: bool) -> None:
        def consume(records: list[Any]) -> None:
            with self._lock:
                self.aggregator.add_batch(records)

        def progress(done: int, total: int) -> None:
            now = time.monotonic()
            if publish_progress and self.bus is not None and now - self._last_progress > 0.25:
                self._last_progress = now
                self.bus.publish(AgentsSnapshot(
                    events_path=str(self.locations.events_file), loading=(done, total),
                    events_total=self.aggregator.total))

        self._preload_events()
        result = self.tail.poll(consume, progress)
        if result.reset:
            with self._lock:
                self.aggregator.reset()
                self._recent_total = 0
                self._stream_resets += 1
            # The file was replaced: read it again from the start.
            self._preload_events()
            self.tail.poll(consume, progress)

    def _preload_events(self) -> None:
        """The first read in one native pass (bulk_load.py), swapped in when done."""
        if not self.tail.offset and not self.aggregator.total and not self.aggregator.agents:
            fresh = EventAggregator(self.config.recent_events, self.config.throughput_window_s)
            if preload(self.tail, fresh):
                with self._lock:
                    self.aggregator = fresh

    def _service_states(self, now: float) -> dict[str, ServiceState]:
        checked, states = self._services
        if now - checked < self.config.service_poll_s:
            return states
        states = {}
        for spec in DAEMONS.values():
            if spec.service:
                state = query_service(spec.service, self.home)
                if state is not None:
                    states[spec.folder] = state
        self._services = (now, states)
        return states

    def _build(self, now: float) -> tuple[AgentsSnapshot, list[AgentAlert]]:
        selected = self.selected
        with self._lock:
            summaries = self.aggregator.summaries(now)
            self._extend_stream()
            events_total, events_bad = self.aggregator.total, self.tail.total_bad
        local = collect_agents(self.files, summaries, now=now,
                               events_path=str(self.locations.events_file),
                               stale_after_s=self.config.events_stale_after_s,
                               services=self._service_states(now))
        if self._watches is not None:
            self._watches.follow(self.files.dir_paths())
        rows, tasks, problems = list(local.rows), list(local.tasks), list(local.problems)
        all_summaries = dict(summaries)
        for name, remote in list(self.remotes.items()):
            state = remote.state
            rows += state.rows
            tasks += state.tasks
            problems += state.problems
            events_total += state.events_total
            all_summaries.update({f"{agent}@{name}": s for agent, s in state.summaries.items()})
        swarm = parse_swarm(self.files.read_json(SWARM_FILE))
        if swarm is not None and swarm.error:
            problems.append(swarm.error)
        rows.sort(key=lambda row: row.name.lower())
        alerts = self.alerts.update(tuple(rows), all_summaries)
        series, selected_events = self._selection(selected)
        self._generation += 1
        snapshot = AgentsSnapshot(
            rows=tuple(rows), tasks=tuple(sorted(tasks, key=_task_order)), swarm=swarm,
            recent=tuple(self._recent), stream_total=self._stream_total,
            stream_resets=self._stream_resets, events_total=events_total,
            events_bad=events_bad, events_path=str(self.locations.events_file),
            looked_at=tuple(self.locations.describe()),
            problems=tuple(dict.fromkeys(problems)), taken_at=now, loaded=True,
            generation=self._generation, summaries=all_summaries, selected=selected,
            selected_series=series, selected_events=selected_events)
        return snapshot, alerts

    def _extend_stream(self) -> None:
        """Append the events read since last time (local ones converted only now)."""
        total = self.aggregator.total
        new = min(total - self._recent_total, RECENT_IN_SNAPSHOT)
        if new > 0:
            self._append(self.aggregator.recent_events(new))
        self._recent_total = total
        for name, remote in list(self.remotes.items()):
            events, resets = remote.take_new_events()
            if resets != self._remote_resets.get(name, 0):
                self._remote_resets[name] = resets
                self._stream_resets += 1
            self._append(events)

    def _append(self, events: list[AgentEvent]) -> None:
        self._recent.extend(events)
        self._stream_total += len(events)

    def _selection(self, name: str | None) -> tuple[ChartSeries | None, tuple[AgentEvent, ...]]:
        if not name:
            return None, ()
        return self.series(name), tuple(self.recent_events(name, SELECTED_EVENTS))

    # -- answers for the detail view and the actions (any thread) ----------------------------
    def _source(self, name: str) -> tuple[str, RemoteAgents | None]:
        agent, host = split_qualified(name, frozenset(self.remotes))
        return agent, self.remotes.get(host) if host else None

    def series(self, agent: str) -> ChartSeries:
        name, remote = self._source(agent)
        if remote is not None:
            return remote.series(name)
        with self._lock:
            return self.aggregator.series(name)

    def recent_events(self, agent: str | None = None, limit: int = 200) -> list[AgentEvent]:
        if agent is not None:
            name, remote = self._source(agent)
            if remote is not None:
                return remote.recent_events(name, limit)
        with self._lock:
            return self.aggregator.recent_events(limit, agent)

    def remote_prober(self, row: AgentRow) -> RemoteProber | None:
        """How to stop ``row`` on its host (None for this machine's agents)."""
        remote = self.remotes.get(row.remote_host) if row.remote_host else None
        return remote.prober() if remote is not None else None

    def _publish_problem(self, text: str) -> None:
        if self.bus is not None:
            self.bus.publish(Message(name="agents-monitor", payload={
                "source": "agents", "error": text, "level": "error"}), topic="errors.agents")


def _task_order(task: TaskRow) -> tuple:
    return (task.next_run is None, task.next_run or 0.0, task.agent, task.name)
