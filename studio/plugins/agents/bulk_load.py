"""First read of a large agents.jsonl in one native pass (issue 13: 1M events in < 2 s).

:class:`EventAggregator.add_batch` costs about 3 µs per event in Python, on top of msgspec's
decode; a year of agent history is millions of lines. The first read of the file therefore
goes through ``studio.native``: a C++ scanner (native/src/agent_events.cpp) reads every line
strictly and returns NumPy columns (agent id, event code, naive-ISO time in µs, task id key,
duration, items, flags saying which optional fields have which type); a second C++ pass runs
the order-dependent part of ``add_batch`` (task start/end matching, latency sums in file order,
minute buckets). NumPy then finds, per agent, the last row of each kind (last error, last
heartbeat, pid, queue depth ...) and only those few lines, the recent ones and the still-open
tasks are decoded with msgspec into the same :class:`EventRecord` values ``add_batch`` keeps.
The result is the aggregator state ``add_batch`` would build from the same lines as one batch.

Correctness comes first: a line the scanner is not sure of (invalid JSON, an escape in the
agent, event, timestamp or task id, a timestamp that is not naive ISO, a huge number ...) is
decoded with msgspec. If msgspec refuses it too, it is a bad line; if its agent is not a name,
it is not an event. Otherwise the fast path stops before that line and the caller reads the
rest with the msgspec path, which continues from the state built here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import msgspec
import numpy as np

from studio.api import native
from studio.plugins.agents.aggregate import (
    AGENT_RECENT_KEPT,
    OUTCOMES_KEPT,
    EventAggregator,
    _Stats,
)
from studio.plugins.agents.eventlog import EventLogTail, EventRecord

__all__ = ["BulkLoad", "load_events", "preload"]

# Row status and event codes of native/src/agent_events.h.
_EVENT, _IGNORED, _UNSURE, _BAD = 0, 1, 2, 3
_START, _SUCCESS, _FAILURE, _HEARTBEAT, _QUEUE, _METRIC, _STOP = 1, 2, 3, 4, 5, 6, 7
_F_PID, _F_INTERVAL, _F_HOST, _F_KIND, _F_STARTED = 1, 2, 4, 8, 16
_F_QUEUE_DEPTH, _F_LOG_FILE, _F_DEPTH, _F_METRIC, _F_ITEMS = 32, 64, 128, 256, 512
_DAY_ONE = datetime(1, 1, 1)
_DECODER = msgspec.json.Decoder(EventRecord)


class BulkLoad(NamedTuple):
    """What :func:`load_events` took: ``used`` bytes (whole lines); the rest is the caller's."""

    lines: int = 0  # events and other JSON objects (EventLogTail's count)
    bad: int = 0
    used: int = 0


def load_events(aggregator: EventAggregator, data: bytes | memoryview) -> BulkLoad:
    """Aggregate the leading complete lines of ``data`` into an empty ``aggregator``.

    ``data`` must end at a line end. Returns nothing taken when the native module is missing
    or the aggregator already holds events (the fast path has no way to continue a state).
    """
    if not native.native_available() or aggregator.total or aggregator.ignored \
            or aggregator.agents or not len(data):
        return BulkLoad()
    rows = native.scan_agent_events(data)
    view = memoryview(data)
    status = rows["status"]
    count = _settle_unsure_lines(rows, view)
    status = status[:count]
    agent, event, flags = rows["agent"][:count], rows["event"][:count], rows["flags"][:count]
    is_event = status == _EVENT
    agents = int(agent[is_event].max()) + 1 if is_event.any() else 0
    items = rows["items"][:count][is_event & (event == _SUCCESS) & ((flags & _F_ITEMS) > 0)]
    if len(items) and int(np.abs(items).max()) * len(items) >= 2 ** 62:
        return BulkLoad()  # an int64 sum could overflow: Python's ints take it
    totals = native.aggregate_agent_events(rows, count, agents)
    used = int(rows["line_begin"][count]) if count < len(rows["status"]) else len(view)
    decode = _LineDecoder(view, rows["line_begin"], rows["line_end"])
    names = [name.decode("utf-8") for name in rows["agent_names"][:agents]]
    _build_stats(aggregator, names, totals, decode, agent=agent, event=event, flags=flags,
                 is_event=is_event)
    records = np.flatnonzero(status <= _IGNORED)
    tail = records[-aggregator.recent_limit:]
    aggregator.recent.extend(decode(int(r)) for r in tail[status[tail] == _EVENT])
    aggregator.total += int(is_event.sum())
    aggregator.ignored += int((status == _IGNORED).sum())
    return BulkLoad(lines=len(records), bad=int((status == _BAD).sum()), used=used)


