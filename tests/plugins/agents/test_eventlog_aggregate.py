"""agents.jsonl: incremental reading (partial lines, rotation, bad lines) and aggregation."""

from __future__ import annotations

import json
import math
import os
from datetime import datetime, timedelta
from pathlib import Path

from studio.plugins.agents.aggregate import EventAggregator, normalise_event
from studio.plugins.agents.eventlog import EventLogTail, decode_events, parse_lines

T0 = datetime(2025, 6, 1, 8, 0, 0)


def _line(agent: str, event: str, seconds: float, **fields) -> str:
    ts = (T0 + timedelta(seconds=seconds)).isoformat()
    return json.dumps({"agent": agent, "event": event, "timestamp": ts, **fields}) + "\n"


def _append(path: Path, text: str | bytes) -> None:
    with open(path, "ab") as handle:
        handle.write(text.encode() if isinstance(text, str) else text)


def _collect(tail: EventLogTail) -> tuple[list, object]:
    got: list = []
    result = tail.poll(got.extend)
    return got, result


def test_reads_only_appended_complete_lines(tmp_path):
    path = tmp_path / "agents.jsonl"
    tail = EventLogTail(path)
    got, result = _collect(tail)
    assert got == [] and result.missing
    first = _line("a", "start", 0)
    _append(path, first + _line("a", "success", 1)[:20])  # the second is half-written
    got, _ = _collect(tail)
    assert [r.event for r in got] == ["start"]
    _append(path, _line("a", "success", 1)[20:])
    got, _ = _collect(tail)
    assert [r.event for r in got] == ["success"]
    assert tail.offset == path.stat().st_size
    got, _ = _collect(tail)
    assert got == []


def test_bad_lines_are_counted_and_the_rest_kept(tmp_path):
    path = tmp_path / "agents.jsonl"
    _append(path, _line("a", "start", 0) + "{not json\n\n" + b"\xff\xfe\n".decode("latin-1")
            + _line("a", "success", 1))
    tail = EventLogTail(path)
    got, result = _collect(tail)
    assert [r.event for r in got] == ["start", "success"]
    assert result.bad_lines == 2 and tail.total_bad == 2


def test_truncated_or_replaced_file_is_read_again_from_the_start(tmp_path):
    path = tmp_path / "agents.jsonl"
    _append(path, _line("a", "start", 0) + _line("a", "success", 1))
    tail = EventLogTail(path)
    _collect(tail)
    path.write_text(_line("b", "start", 5))  # truncated and rewritten (smaller)
    got, result = _collect(tail)
    assert result.reset and [r.agent for r in got] == ["b"]
    replacement = tmp_path / "new.jsonl"
    replacement.write_text(_line("c", "start", 9) + _line("c", "success", 10) * 3)
    os.replace(replacement, path)  # rotated: a new inode, even if larger
    got, result = _collect(tail)
    assert result.reset and {r.agent for r in got} == {"c"}


def test_parse_lines_tolerates_crlf_and_non_objects():
    values, bad = parse_lines(b'{"agent":"a"}\r\n42\n["x"]\n')
    assert values == [{"agent": "a"}, 42, ["x"]] and bad == 0


def test_decode_events_keeps_protocol_fields_and_counts_non_events():
    records, bad = decode_events(b'{"agent":"a","event":"queue","depth":3,"extra":[1]}\r\n'
                                 b'42\n{"agent":"b","items_processed":"many"}\n')
    assert [(r.agent, r.event, r.depth) for r in records] == [("a", "queue", 3), ("b", None, None)]
    assert records[1].items_processed == "many" and bad == 1


def _aggregate(*lines: str) -> EventAggregator:
    aggregator = EventAggregator(throughput_window_s=600)
    aggregator.add_dicts([json.loads(line) for line in lines])
    return aggregator


def test_hafs_style_events_without_ids_pair_start_with_the_next_end():
    aggregator = _aggregate(
        _line("miner", "start", 0), _line("miner", "success", 2, items_processed=5),
        _line("miner", "start", 10), _line("miner", "failure", 14, error="timeout"),
        _line("miner", "start", 20))
    summary = aggregator.summaries(now=(T0 + timedelta(seconds=30)).timestamp())["miner"]
    assert (summary.tasks_started, summary.tasks_done, summary.failures) == (3, 1, 1)
    assert summary.items == 5 and summary.success_rate == 0.5
    assert summary.mean_latency_ms == 3000.0  # (2 s + 4 s) / 2
    assert summary.last_error == "timeout" and summary.running_tasks == 1


def test_task_ids_and_durations_and_interleaved_agents():
    aggregator = _aggregate(
        _line("x", "start", 0, task_id="1"), _line("x", "start", 0.5, task_id="2"),
        _line("y", "start", 0.6), _line("x", "success", 1, task_id="2", duration_ms=10.0),
        _line("x", "success", 3, task_id="1"), _line("y", "success", 1.6))
    summaries = aggregator.summaries(now=(T0 + timedelta(seconds=60)).timestamp())
    assert summaries["x"].mean_latency_ms == (10.0 + 3000.0) / 2  # given, then paired by id
    assert summaries["y"].mean_latency_ms == 1000.0
    assert summaries["x"].running_tasks == 0


