"""Aggregate agents.jsonl events per agent, incrementally: counters, latency, minute buckets.

One pass over the events keeps, per agent, what the table needs (tasks done, failures, success
rate, mean latency, throughput, queue depth, last error, heartbeat and pid) and per-minute
buckets for the detail charts. The loop is the hot path of a 1M-event load (benchmarks/
agents_load.py), so it avoids per-event objects and timestamp parsing: timestamps are kept as
the writer's ISO strings (hafs and :mod:`studio.agent_reporter` write naive local ISO, which
sorts and buckets by prefix) and parsed only when a latency needs a start time or when a
snapshot is taken.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from studio.plugins.agents.eventlog import EventRecord
from studio.plugins.agents.model import AgentEvent
from studio.plugins.agents.sources import parse_time

__all__ = ["AgentSummary", "ChartSeries", "EventAggregator", "normalise_event"]

OPEN_TASKS_LIMIT = 1000  # unmatched starts remembered per agent (a crashed agent leaks them)
OUTCOMES_KEPT = 200  # recent task outcomes per agent, for failure-rate alerts
AGENT_RECENT_KEPT = 200  # recent events per agent (its detail view), whatever others write
# datetime.isoformat() of a naive time: seconds, milliseconds or microseconds, no offset.
_NAIVE_ISO_LENGTHS = frozenset({19, 23, 26})


def _minute_key(ts: Any) -> str | None:
    """``YYYY-MM-DDTHH:MM`` in local time for any timestamp the protocol allows."""
    if type(ts) is str and 16 <= len(ts) <= 26 and ts[10] in "T ":
        tail = ts[19:]
        if "+" not in tail and "-" not in tail and "Z" not in tail:  # naive local time
            return ts[:10] + "T" + ts[11:16]
    seconds = parse_time(ts)
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds).strftime("%Y-%m-%dT%H:%M")


class _Stats:
    __slots__ = (
        "agent",
        "failures",
        "heartbeat_ts",
        "host",
        "interval",
        "items",
        "kind",
        "last_error",
        "last_event",
        "last_task_ts",
        "last_ts",
        "lat_n",
        "lat_sum",
        "log_file",
        "metrics",
        "minutes",
        "open_anon",
        "open_tasks",
        "outcomes",
        "pid",
        "queue_depth",
        "recent",
        "started",
        "starts",
        "stop",
        "successes",
    )

    def __init__(self, agent: str) -> None:
        self.agent = agent
        self.starts = self.successes = self.failures = self.items = 0
        self.lat_sum = 0.0
        self.lat_n = 0
        self.open_tasks: dict[Any, str] = {}
        self.open_anon: str | None = None
        self.minutes: dict[str, list] = {}  # minute → [successes, failures, lat_sum, lat_n]
        self.outcomes: deque = deque(maxlen=OUTCOMES_KEPT)  # True: success
        self.last_ts: str | None = None
        self.last_task_ts: str | None = None  # of the last start/success/failure
        self.last_event = ""
        self.last_error = ""
        self.heartbeat_ts: str | None = None
        self.interval: float | None = None
        self.pid: int | None = None
        self.host = ""
        self.kind = ""
        self.started: str | None = None
        self.queue_depth: int | None = None
        self.log_file = ""
        self.metrics: dict[str, float] = {}
        self.stop: dict | None = None
        self.recent: deque = deque(maxlen=AGENT_RECENT_KEPT)


@dataclass(frozen=True)
class AgentSummary:
    """One agent's aggregated events (the monitor merges it with daemon files and liveness)."""

    agent: str
    kind: str
    tasks_started: int
    tasks_done: int
    failures: int
    items: int
    success_rate: float | None
    mean_latency_ms: float | None
    throughput_per_min: float
    last_error: str
    last_event: str
    last_ts: float | None
    heartbeat_ts: float | None
    last_task_ts: float | None
    interval_s: float | None
    pid: int | None
    host: str
    started: float | None
    queue_depth: int | None
    running_tasks: int
    log_file: str
    metrics: tuple[tuple[str, float], ...]
    stop: dict | None
    recent_failure_rate: float | None  # over the last window of outcomes
    recent_outcomes: int


@dataclass(frozen=True)
class ChartSeries:
    """Per-minute series for one agent (x: POSIX seconds of each minute)."""

    minutes: tuple[float, ...]
    successes: tuple[int, ...]
    failures: tuple[int, ...]
    mean_latency_ms: tuple[float, ...]  # NaN where no task finished that minute


def _duration_ms(start: str | None, end: Any) -> float | None:
    """Milliseconds between a task's start and end timestamps (None when unknown)."""
    if start is None:
        return None
    if start.__class__ is str and end.__class__ is str:
        # Two ISO strings of one writer: subtract them as written (hafs's MetricsLogger lines,
        # ~10x cheaper than converting each to POSIX seconds through the local zone).
        try:
            delta = (datetime.fromisoformat(end) - datetime.fromisoformat(start))
        except (ValueError, TypeError):  # not ISO, or naive against aware: the slow way
            pass
        else:
            seconds = delta.total_seconds()
            return seconds * 1000.0 if seconds >= 0 else None
    begin, finish = parse_time(start), parse_time(end)
    if begin is None or finish is None or finish < begin:
        return None
    return (finish - begin) * 1000.0