def preload(tail: EventLogTail, fresh: EventAggregator) -> bool:
    """Read ``tail``'s file into the empty ``fresh`` aggregator in one native pass, before its
    first poll; True when that took any lines (``tail.poll`` reads on from there)."""
    return bool(tail.preload(lambda data: load_events(fresh, data)).lines)


def _settle_unsure_lines(rows: dict[str, Any], view: memoryview) -> int:
    """msgspec decides each line the scanner left open; the number of rows the fast path takes."""
    status = rows["status"]
    begins, ends = rows["line_begin"], rows["line_end"]
    for row in np.flatnonzero(status == _UNSURE).tolist():
        try:
            record = _DECODER.decode(view[begins[row]:ends[row]])
        except msgspec.DecodeError:
            status[row] = _BAD
            continue
        name = record.agent
        if name.__class__ is not str or not name:
            status[row] = _IGNORED
            continue
        return row  # a real event the columns cannot hold: msgspec reads from here on
    return len(status)


class _LineDecoder:
    """Row → EventRecord, each line decoded once."""

    def __init__(self, view: memoryview, begins: np.ndarray, ends: np.ndarray) -> None:
        self.view, self.begins, self.ends = view, begins, ends
        self.done: dict[int, EventRecord] = {}

    def __call__(self, row: int) -> EventRecord:
        record = self.done.get(row)
        if record is None:
            record = self.done[row] = _DECODER.decode(self.view[self.begins[row]:self.ends[row]])
        return record


def _last_rows(agents: int, agent: np.ndarray, mask: np.ndarray) -> list[int]:
    """Per agent id, the last row where ``mask`` holds (-1: none)."""
    rows = np.flatnonzero(mask)
    last = np.full(agents, -1, dtype=np.int64)
    np.maximum.at(last, agent[rows], rows)
    return last.tolist()


def _groups(agents: int, agent: np.ndarray, rows: np.ndarray, keep: int) -> list[np.ndarray]:
    """Per agent id, its last ``keep`` of ``rows`` (ascending)."""
    ids = agent[rows]
    if agents <= np.iinfo(np.int16).max:
        ids = ids.astype(np.int16)  # NumPy's stable sort is a radix sort for 16-bit ints
    order = rows[np.argsort(ids, kind="stable")]
    counts = np.bincount(agent[rows], minlength=agents)
    ends = np.cumsum(counts)
    return [order[max(end - count, end - keep):end]
            for count, end in zip(counts.tolist(), ends.tolist(), strict=True)]


def _minute_text(minute: int) -> str:
    return (_DAY_ONE + timedelta(minutes=minute)).isoformat()[:16]


