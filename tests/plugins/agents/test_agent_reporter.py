"""studio.agent_reporter: the lines it writes, hafs compatibility, concurrent appends."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

import studio.agent_reporter as reporter_module
from studio.agent_reporter import (
    MAX_LINE_BYTES,
    AgentReporter,
    default_events_path,
    encode_event,
)


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_task_events_are_hafs_metrics_logger_lines(tmp_path):
    events = tmp_path / "metrics" / "agents.jsonl"
    reporter = AgentReporter("indexer", events)
    with reporter.task("batch") as task:
        task.items_processed = 7
    with pytest.raises(ValueError, match="broken"), reporter.task("batch 2"):
        raise ValueError("broken input")
    start, success, _start2, failure = _lines(events)
    # hafs core/metrics.py: {agent, event: start|success|failure, items_processed, error,
    # timestamp}; its readers compare datetime.fromisoformat(timestamp) with datetime.now().
    assert (start["agent"], start["event"]) == ("indexer", "start")
    assert (success["event"], success["items_processed"]) == ("success", 7)
    assert failure["event"] == "failure"
    assert failure["error"] == "ValueError: broken input"
    for record in (start, success, failure):
        assert datetime.fromisoformat(record["timestamp"]) <= datetime.now()
    assert success["task_id"] == start["task_id"]
    assert success["duration_ms"] >= 0


def test_heartbeat_queue_metric_and_stop(tmp_path):
    events = tmp_path / "agents.jsonl"
    reporter = AgentReporter("worker", events, kind="trainer", interval=12.5,
                             log_file=tmp_path / "worker.log")
    reporter.queue_depth(4)
    reporter.heartbeat()
    reporter.metric("tokens_per_s", 41.5, unit="tok/s")
    reporter.stopped("done", exit_code=3, error="out of memory")
    queue, beat, metric, stop = _lines(events)
    assert queue == {**queue, "event": "queue", "depth": 4}
    assert beat["event"] == "heartbeat"
    assert (beat["interval_seconds"], beat["kind"], beat["queue_depth"]) == (12.5, "trainer", 4)
    assert beat["log_file"] == str(tmp_path / "worker.log")
    assert beat["pid"] == reporter.pid and beat["host"] == reporter.host
    assert (metric["name"], metric["value"], metric["unit"]) == ("tokens_per_s", 41.5, "tok/s")
    assert (stop["event"], stop["exit_code"], stop["error"]) == ("stop", 3, "out of memory")


def test_over_long_error_is_cut_to_the_line_limit(tmp_path):
    events = tmp_path / "agents.jsonl"
    reporter = AgentReporter("verbose", events)
    reporter.task_failed("é" * 10_000)
    raw = events.read_bytes()
    assert len(raw) <= MAX_LINE_BYTES and raw.endswith(b"\n") and raw.count(b"\n") == 1
    record = json.loads(raw)
    assert record["truncated"] is True and record["error"].endswith("…[truncated]")


def test_a_line_that_cannot_be_shortened_is_refused_by_name():
    message = r"agent 'x+': event 'heartbeat' is \d+ bytes, over the 4096"
    with pytest.raises(ValueError, match=message):
        encode_event({"agent": "x" * 5000, "event": "heartbeat", "timestamp": "t"})


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="non-empty"):
        AgentReporter("  ")
    with pytest.raises(ValueError, match="'a': interval must be positive"):
        AgentReporter("a", interval=0)


def test_default_path_follows_env_then_hafs_config_then_home(tmp_path):
    env = {"HOME": str(tmp_path)}
    assert default_events_path(env) == tmp_path / ".context" / "metrics" / "agents.jsonl"
    config = tmp_path / ".config" / "hafs" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[general]\ncontext_root = "{tmp_path / "ctx"}"\n')
    assert default_events_path(env) == tmp_path / "ctx" / "metrics" / "agents.jsonl"
    env["HAFS_CONTEXT_ROOT"] = str(tmp_path / "other")
    assert default_events_path(env) == tmp_path / "other" / "metrics" / "agents.jsonl"
    env["HAFS_AGENT_EVENTS"] = str(tmp_path / "events.jsonl")
    assert default_events_path(env) == tmp_path / "events.jsonl"


def test_module_is_standard_library_only_and_python38_syntax():
    source = Path(reporter_module.__file__).read_text(encoding="utf-8")
    tree = ast.parse(source, feature_version=(3, 8))  # SyntaxError on 3.9+ syntax
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}


_WRITER = """
import sys
from studio.agent_reporter import AgentReporter
reporter = AgentReporter(sys.argv[2], sys.argv[1])
for i in range(int(sys.argv[3])):
    reporter.task_failed("x" * (i % 3000), task_id=str(i))
"""


def test_concurrent_processes_never_tear_or_interleave_lines(tmp_path):
    events = tmp_path / "agents.jsonl"
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, str(events), f"w{n}", "400"])
               for n in range(6)]
    assert [w.wait(timeout=120) for w in writers] == [0] * 6
    records = _lines(events)  # every line parses: nothing torn, nothing interleaved
    assert len(records) == 6 * 400
    for n in range(6):
        ids = [int(r["task_id"]) for r in records if r["agent"] == f"w{n}"]
        assert ids == list(range(400))  # each writer's lines in its own order