class EventAggregator:
    """Feeds on batches of decoded JSON lines; answers summaries, series and recent events."""

    def __init__(self, recent: int = 2000, throughput_window_s: float = 600.0,
                 failure_window: int = 20,
                 time_of: Callable[[Any], float | None] = parse_time) -> None:
        # How the writer's timestamps are read (a remote host's zone and clock).
        self.time_of = time_of
        self.recent_limit = recent
        self.throughput_window_s = throughput_window_s
        self.failure_window = failure_window
        self.reset()

    def reset(self) -> None:
        """Forget everything (the file was replaced or truncated)."""
        self._stats: dict[str, _Stats] = {}
        self.recent: deque = deque(maxlen=self.recent_limit)
        self.total = 0
        self.ignored = 0  # valid JSON that is not an event (no agent name)

    @property
    def agents(self) -> list[str]:
        return list(self._stats)

    def add_batch(self, records: list[EventRecord]) -> None:
        stats = self._stats
        naive_lengths = _NAIVE_ISO_LENGTHS
        ignored = 0
        for rec in records:
            agent = rec.agent
            try:
                st = stats.get(agent)
            except TypeError:  # an unhashable "name" (a list): not an event
                st = None
            if st is None:
                if agent.__class__ is not str or not agent:
                    ignored += 1
                    continue
                st = stats[agent] = _Stats(agent)
            event = rec.event
            ts = rec.timestamp
            st.recent.append(rec)
            if ts is not None:
                st.last_ts = ts
            st.last_event = event
            if event == "success" or event == "failure":  # noqa: PLR1714 - faster than `in`
                ok = event == "success"
                st.last_task_ts = ts
                if ok:
                    st.successes += 1
                    items = rec.items_processed
                    if items.__class__ is int:
                        st.items += items
                else:
                    st.failures += 1
                    error = rec.error
                    st.last_error = error if error.__class__ is str else str(error or "failed")
                task_id = rec.task_id
                if task_id is not None:
                    started = st.open_tasks.pop(task_id, None) if task_id.__class__ is str \
                        or task_id.__class__ is int else None
                else:
                    started, st.open_anon = st.open_anon, None
                duration = rec.duration_ms
                if duration.__class__ is not float and duration.__class__ is not int:
                    duration = _duration_ms(started, ts)
                if ts.__class__ is str and len(ts) in naive_lengths and ts[10] == "T":
                    minute = ts[:16]  # the writers' naive local ISO: bucket by prefix
                else:
                    minute = _minute_key(ts)
                if minute is not None:
                    bucket = st.minutes.get(minute)
                    if bucket is None:
                        bucket = st.minutes[minute] = [0, 0, 0.0, 0]
                    bucket[0 if ok else 1] += 1
                    if duration is not None:
                        bucket[2] += duration
                        bucket[3] += 1
                st.outcomes.append(ok)
                if duration is not None:
                    st.lat_sum += duration
                    st.lat_n += 1
            elif event == "start":
                st.starts += 1
                st.last_task_ts = ts
                task_id = rec.task_id
                if task_id is None:
                    st.open_anon = ts
                elif len(st.open_tasks) < OPEN_TASKS_LIMIT and (
                        task_id.__class__ is str or task_id.__class__ is int):
                    st.open_tasks[task_id] = ts
                if rec.pid is not None:
                    st.pid = rec.pid
            elif event == "heartbeat":
                self._heartbeat(st, rec, ts)
            elif event == "queue":
                depth = rec.depth
                if depth.__class__ is int:
                    st.queue_depth = depth
            elif event == "metric":
                name, value = rec.name, rec.value
                if name.__class__ is str and value.__class__ in (int, float):
                    st.metrics[name] = float(value)
            elif event == "stop":
                st.stop = rec
                st.open_tasks.clear()
                st.open_anon = None
        self.total += len(records) - ignored
        self.ignored += ignored
        # The newest events of every agent, appended once per batch rather than per event.
        tail = records[-self.recent_limit:]
        if ignored:
            tail = [r for r in tail if r.agent.__class__ is str and r.agent in stats]
        self.recent.extend(tail)

    @staticmethod
    def _heartbeat(st: _Stats, rec: EventRecord, ts: Any) -> None:
        st.heartbeat_ts = ts
        st.stop = None  # beating again after a stop: it was restarted
        if rec.pid is not None:
            st.pid = rec.pid
        interval = rec.interval_seconds
        if interval.__class__ in (int, float) and interval > 0:
            st.interval = float(interval)
        if rec.host.__class__ is str:
            st.host = rec.host
        if rec.kind.__class__ is str:
            st.kind = rec.kind
        if rec.started is not None:
            st.started = rec.started
        if rec.queue_depth.__class__ is int:
            st.queue_depth = rec.queue_depth
        if rec.log_file.__class__ is str:
            st.log_file = rec.log_file

    # -- answers --------------------------------------------------------------------------
    def summaries(self, now: float | None = None) -> dict[str, AgentSummary]:
        now = time.time() if now is None else now
        window_start = datetime.fromtimestamp(now - self.throughput_window_s).strftime(
            "%Y-%m-%dT%H:%M")
        result = {}
        time_of = self.time_of
        for name, st in self._stats.items():
            finished = st.successes + st.failures
            recent_done = sum(b[0] for m, b in st.minutes.items() if m > window_start)
            outcomes = list(st.outcomes)[-self.failure_window:]
            recent_rate = (sum(1 for ok in outcomes if not ok) / len(outcomes)
                           if outcomes else None)
            running = len(st.open_tasks) + (1 if st.open_anon is not None else 0)
            result[name] = AgentSummary(
                agent=name, kind=st.kind or "agent", tasks_started=st.starts,
                tasks_done=st.successes, failures=st.failures, items=st.items,
                success_rate=(st.successes / finished) if finished else None,
                mean_latency_ms=(st.lat_sum / st.lat_n) if st.lat_n else None,
                throughput_per_min=recent_done / (self.throughput_window_s / 60.0),
                last_error=st.last_error,
                last_event=st.last_event if isinstance(st.last_event, str) else "",
                last_ts=time_of(st.last_ts), heartbeat_ts=time_of(st.heartbeat_ts),
                last_task_ts=time_of(st.last_task_ts),
                interval_s=st.interval,
                pid=st.pid if type(st.pid) is int and st.pid > 0 else None, host=st.host,
                started=time_of(st.started), queue_depth=st.queue_depth,
                running_tasks=running, log_file=st.log_file,
                metrics=tuple(sorted(st.metrics.items())), stop=_stop_fields(st.stop),
                recent_failure_rate=recent_rate, recent_outcomes=len(outcomes))
        return result

    def series(self, agent: str) -> ChartSeries:
        st = self._stats.get(agent)
        if st is None:
            return ChartSeries((), (), (), ())
        keys = sorted(st.minutes)
        xs, ok, bad, latency = [], [], [], []
        for key in keys:
            seconds = self.time_of(key + ":00")
            if seconds is None:
                continue
            bucket = st.minutes[key]
            xs.append(seconds)
            ok.append(bucket[0])
            bad.append(bucket[1])
            latency.append(bucket[2] / bucket[3] if bucket[3] else math.nan)
        return ChartSeries(tuple(xs), tuple(ok), tuple(bad), tuple(latency))

    def add_dicts(self, records: list[Any]) -> None:
        """Aggregate already-parsed JSON values (dicts; anything else is ignored)."""
        converted = [msgspec.convert(r, EventRecord) for r in records if isinstance(r, dict)]
        self.ignored += len(records) - len(converted)
        self.add_batch(converted)

    def recent_events(self, limit: int | None = None, agent: str | None = None
                      ) -> list[AgentEvent]:
        if agent is None:
            records = list(self.recent)
        else:
            st = self._stats.get(agent)
            records = list(st.recent) if st is not None else []
        if limit is not None:
            records = records[-limit:]
        return [normalise_event(r, self.time_of) for r in records]


