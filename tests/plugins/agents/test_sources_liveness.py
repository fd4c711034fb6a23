"""Daemon, campaign and swarm files read leniently; pid identity and status rules."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import psutil
import pytest

from studio.api import ContextRoot
from studio.plugins.agents.campaign import campaign_facts
from studio.plugins.agents.daemons import (
    daemon_facts,
    discover_daemon_dirs,
    training_tasks,
)
from studio.plugins.agents.files import LocalFiles
from studio.plugins.agents.liveness import ProcessCheck, check_process, judge
from studio.plugins.agents.locations import AgentLocations
from studio.plugins.agents.model import AgentStatus
from studio.plugins.agents.sources import CachedFiles, read_pid_file
from studio.plugins.agents.swarm import parse_swarm

# The status rules are pure: a fixed clock.
NOW = 1_750_000_000.0


def _iso(seconds_ago: float) -> str:
    return (datetime.now() - timedelta(seconds=seconds_ago)).isoformat()


def _facts(tmp_path: Path, folder: str, status: dict, pid: int | None = None, **kwargs):
    directory = tmp_path / folder
    directory.mkdir(exist_ok=True)
    (directory / "daemon_status.json").write_text(json.dumps(status))
    if pid is not None:
        (directory / "daemon.pid").write_text(str(pid))
    reading = CachedFiles().read_json(directory / "daemon_status.json")
    return daemon_facts(folder, reading, read_pid_file(directory / "daemon.pid"), time.time(),
                        **kwargs)


def test_autonomy_status_tasks_failures_and_queue(tmp_path):
    facts = _facts(tmp_path, "autonomy_daemon", {
        "pid": 77, "running": True, "last_update": _iso(5), "check_interval_seconds": 30,
        "tasks": [
            {"name": "self_heal", "type": "self_heal", "enabled": True, "interval_seconds": 600,
             "last_run": _iso(100), "last_status": "success", "last_error": None,
             "is_due": False},
            {"name": "tests", "type": "tests", "enabled": True, "interval_seconds": 60,
             "last_run": _iso(90), "last_status": "error", "last_error": "exit 2",
             "is_due": True},
            "garbage", {"type": "no name"},
        ]}, pid=4321)
    assert facts.pid == 4321 and facts.interval_s == 30 and not facts.stopped_cleanly
    assert [t.name for t in facts.tasks] == ["self_heal", "tests"]
    assert (facts.tasks_done, facts.failures, facts.queue_depth) == (1, 1, 1)
    assert facts.last_error == "tests: exit 2"
    heal = facts.tasks[0]
    assert heal.next_run == pytest.approx(heal.last_run + 600)


def test_stopped_form_and_training_daemon_schema(tmp_path):
    stopped = _facts(tmp_path, "context_agent_daemon", {"running": False, "stopped": _iso(60)})
    assert stopped.stopped_cleanly and stopped.pid is None
    assert stopped.stopped_at == pytest.approx(time.time() - 60, abs=2)
    training = _facts(tmp_path, "training_daemon", {"status": "running_task", "pid": 9,
                                                    "updated": _iso(3),
                                                    "current_task": "asm_generation"})
    assert training.busy and training.interval_s == 60 and training.pid == 9
    assert ("Current task", "asm_generation") in training.details


def test_embedding_daemon_caught_up_expects_its_five_minute_sleep(tmp_path):
    status = {"pid": 5, "running": True, "last_update": _iso(1), "daily_count": 40,
              "daily_limit": 5000, "batch_size": 50, "interval_seconds": 60,
              "last_batch_generated": 0, "total_symbols": 900, "total_embeddings": 850,
              "coverage_percent": 94.4}
    facts = _facts(tmp_path, "embedding_service", status)
    assert facts.interval_s == 300 and not facts.busy
    assert (facts.tasks_done, facts.queue_depth) == (40, 50)


def test_observability_failed_action_is_the_last_error(tmp_path):
    facts = _facts(tmp_path, "observability_daemon", {
        "pid": 5, "running": True, "last_update": _iso(1), "check_interval_seconds": 60,
        "summary": {"timestamp": _iso(1), "checks": 6, "alerts": 1, "actions": 1},
        "actions": [{"action": "restart_service", "target": "embedding-daemon",
                     "success": False, "reason": "down", "message": "exit 1"}]})
    assert (facts.tasks_done, facts.failures) == (6, 1)
    assert facts.last_error == "restart_service embedding-daemon: exit 1"


def test_half_written_status_keeps_the_last_good_content(tmp_path):
    status = tmp_path / "autonomy_daemon" / "daemon_status.json"
    status.parent.mkdir()
    files = CachedFiles()
    status.write_text(json.dumps({"pid": 1, "running": True, "last_update": _iso(1)}))
    assert files.read_json(status).ok
    status.write_text('{"pid": 1, "runn')  # hafs's write_text caught mid-way
    reading = files.read_json(status)
    assert reading.data == {"pid": 1, "running": True, "last_update": reading.data["last_update"]}
    assert "not valid JSON" in reading.error and str(status) in reading.error
    status.write_text("")
    assert "empty" in files.read_json(status).error


def test_scheduled_tasks_is_read_without_ever_being_written(tmp_path):
    path = tmp_path / "scheduled_tasks.json"
    original = json.dumps({"tasks": [
        {"name": "asm_generation", "task_type": "generation", "domain": "asm",
         "interval_seconds": 86400, "limit": 100, "enabled": True,
         "last_run": _iso(3600), "next_run": "", "config": {}},
        {"name": "text_generation", "task_type": "generation", "domain": "text",
         "interval_seconds": 259200, "limit": 50, "enabled": False, "last_run": "",
         "next_run": "", "config": {}}]}, indent=2)
    path.write_text(original)
    before = os.stat(path)
    now = time.time()
    tasks = training_tasks(CachedFiles().read_json(path), now)
    assert path.read_text() == original and os.stat(path).st_mtime_ns == before.st_mtime_ns
    asm, text = tasks
    assert asm.type == "generation (asm)" and not asm.due
    assert asm.next_run == pytest.approx(now - 3600 + 86400, abs=2)
    assert not text.enabled and text.next_run is None


def test_discovery_prefers_the_root_hafs_writes_to(tmp_path):
    configured, home = tmp_path / "cfg", tmp_path / "home"
    for root in (configured, home / ".context"):
        (root / "training_daemon").mkdir(parents=True)
        (root / "training_daemon" / "daemon_status.json").write_text("{}")
    (configured / "my_daemon").mkdir()
    (configured / "my_daemon" / "daemon.pid").write_text("1")
    (configured / "not_a_daemon").mkdir()
    locations = AgentLocations(ContextRoot(configured, "test", hard_coded=home / ".context"))
    found = dict(discover_daemon_dirs(locations.roots, locations.daemon_dir))
    assert found == {"training_daemon": home / ".context" / "training_daemon",
                     "my_daemon": configured / "my_daemon"}
    assert locations.events_file == configured / "metrics" / "agents.jsonl"
    assert locations.swarm_file == home / ".context" / "swarm_status.json"  # hard-coded there
    assert locations.daemon_dir("autonomy_daemon") == configured / "autonomy_daemon"


def test_swarm_nodes_as_hafs_writes_them_and_as_objects(tmp_path):
    path = tmp_path / "swarm_status.json"
    path.write_text(json.dumps({
        "nodes": ["AgentNode(id='strategist', label='Strategist', status='complete')",
                  {"id": "reviewer", "label": "Reviewer", "status": "running"},
                  "AgentNode(id='strategist', label='dup', status='x')"],
        "edges": [{"source": "strategist", "target": "reviewer"}, ["reviewer", "writer"],
                  {"from": "x"}],
        "active_topic": "sprites", "start_time": "2025-01-01T00:00:00"}))
    graph = parse_swarm(CachedFiles().read_json(path))
    assert [(n.id, n.label, n.status) for n in graph.nodes] == [
        ("strategist", "Strategist", "complete"), ("reviewer", "Reviewer", "running"),
        ("writer", "writer", "pending")]
    assert [(e.source, e.target) for e in graph.edges] == [("strategist", "reviewer"),
                                                          ("reviewer", "writer")]
    assert graph.topic == "sprites" and not graph.error
    assert parse_swarm(CachedFiles().read_json(tmp_path / "missing.json")) is None


def _local_files(root: Path, **options) -> LocalFiles:
    options.setdefault("campaign_search", False)
    return LocalFiles(AgentLocations(ContextRoot(root, "test")), **options)


def test_campaign_pid_order_and_failed_launch(tmp_path):
    training = tmp_path / "training"
    training.mkdir()
    assert campaign_facts(_local_files(tmp_path)) is None
    (training / "campaign.pid").write_text("1234")
    (training / "campaign_status.json").write_text(json.dumps({
        "launched": True, "pid": 999, "log_path": "/x.log", "target": 34500,
        "launch_time": _iso(30)}))
    (training / "campaign_monitor_status.json").write_text(json.dumps({
        "progress": 100, "total": 34500, "percentage": 0.3, "is_running": True,
        "last_update": _iso(10)}))
    facts = campaign_facts(_local_files(tmp_path))
    assert facts.pid == 999 and facts.log_file == "/x.log"  # campaign_status.json first
    assert (facts.progress, facts.total, facts.finished) == (100, 34500, False)
    (training / "campaign_status.json").write_text(json.dumps({
        "launched": False, "error": "no validation", "launch_time": _iso(5)}))
    facts = campaign_facts(_local_files(tmp_path))
    assert facts.pid == 1234 and facts.failed_reason == "launch failed: no validation"


def _children_table() -> list[tuple[int, str]]:
    """The real process table, limited to this test's children (other processes of this
    machine may run campaign-like scripts)."""
    table = []
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            table.append((child.pid, " ".join(child.cmdline())))
    return table


def test_campaign_without_pid_files_is_found_by_its_command_line(tmp_path):
    """hafs's third way (`hafs training stop`): a process running a campaign script."""
    script = tmp_path / "generate_campaign.py"
    script.write_text("import time\ntime.sleep(600)\n")
    assert campaign_facts(_local_files(tmp_path, campaign_search=True,
                                       processes=_children_table)) is None
    process = subprocess.Popen([sys.executable, str(script), "--target", "100"])
    try:
        files = _local_files(tmp_path, campaign_search=True, processes=_children_table)
        facts = campaign_facts(files)
        assert facts is not None and facts.pid == process.pid
        assert facts.found_process is not None and facts.found_process.alive
        assert ("Found by", "its command line (no campaign pid in the files), as "
                "`hafs training stop` finds it") in facts.details
        assert campaign_facts(_local_files(tmp_path, processes=_children_table)) is None  # off
        (tmp_path / "training").mkdir()
        (tmp_path / "training" / "campaign.pid").write_text("4242")  # the file wins
        assert campaign_facts(files).pid == 4242
        (tmp_path / "training" / "campaign.pid").unlink()
        process.kill()
        process.wait()
        assert campaign_facts(files) is None  # it ended: no campaign any more
    finally:
        process.kill()
        process.wait()