def test_throughput_counts_successes_in_the_window_only():
    lines = [_line("w", "success", s) for s in (0, 30, 61, 62, 700, 701)]
    summary = _aggregate(*lines).summaries(now=(T0 + timedelta(seconds=705)).timestamp())["w"]
    # Window = 10 minutes back from 08:11:45 → minutes after 08:01: 700 s and 701 s (08:11).
    assert summary.throughput_per_min == 2 / 10


def test_heartbeat_queue_metric_stop_and_restart():
    aggregator = _aggregate(
        _line("d", "heartbeat", 0, pid=4242, host="h1", interval_seconds=5, kind="indexer",
              started=T0.isoformat(), queue_depth=3, log_file="/tmp/d.log"),
        _line("d", "queue", 1, depth=9), _line("d", "metric", 2, name="gpu", value=71),
        _line("d", "stop", 3, exit_code=0, reason="done"))
    summary = aggregator.summaries(now=T0.timestamp())["d"]
    assert (summary.pid, summary.host, summary.interval_s, summary.kind) == (4242, "h1", 5.0,
                                                                             "indexer")
    assert summary.queue_depth == 9 and summary.metrics == (("gpu", 71.0),)
    assert summary.stop["reason"] == "done" and summary.log_file == "/tmp/d.log"
    aggregator.add_dicts([json.loads(_line("d", "heartbeat", 10, pid=5000))])
    assert aggregator.summaries()["d"].stop is None  # beating again: it was restarted


def test_series_buckets_per_minute_with_latency():
    aggregator = _aggregate(
        _line("s", "success", 5, duration_ms=100.0), _line("s", "success", 20, duration_ms=300.0),
        _line("s", "failure", 70, error="x"), _line("s", "success", 130))
    series = aggregator.series("s")
    assert series.minutes == tuple((T0 + timedelta(minutes=m)).timestamp() for m in (0, 1, 2))
    assert series.successes == (2, 0, 1) and series.failures == (0, 1, 0)
    assert series.mean_latency_ms[0] == 200.0 and math.isnan(series.mean_latency_ms[2])


def test_offsets_and_epoch_timestamps_bucket_in_local_time():
    utc = datetime(2025, 6, 1, 12, 0, 30).astimezone()
    aggregator = EventAggregator()
    aggregator.add_dicts([
        {"agent": "z", "event": "success", "timestamp": utc.isoformat()},
        {"agent": "z", "event": "success", "timestamp": utc.timestamp() + 60},
    ])
    series = aggregator.series("z")
    assert series.successes == (1, 1)
    assert series.minutes[0] == utc.replace(second=0).timestamp()


def test_lines_that_are_not_events_are_ignored_not_fatal():
    aggregator = EventAggregator()
    aggregator.add_dicts([42, ["a"], {"event": "start"}, {"agent": 7}, {"agent": ""},
                          {"agent": "ok", "event": "start", "timestamp": None}])
    assert aggregator.total == 1 and aggregator.ignored == 5
    assert aggregator.agents == ["ok"]
    assert [e.agent for e in aggregator.recent_events()] == ["ok"]  # non-events not listed


def test_recent_events_keep_the_newest_across_batches_in_order():
    aggregator = EventAggregator(recent=3)
    aggregator.add_dicts([{"agent": "a", "event": "start", "n": 1},
                          {"agent": "b", "event": "start"}])
    aggregator.add_dicts([{"agent": "a", "event": "success"}, {"agent": 5},
                          {"agent": "b", "event": "failure"}])
    assert [(e.agent, e.event) for e in aggregator.recent_events()] == [
        ("b", "start"), ("a", "success"), ("b", "failure")]
    assert [e.event for e in aggregator.recent_events(agent="a")] == ["start", "success"]


def test_latency_of_hafs_lines_with_offsets_and_mixed_zones():
    aggregator = EventAggregator()
    aggregator.add_dicts([
        {"agent": "z", "event": "start", "timestamp": "2025-06-01T08:00:00+02:00"},
        {"agent": "z", "event": "success", "timestamp": "2025-06-01T06:00:01.5Z"},
        {"agent": "z", "event": "start", "timestamp": T0.isoformat()},
        {"agent": "z", "event": "success", "timestamp": (T0 + timedelta(seconds=2)).timestamp()},
        {"agent": "z", "event": "start", "timestamp": T0.isoformat()},
        {"agent": "z", "event": "failure", "timestamp": "2025-06-01T08:00:03+00:00"},
    ])
    summary = aggregator.summaries()["z"]
    # aware ISO pair; naive ISO to epoch; naive against aware (read in this machine's zone)
    expected = (datetime.fromisoformat("2025-06-01T08:00:03+00:00").timestamp()
                - T0.timestamp()) * 1000
    latencies = [1500.0, 2000.0] + ([expected] if expected >= 0 else [])
    assert summary.mean_latency_ms == sum(latencies) / len(latencies)


def test_normalise_event_is_lenient():
    event = normalise_event({"agent": "a", "event": "success", "items_processed": True,
                             "duration_ms": "fast", "timestamp": "yesterday", "pid": "1"})
    assert event.items is None and event.duration_ms is None and event.timestamp is None
    assert event.pid is None and event.summary() == ""
