"""The native bulk load of agents.jsonl builds exactly the state the msgspec path builds.

Every test compares against :meth:`EventAggregator.add_batch` fed by ``decode_events`` (the
path that reads appended lines), on the same bytes: hypothesis writes event streams with
every lenient case the Python path takes (bad, blank and half-valid lines, escapes, unicode,
any key order, odd types, timestamps that are not naive ISO), and named cases pin each
fall-back rule.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from studio.plugins.agents.aggregate import EventAggregator, _Stats
from studio.plugins.agents.bulk_load import load_events, preload
from studio.plugins.agents.eventlog import EventLogTail, decode_events

T0 = datetime(2025, 6, 1, 8, 59, 30)
NOW = datetime(2025, 6, 1, 9, 5).timestamp()


def _state(aggregator: EventAggregator) -> dict[str, Any]:
    """Everything the aggregator keeps, in comparable form (floats compared exactly)."""
    out: dict[str, Any] = {"total": aggregator.total, "ignored": aggregator.ignored,
                           "recent": list(aggregator.recent), "agents": aggregator.agents}
    for name, stats in aggregator._stats.items():
        out[name] = {key: list(value) if key in ("recent", "outcomes") else value
                     for key in _Stats.__slots__ for value in [getattr(stats, key)]}
    return out


def _answers(aggregator: EventAggregator) -> tuple:
    return (aggregator.summaries(NOW),
            {name: aggregator.series(name) for name in aggregator.agents},
            aggregator.recent_events())


def _both(data: bytes) -> tuple[EventAggregator, EventAggregator, tuple[int, int]]:
    """(bulk load + msgspec path for the rest, msgspec path alone, (lines, bad) of the first)."""
    expected = EventAggregator()
    records, _ = decode_events(data)
    expected.add_batch(records)
    got = EventAggregator()
    taken = load_events(got, data)
    rest, rest_bad = decode_events(data[taken.used:])
    if rest:
        got.add_batch(rest)
    return got, expected, (taken.lines + len(rest), taken.bad + rest_bad)


def _assert_same(data: bytes) -> Any:
    got, expected, (lines, bad) = _both(data)
    records, expected_bad = decode_events(data)
    assert (lines, bad) == (len(records), expected_bad)
    assert _state(got) == _state(expected)
    # repr: exact for floats (shortest round trip) and NaN-safe (minutes without timings)
    assert repr(_answers(got)) == repr(_answers(expected))
    return load_events(EventAggregator(), data)


# -- generated streams ---------------------------------------------------------------------

_NAMES = st.sampled_from(["a", "agent-1", "trainer", "ünï", 'q"uote', "tab\there", "😀"])
_EVENTS = st.one_of(
    st.sampled_from(["start", "success", "failure", "heartbeat", "queue", "metric", "stop",
                     "custom"]),
    st.sampled_from([None, 1, True, "St\u0061rt"]))
_PLAIN_NAMES = st.sampled_from(["a", "agent-1", "trainer", "ünï", "😀"])
_CLEAN_EVENTS = st.sampled_from(["start", "success", "failure", "heartbeat", "queue", "metric",
                                 "stop", "custom"])
_ODD = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(-2.5, 2.5),
                 st.text(max_size=3), st.just([1, {"x": None}]), st.just({"k": "v"}))


@st.composite
def _timestamp(draw: st.DrawFn, clean: bool) -> Any:
    moment = T0 + timedelta(microseconds=draw(st.integers(0, 240_000_000)))
    kind = draw(st.integers(0, 5 if clean else 9))
    if kind <= 5:
        return moment.isoformat(timespec=("seconds", "milliseconds", "microseconds")[kind % 3])
    if kind == 6:
        return moment.isoformat() + "+00:00"
    if kind == 7:
        return moment.timestamp()
    if kind == 8:
        return moment.isoformat(sep=" ")
    return draw(_ODD)


@st.composite
def _event(draw: st.DrawFn, clean: bool) -> dict[str, Any]:
    """One event; ``clean``: only what the native columns hold (the fast path goes deep)."""
    record: dict[str, Any] = {}
    if clean or draw(st.integers(0, 15)):
        record["agent"] = draw(_PLAIN_NAMES if clean else st.one_of(_NAMES, _NAMES, _NAMES, _ODD))
    record["event"] = draw(_CLEAN_EVENTS if clean else _EVENTS)
    if clean or draw(st.integers(0, 15)):
        record["timestamp"] = draw(_timestamp(clean))
    task_ids = st.one_of(st.sampled_from(["t1", "t2", "1", "t\u00e9"]), st.integers(0, 3))
    optional = {
        "task_id": task_ids if clean else st.one_of(task_ids, _ODD),
        "duration_ms": st.one_of(st.floats(0, 5000, allow_nan=False), st.integers(0, 9000),
                                 _ODD),
        "items_processed": st.one_of(st.integers(-5, 64), _ODD),
        "error": st.one_of(st.sampled_from(["boom", "line\nbreak \"q\" é", ""]), _ODD),
        "pid": st.one_of(st.integers(1, 99999), _ODD),
        "host": st.one_of(st.sampled_from(["gpu", "h\\x"]), _ODD),
        "kind": st.one_of(st.just("worker"), _ODD),
        "interval_seconds": st.one_of(st.floats(-1, 60), st.integers(-1, 60), _ODD),
        "started": st.one_of(st.just(T0.isoformat()), _ODD),
        "queue_depth": st.one_of(st.integers(0, 500), _ODD),
        "depth": st.one_of(st.integers(0, 500), _ODD),
        "name": st.one_of(st.sampled_from(["tok_s", "loss"]), _ODD),
        "value": st.one_of(st.floats(-1e6, 1e6), st.integers(-9, 9), _ODD),
        "log_file": st.one_of(st.just("/tmp/a.log"), _ODD),
        "reason": _ODD, "exit_code": _ODD, "task": _ODD,
        "extra": _ODD, "nested": st.just({"a": [1, 2.5, "x", None, {"b": True}]}),
    }
    for key in draw(st.lists(st.sampled_from(sorted(optional)), max_size=8, unique=True)):
        record[key] = draw(optional[key])
    keys = draw(st.permutations(list(record)))
    return {key: record[key] for key in keys}


# Lines msgspec refuses, blank ones, and non-events: the fast path steps over them.
_SKIPPED_LINES = [
    b"{not json", b"", b"   ", b"\x0b", b"\r", b'{"agent":"a","event":"start"', b"[1, 2]", b"42",
    b"null", b'{"agent":"\xff","event":"start"}', b'{"agent":"a","value":1e400}',
    b'{"agent":"\\ud800","event":"start"}', b'{"agent":"a" "event":"start"}',
    b'{"agent":"a","event":"start","timestamp":"2025-06-01T09:00:00"} trailing',
    b'{"agent":7,"event":"start"}', b'{"agent":"","event":"start"}',
    b' {"agent" : "b" , "event" : "success" , "timestamp" : "2025-06-01T09:00:01" } \r',
]
# Valid events the columns cannot hold: msgspec reads on from each.
_ODD_LINES = [
    b'{"agent":"a","agent":"b","event":"start","timestamp":"2025-06-01T09:00:00"}',
    b'{"agent":"a","event":"start","timestamp":"2025-06-01T09:00:00","pid":123456789012345678901}',
    b'{"agent":"a","event":"heartbeat","timestamp":"2025-02-30T09:00:00"}',
    b'{"agent":"a","event":"success","timestamp":"2025-06-01T09:00:00","duration_ms":1e-400}',
]


@st.composite
def _stream(draw: st.DrawFn, clean: bool = False) -> bytes:
    lines = []
    for _ in range(draw(st.integers(0, 60))):
        if draw(st.integers(0, 9)) == 0:
            lines.append(draw(st.sampled_from(_SKIPPED_LINES if clean
                                              else _SKIPPED_LINES + _ODD_LINES)))
        else:
            separators = draw(st.sampled_from([(",", ":"), (", ", ": ")]))
            text = json.dumps(draw(_event(clean)), separators=separators,
                              ensure_ascii=not clean and draw(st.booleans()))
            lines.append(text.encode("utf-8"))
    return b"".join(line + b"\n" for line in lines)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_stream())
@example(b'{"agent":"a","event":"start","timestamp":"2025-06-01T09:00:00"}\n'
         b'{"agent":"a","event":"success","timestamp":"2025-06-01T09:00:01.250"}\n')
def test_bulk_load_builds_the_msgspec_paths_state(data: bytes) -> None:
    _assert_same(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_stream(clean=True))
def test_bulk_load_of_streams_it_takes_whole(data: bytes) -> None:
    """Bad lines aside, every line fits the columns: the fast path builds the whole state."""
    assert _assert_same(data).used == len(data)


def test_realistic_stream_is_taken_whole_and_matches(tmp_path: Path) -> None:
    lines = []
    for i in range(3000):
        ts = (T0 + timedelta(milliseconds=37 * i)).isoformat(timespec="microseconds")
        agent = f"agent-{i % 7}"
        if i % 11 == 0:
            lines.append({"agent": agent, "event": "heartbeat", "timestamp": ts, "pid": 100 + i,
                          "interval_seconds": 30, "host": "box", "kind": "worker",
                          "queue_depth": i % 13, "log_file": f"/tmp/{agent}.log"})
        elif i % 2:
            lines.append({"agent": agent, "event": "start", "timestamp": ts,
                          "task_id": f"{i // 2 % 5}"} if i % 3 else
                         {"agent": agent, "event": "start", "timestamp": ts})
        else:
            lines.append({"agent": agent, "event": "failure" if i % 10 == 4 else "success",
                          "timestamp": ts, "task_id": f"{(i - 1) // 2 % 5}",
                          "items_processed": i % 9, "error": "oops"}
                         if i % 3 != 1 else {"agent": agent, "event": "success",
                                             "timestamp": ts})
    data = "".join(json.dumps(line) + "\n" for line in lines).encode()
    taken = _assert_same(data)
    assert taken.used == len(data) and taken.lines == 3000


# -- fall-back rules -----------------------------------------------------------------------

def _line(**fields: Any) -> bytes:
    return (json.dumps({"agent": "a", "event": "start", "timestamp": "2025-06-01T09:00:00",
                        **fields}) + "\n").encode()


def test_a_bad_line_in_the_middle_is_counted_and_the_fast_path_goes_on() -> None:
    data = _line() + b"{broken\n" + b'{"agent":"a","value":1e400}\n' + _line(event="success")
    taken = _assert_same(data)
    assert taken.used == len(data) and (taken.lines, taken.bad) == (2, 2)


def test_a_line_whose_agent_is_not_a_name_is_not_an_event() -> None:
    data = _line() + b'{"agent":["x"],"event":"start"}\n{"agent":7}\n' + _line(event="failure")
    taken = _assert_same(data)
    assert taken.used == len(data)
    got = EventAggregator()
    load_events(got, data)
    assert (got.total, got.ignored) == (2, 2)


def test_add_batch_ignores_an_unhashable_agent() -> None:
    aggregator = EventAggregator()
    aggregator.add_batch(decode_events(b'{"agent":{"a":1},"event":"start"}\n')[0])
    assert (aggregator.total, aggregator.ignored, aggregator.agents) == (0, 1, [])


def test_an_event_the_columns_cannot_hold_hands_over_to_msgspec_at_that_line() -> None:
    head = _line(task_id="t1") + _line(event="heartbeat", pid=5)
    for odd in (_line(agent="\u00e9t\u00e9"),  # json.dumps escapes it: \u00e9
                _line(timestamp="2025-06-01T09:00:00Z"),
                _line(task_id="t\\1"),
                _line(timestamp=1_748_768_400.5)):
        data = head + odd + _line(event="success", task_id="t1")
        taken = _assert_same(data)
        assert taken.used == len(head), odd


def test_the_first_line_being_odd_leaves_everything_to_msgspec() -> None:
    data = _line(timestamp="2025-06-01 09:00:00") + _line(event="success")
    assert load_events(EventAggregator(), data).used == 0
    _assert_same(data)


def test_a_loaded_aggregator_is_left_alone() -> None:
    aggregator = EventAggregator()
    aggregator.add_batch(decode_events(_line())[0])
    assert load_events(aggregator, _line(event="success")).used == 0
    assert aggregator.total == 1


def test_preload_then_poll_reads_appended_and_half_written_lines(tmp_path: Path) -> None:
    path = tmp_path / "agents.jsonl"
    body = b"".join(_line(event=e, task_id=str(i), timestamp=f"2025-06-01T09:00:0{i}")
                    for i, e in enumerate(["start", "success", "start", "failure"]))
    later = _line(event="success", task_id="2", timestamp="2025-06-01T09:00:09")
    path.write_bytes(body + later[:15])  # the last line is half-written
    fast, tail = EventAggregator(), EventLogTail(path)
    assert preload(tail, fast)
    assert tail.offset == len(body) and tail.total_lines == 4
    tail.poll(fast.add_batch)
    with open(path, "ab") as handle:
        handle.write(later[15:] + _line(event="stop", timestamp="2025-06-01T09:00:10"))
    tail.poll(fast.add_batch)
    slow, plain = EventAggregator(), EventLogTail(path)
    plain.poll(slow.add_batch)
    assert _state(fast) == _state(slow)
    assert tail.total_lines == plain.total_lines == 6
    assert not preload(tail, EventAggregator())  # only before the first read


def test_a_preload_capped_below_the_file_size_leaves_the_rest_to_poll(tmp_path: Path) -> None:
    path = tmp_path / "agents.jsonl"
    path.write_bytes(b"".join(_line(event=("start", "success")[i % 2], task_id=str(i // 2),
                                    timestamp=f"2025-06-01T09:00:{i:02d}") for i in range(40)))
    fast, tail = EventAggregator(), EventLogTail(path)
    taken = tail.preload(lambda data: load_events(fast, data), max_bytes=1000)
    assert 0 < tail.offset <= 1000
    assert taken.lines == path.read_bytes()[:tail.offset].count(b"\n") < 40
    tail.poll(fast.add_batch)
    slow, plain = EventAggregator(), EventLogTail(path)
    plain.poll(slow.add_batch)
    assert _state(fast) == _state(slow) and tail.total_lines == plain.total_lines == 40