# -- process identity ----------------------------------------------------------------------
def _sleeper() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])


def test_a_live_pid_written_after_it_started_is_alive():
    process = _sleeper()
    try:
        check = check_process(process.pid, written_at=time.time())
        assert check.alive and check.create_time <= time.time()
    finally:
        process.kill()
        process.wait()


def test_a_recycled_pid_is_not_the_agent():
    process = _sleeper()  # a process created after the file that names its pid
    try:
        check = check_process(process.pid, written_at=time.time() - 3600)
        assert not check.alive and "now belongs to another process" in check.reason
    finally:
        process.kill()
        process.wait()


def test_dead_zombie_and_paused_processes():
    process = _sleeper()
    process.kill()
    deadline = time.monotonic() + 10
    while check_process(process.pid).alive and time.monotonic() < deadline:
        time.sleep(0.01)
    zombie = check_process(process.pid)  # exited, not yet reaped by us
    assert not zombie.alive and "zombie" in zombie.reason
    process.wait()
    assert not check_process(process.pid).alive
    paused = _sleeper()
    try:
        os.kill(paused.pid, signal.SIGSTOP)
        deadline = time.monotonic() + 10
        while not check_process(paused.pid).paused and time.monotonic() < deadline:
            time.sleep(0.01)
        assert check_process(paused.pid).paused
    finally:
        os.kill(paused.pid, signal.SIGKILL)
        paused.wait()


@pytest.mark.parametrize(("process", "last", "stopped", "failed", "expected"), [
    (ProcessCheck(1, True), NOW - 5, False, "", AgentStatus.RUNNING),
    (ProcessCheck(1, True), NOW - 61, False, "", AgentStatus.STALE),
    (ProcessCheck(1, True, paused=True, reason="paused"), NOW, False, "", AgentStatus.STALE),
    (ProcessCheck(1, False, reason="gone"), NOW, True, "", AgentStatus.STOPPED),
    (ProcessCheck(1, False, reason="gone"), NOW, False, "", AgentStatus.FAILED),
    (ProcessCheck(1, False, reason="gone"), NOW - 1, True, "exit 3", AgentStatus.FAILED),
    (None, None, True, "", AgentStatus.STOPPED),
    (None, NOW - 5, False, "", AgentStatus.RUNNING),
    (None, None, False, "", AgentStatus.STALE),
])
def test_status_rules(process, last, stopped, failed, expected):
    verdict = judge(now=NOW, process=process, last_update=last, interval_s=30, busy=True,
                    stopped_cleanly=stopped, failed_reason=failed)
    assert verdict.status is expected
    assert verdict.status is not AgentStatus.RUNNING or process is None or process.alive