def _build_stats(aggregator: EventAggregator, names: list[str], totals: dict[str, Any],
                 decode: Callable[[int], EventRecord], *, agent: np.ndarray, event: np.ndarray,
                 flags: np.ndarray, is_event: np.ndarray) -> None:
    agents = len(names)
    stats = [_Stats(name) for name in names]
    heartbeat = is_event & (event == _HEARTBEAT)

    def last(mask: np.ndarray) -> list[int]:
        return _last_rows(agents, agent, is_event & mask)

    def has(flag: int) -> np.ndarray:
        return (flags & flag) > 0

    finished = (event == _SUCCESS) | (event == _FAILURE)
    rows_by_role = {
        "any": last(is_event), "task": last(finished | (event == _START)),
        "failure": last(event == _FAILURE), "heartbeat": last(heartbeat),
        "stop": last(event == _STOP),
        "pid": last(((event == _START) | heartbeat) & has(_F_PID)),
        "interval": last(heartbeat & has(_F_INTERVAL)), "host": last(heartbeat & has(_F_HOST)),
        "kind": last(heartbeat & has(_F_KIND)), "started": last(heartbeat & has(_F_STARTED)),
        "log_file": last(heartbeat & has(_F_LOG_FILE)),
        "queue": last((heartbeat & has(_F_QUEUE_DEPTH)) | ((event == _QUEUE) & has(_F_DEPTH))),
    }
    counters = {key: totals[key].tolist() for key in
                ("starts", "successes", "failures", "items", "lat_sum", "lat_n", "open_anon_row")}
    for a, st in enumerate(stats):
        role = {key: rows[a] for key, rows in rows_by_role.items()}
        _apply_last_rows(st, role, decode)
        st.starts, st.successes = counters["starts"][a], counters["successes"][a]
        st.failures, st.items = counters["failures"][a], counters["items"][a]
        st.lat_sum, st.lat_n = counters["lat_sum"][a], counters["lat_n"][a]
        anon = counters["open_anon_row"][a]
        st.open_anon = decode(anon).timestamp if anon >= 0 else None
    for a, row in zip(totals["open_agent"].tolist(), totals["open_row"].tolist(), strict=True):
        record = decode(row)
        stats[a].open_tasks[record.task_id] = record.timestamp
    minute_texts: dict[int, str] = {}
    for a, minute, ok, failed, lat_sum, lat_n in zip(
            *(totals[key].tolist() for key in ("bucket_agent", "bucket_minute", "bucket_ok",
                                               "bucket_failed", "bucket_lat_sum", "bucket_lat_n")),
            strict=True):
        text = minute_texts.get(minute)
        if text is None:
            text = minute_texts[minute] = _minute_text(minute)
        stats[a].minutes[text] = [ok, failed, lat_sum, lat_n]
    for row in np.flatnonzero(is_event & (event == _METRIC) & has(_F_METRIC)).tolist():
        record = decode(row)
        stats[int(agent[row])].metrics[record.name] = float(record.value)
    event_rows = np.flatnonzero(is_event)
    for st, rows in zip(stats, _groups(agents, agent, event_rows, AGENT_RECENT_KEPT), strict=True):
        st.recent.extend(decode(row) for row in rows.tolist())
    finished_rows = np.flatnonzero(is_event & finished)
    for st, rows in zip(stats, _groups(agents, agent, finished_rows, OUTCOMES_KEPT), strict=True):
        st.outcomes.extend((event[rows] == _SUCCESS).tolist())
    aggregator._stats.update((st.agent, st) for st in stats)


def _apply_last_rows(st: _Stats, role: dict[str, int], decode: Callable[[int], EventRecord]
                     ) -> None:
    """The fields ``add_batch`` overwrites event by event, from each one's last line."""
    if role["any"] >= 0:
        record = decode(role["any"])
        st.last_ts, st.last_event = record.timestamp, record.event
    if role["task"] >= 0:
        st.last_task_ts = decode(role["task"]).timestamp
    if role["failure"] >= 0:
        error = decode(role["failure"]).error
        st.last_error = error if error.__class__ is str else str(error or "failed")
    if role["heartbeat"] >= 0:
        st.heartbeat_ts = decode(role["heartbeat"]).timestamp
    if role["stop"] > role["heartbeat"]:  # a heartbeat after a stop clears it (a restart)
        st.stop = decode(role["stop"])
    if role["pid"] >= 0:
        st.pid = decode(role["pid"]).pid
    if role["interval"] >= 0:
        st.interval = float(decode(role["interval"]).interval_seconds)
    if role["host"] >= 0:
        st.host = decode(role["host"]).host
    if role["kind"] >= 0:
        st.kind = decode(role["kind"]).kind
    if role["started"] >= 0:
        st.started = decode(role["started"]).started
    if role["log_file"] >= 0:
        st.log_file = decode(role["log_file"]).log_file
    if role["queue"] >= 0:
        record = decode(role["queue"])
        st.queue_depth = record.queue_depth if record.event == "heartbeat" else record.depth
