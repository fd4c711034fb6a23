"""The live state of every agent for one studio: read off the GUI thread, published as snapshots.

An :class:`AgentsMonitor` owns a background thread. Every ``refresh_s`` (and as soon as
``agents.jsonl`` grows: a 100 ms stat poll by its own :class:`~studio.core.filewatch.FileWatcher`)
it reads the new event lines, re-reads the daemon and campaign files whose ``stat`` changed,
checks every pid, decides each agent's status and publishes an immutable
:class:`AgentsSnapshot` on the bus (``agents.snapshot``). Alerts go out as
:class:`~studio.plugins.agents.alerts.AgentAlert` (``agents.alert``) and, for the Messages
view, as a :class:`~studio.core.events.Message` on ``errors.agents``.

Qt-free: the panel, the dashboard cards and ``hafs-studio agents`` share this code; the CLI
calls :meth:`AgentsMonitor.refresh_now` without starting the thread.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.core.events import Event, EventBus, Message
from studio.core.filewatch import FileWatcher
from studio.plugins.agents.aggregate import AgentSummary, ChartSeries, EventAggregator
from studio.plugins.agents.alerts import AgentAlert, AlertTracker
from studio.plugins.agents.campaign import campaign_facts
from studio.plugins.agents.daemons import daemon_facts, discover_daemon_dirs, training_tasks
from studio.plugins.agents.eventlog import EventLogTail
from studio.plugins.agents.liveness import ProcessProbe
from studio.plugins.agents.locations import DAEMONS, AgentLocations
from studio.plugins.agents.model import (
    AgentEvent,
    AgentRow,
    AgentStatus,
    ServiceState,
    SwarmGraph,
    TaskRow,
)
from studio.plugins.agents.rows import campaign_row, daemon_row, event_row
from studio.plugins.agents.service_state import query_service
from studio.plugins.agents.sources import CachedFiles, read_pid_file
from studio.plugins.agents.swarm import parse_swarm

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

    @classmethod
    def from_settings(cls, values: dict[str, Any]) -> MonitorConfig:
        return cls(
            refresh_s=float(values.get("refresh_seconds", cls.refresh_s)),
            events_stale_after_s=float(values.get("events_stale_after_seconds",
                                                  cls.events_stale_after_s)),
            failure_alert_threshold=float(values.get("failure_alert_threshold",
                                                     cls.failure_alert_threshold)),
            alerts=bool(values.get("alerts", cls.alerts)),
        )


@dataclass(frozen=True, slots=True)
class AgentsSnapshot(Event):
    """Every agent as last read; views render it, ``agents list`` prints it."""

    topic = "agents.snapshot"
    rows: tuple[AgentRow, ...] = ()
    tasks: tuple[TaskRow, ...] = ()
    swarm: SwarmGraph | None = None
    recent: tuple[AgentEvent, ...] = ()
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

    def __init__(self, configured_root: Path, *, bus: EventBus | None = None,
                 environ: dict[str, str] | None = None,
                 config: MonitorConfig | None = None) -> None:
        self.locations = AgentLocations.for_roots(Path(configured_root), environ)
        self.bus = bus
        self.config = config or MonitorConfig()
        self.files = CachedFiles()
        self.tail = EventLogTail(self.locations.events_file)
        self.aggregator = EventAggregator(self.config.recent_events,
                                          self.config.throughput_window_s)
        self.alerts = AlertTracker(threshold=self.config.failure_alert_threshold)
        self.hostname = socket.gethostname()
        self.probe = ProcessProbe()
        self._events_path = str(self.locations.events_file)
        self.snapshot = AgentsSnapshot(events_path=str(self.locations.events_file))
        self.selected: str | None = None  # the agent the views show details of
        self._lock = threading.RLock()  # the tail, the aggregator and the snapshot
        self._build_lock = threading.Lock()  # one build at a time (thread, CLI, tests)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._watcher: FileWatcher | None = None
        self._services: tuple[float, dict[str, ServiceState]] = (0.0, {})
        self._generation = 0
        self._last_progress = 0.0
        self._recent: deque[AgentEvent] = deque(maxlen=RECENT_IN_SNAPSHOT)
        self._recent_total = 0  # aggregator.total when _recent was last extended

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> AgentsMonitor:
        if self._thread is not None:
            return self
        self._stop.clear()
        self._watcher = FileWatcher(interval=self.config.events_poll_s)
        self._watcher.watch(self.locations.events_file, lambda _path: self._wake.set())
        self._thread = threading.Thread(target=self._run, name="agents-monitor", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    @property
    def running(self) -> bool:
        return self._thread is not None

    def wake(self) -> None:
        """Refresh soon (after an action, a setting change)."""
        self._wake.set()

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

        result = self.tail.poll(consume, progress)
        if result.reset:
            with self._lock:
                self.aggregator.reset()
                self._recent.clear()
                self._recent_total = 0
            # The file was replaced: read it again from the start.
            self.tail.poll(consume, progress)

    def _service_states(self, now: float) -> dict[str, ServiceState]:
        checked, states = self._services
        if now - checked < self.config.service_poll_s:
            return states
        home = self.locations.home_root.parent
        states = {}
        for spec in DAEMONS.values():
            if spec.service:
                state = query_service(spec.service, home)
                if state is not None:
                    states[spec.folder] = state
        self._services = (now, states)
        return states

    def _build(self, now: float) -> tuple[AgentsSnapshot, list[AgentAlert]]:
        locations = self.locations
        selected = self.selected
        with self._lock:
            summaries = self.aggregator.summaries(now)
            recent = self._recent_events()
            events_total, events_bad = self.aggregator.total, self.tail.total_bad
            series = self.aggregator.series(selected) if selected else None
            selected_events = tuple(self.aggregator.recent_events(
                SELECTED_EVENTS, selected)) if selected else ()
        services = self._service_states(now)
        rows: list[AgentRow] = []
        tasks: list[TaskRow] = []
        problems: list[str] = []
        seen_files: set[Path] = set()
        for folder, directory in discover_daemon_dirs(locations.roots, locations.daemon_dir):
            status_path = directory / "daemon_status.json"
            status = self.files.read_json(status_path)
            scheduled = None
            if folder == "training_daemon":
                scheduled = self.files.read_json(directory / "scheduled_tasks.json")
                seen_files.add(scheduled.path)
            seen_files.add(status_path)
            facts = daemon_facts(folder, status, read_pid_file(directory / "daemon.pid"), now,
                                 scheduled)
            problems += facts.problems
            log = locations.log_file(folder)
            rows.append(daemon_row(
                facts, summaries.get(folder), now=now, host=self.hostname,
                log_file=str(log) if log is not None and log.exists() else "",
                sources=(str(status_path), str(directory / "daemon.pid")),
                service=services.get(folder), check=self.probe.check))
            tasks += facts.tasks
        if not any(row.name == "training_daemon" for row in rows):
            scheduled = self.files.read_json(locations.scheduled_tasks_file)
            seen_files.add(scheduled.path)
            if scheduled.exists:
                tasks += training_tasks(scheduled, now)
        campaign = campaign_facts(locations.training_dir, self.files)
        if campaign is not None:
            rows.append(campaign_row(campaign, now=now, host=self.hostname,
                                     check=self.probe.check))
            problems += campaign.problems
        known = {row.name for row in rows}
        rows += [event_row(summary, now=now, host=self.hostname,
                           events_path=self._events_path,
                           stale_after_s=self.config.events_stale_after_s,
                           check=self.probe.check)
                 for name, summary in summaries.items() if name not in known]
        swarm_reading = self.files.read_json(locations.swarm_file)
        swarm = parse_swarm(swarm_reading)
        if swarm is not None and swarm.error:
            problems.append(swarm.error)
        rows.sort(key=lambda row: row.name.lower())
        alerts = self.alerts.update(tuple(rows), summaries)
        self._generation += 1
        snapshot = AgentsSnapshot(
            rows=tuple(rows), tasks=tuple(sorted(tasks, key=_task_order)), swarm=swarm,
            recent=recent, events_total=events_total, events_bad=events_bad,
            events_path=str(locations.events_file),
            looked_at=tuple(locations.describe()),
            problems=tuple(dict.fromkeys(problems)), taken_at=now, loaded=True,
            generation=self._generation, summaries=summaries, selected=selected,
            selected_series=series, selected_events=selected_events)
        return snapshot, alerts

    def _recent_events(self) -> tuple[AgentEvent, ...]:
        """The newest events as AgentEvents, converting only those added since last time."""
        total = self.aggregator.total
        if total < self._recent_total:  # the file was replaced
            self._recent.clear()
            self._recent_total = 0
        new = min(total - self._recent_total, RECENT_IN_SNAPSHOT)
        if new > 0:
            self._recent.extend(self.aggregator.recent_events(new))
        self._recent_total = total
        return tuple(self._recent)

    # -- answers for the detail view (any thread) ----------------------------------------
    def series(self, agent: str) -> ChartSeries:
        with self._lock:
            return self.aggregator.series(agent)

    def recent_events(self, agent: str | None = None, limit: int = 200) -> list[AgentEvent]:
        with self._lock:
            return self.aggregator.recent_events(limit, agent)

    def _publish_problem(self, text: str) -> None:
        if self.bus is not None:
            self.bus.publish(Message(name="agents-monitor", payload={
                "source": "agents", "error": text, "level": "error"}), topic="errors.agents")


def _task_order(task: TaskRow) -> tuple:
    return (task.next_run is None, task.next_run or 0.0, task.agent, task.name)