def _stop_fields(rec: EventRecord | None) -> dict | None:
    if rec is None:
        return None
    return {"reason": rec.reason, "exit_code": rec.exit_code, "error": rec.error}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def normalise_event(record: dict[str, Any] | EventRecord,
                    time_of: Callable[[Any], float | None] = parse_time) -> AgentEvent:
    """A decoded line as an :class:`AgentEvent` (lenient: wrong types become empty)."""
    rec = record if isinstance(record, dict) else {
        key: value for key, value in msgspec.structs.asdict(record).items() if value is not None}
    event = rec.get("event")
    event = event if isinstance(event, str) else "?"
    value = _number(rec.get("depth")) if event == "queue" else _number(rec.get("value"))
    items = rec.get("items_processed")
    pid = rec.get("pid")
    error = rec.get("error")
    return AgentEvent(
        timestamp=time_of(rec.get("timestamp")), agent=str(rec.get("agent", "")),
        event=event, task=str(rec.get("task") or ""),
        error="" if error is None else str(error),
        items=items if isinstance(items, int) and not isinstance(items, bool) else None,
        duration_ms=_number(rec.get("duration_ms")), value=value,
        name=str(rec.get("name") or "") if event == "metric" else "",
        pid=pid if isinstance(pid, int) and not isinstance(pid, bool) else None,
        host=str(rec.get("host") or ""), raw=rec)
