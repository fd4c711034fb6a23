"""The monitor over real agent processes: table rows, staleness, failures, stop, alerts."""

from __future__ import annotations

import json
import os
import signal
import time

import psutil
import pytest
from agent_processes import wait_for_events

from studio.api import ContextRoot
from studio.core.events import EventBus
from studio.plugins.agents.alerts import AgentAlert
from studio.plugins.agents.control import ControlError, start_agent, stop_agent
from studio.plugins.agents.model import AgentStatus
from studio.testing import BusSpy


def _until(monitor, predicate, timeout: float = 30.0):
    """Refresh until ``predicate(snapshot)`` holds; return that snapshot."""
    deadline = time.monotonic() + timeout
    while True:
        snapshot = monitor.refresh_now()
        if predicate(snapshot):
            return snapshot
        if time.monotonic() > deadline:
            rows = [(r.name, r.status.value, r.reason) for r in snapshot.rows]
            raise AssertionError(f"condition not met within {timeout} s; rows: {rows}")
        time.sleep(0.05)


def _status(name):
    return lambda snap: snap.get(name) is not None and snap.get(name).status


def test_reporter_agent_running_then_stale_when_paused(roots, processes, make_monitor):
    agent = processes.reporter_agent(roots.events, "indexer", interval=0.3, fail_every=3)
    wait_for_events(roots.events, "indexer", "failure")
    monitor = make_monitor()
    snapshot = _until(monitor, lambda s: _status("indexer")(s) in (AgentStatus.RUNNING,
                                                                   AgentStatus.IDLE))
    row = snapshot.get("indexer")
    assert row.pid == agent.pid and row.local and row.kind == "indexer"
    assert row.create_time is not None and row.uptime_s(snapshot.taken_at) >= 0
    assert row.failures >= 1 and row.tasks_done >= 2
    assert row.success_rate == pytest.approx(row.tasks_done / (row.tasks_done + row.failures))
    assert row.last_error.startswith("FileNotFoundError: notes/batch-")
    assert row.mean_latency_ms is not None and row.throughput_per_min > 0
    assert row.queue_depth is not None
    os.kill(agent.pid, signal.SIGSTOP)
    stale = _until(monitor, lambda s: _status("indexer")(s) is AgentStatus.STALE).get("indexer")
    assert "paused" in stale.reason or "no update" in stale.reason
    os.kill(agent.pid, signal.SIGCONT)
    _until(monitor, lambda s: _status("indexer")(s) in (AgentStatus.RUNNING, AgentStatus.IDLE))


def test_silent_live_agent_goes_stale_by_time(roots, processes, make_monitor):
    # A real process that announces a 0.2 s heartbeat, then goes quiet while staying alive.
    roots.events.parent.mkdir(parents=True)
    code = ("import sys, time\nfrom studio.agent_reporter import AgentReporter\n"
            "r = AgentReporter('quiet', sys.argv[1], interval=0.2)\nr.heartbeat()\n"
            "time.sleep(600)\n")
    quiet = processes._start([os.sys.executable, "-c", code, str(roots.events)])
    wait_for_events(roots.events, "quiet", "heartbeat")
    monitor = make_monitor()
    row = _until(monitor, lambda s: _status("quiet")(s) is AgentStatus.STALE).get("quiet")
    assert "no update for" in row.reason and row.pid == quiet.pid


def test_hafs_daemon_files_running_then_stopped_by_sigterm(roots, processes, make_monitor):
    daemon = processes.hafs_daemon(roots.configured, "autonomy_daemon", interval=0.3,
                                   fail_task="test_suite")
    monitor = make_monitor()
    row = _until(monitor, lambda s: _status("autonomy_daemon")(s) is AgentStatus.RUNNING
                 ).get("autonomy_daemon")
    assert row.pid == daemon.pid and row.kind == "hafs daemon"
    assert (row.tasks_done, row.failures) == (1, 1)
    assert row.last_error == "test_suite: pytest exited with 2"
    tasks = monitor.snapshot.tasks
    assert {t.name for t in tasks} >= {"self_heal", "curiosity_explore", "test_suite"}
    result = stop_agent(row, grace_s=20)
    assert result.ok and daemon.wait(timeout=20) == 0  # the process really ended
    stopped = _until(monitor, lambda s: _status("autonomy_daemon")(s) is AgentStatus.STOPPED)
    assert not (roots.configured / "autonomy_daemon" / "daemon.pid").exists()
    assert stopped.get("autonomy_daemon").pid is None


def test_killed_daemon_is_failed_never_running(roots, processes, make_monitor):
    daemon = processes.hafs_daemon(roots.home_context, "embedding_service", interval=0.3)
    monitor = make_monitor()
    _until(monitor, lambda s: _status("embedding_service")(s) is AgentStatus.RUNNING)
    daemon.kill()  # no cleanup: daemon.pid and a "running" status stay behind
    daemon.wait()
    row = _until(monitor, lambda s: _status("embedding_service")(s) is AgentStatus.FAILED
                 ).get("embedding_service")
    assert "did not record a clean stop" in row.reason
    assert row.create_time is None


def test_training_daemon_tasks_come_from_scheduled_tasks(roots, processes, make_monitor):
    schedule = roots.home_context / "training_daemon" / "scheduled_tasks.json"
    schedule.parent.mkdir(parents=True)
    text = json.dumps({"tasks": [{"name": "asm_generation", "task_type": "generation",
                                  "domain": "asm", "interval_seconds": 86400, "limit": 100,
                                  "enabled": True, "last_run": "", "next_run": "",
                                  "config": {}}]}, indent=2)
    schedule.write_text(text)
    processes.hafs_daemon(roots.home_context, "training_daemon", interval=0.3)
    monitor = make_monitor()
    snapshot = _until(monitor, lambda s: _status("training_daemon")(s) is AgentStatus.IDLE)
    assert [(t.agent, t.name, t.due) for t in snapshot.tasks] == [
        ("training_daemon", "asm_generation", True)]
    assert snapshot.get("training_daemon").queue_depth == 1
    assert schedule.read_text() == text


def test_stop_refuses_a_pid_that_changed_identity(roots, processes, make_monitor):
    agent = processes.reporter_agent(roots.events, "victim", interval=0.3)
    wait_for_events(roots.events, "victim", "heartbeat")
    monitor = make_monitor()
    row = _until(monitor, lambda s: _status("victim")(s) in (AgentStatus.RUNNING,
                                                             AgentStatus.IDLE)).get("victim")
    from dataclasses import replace

    impostor = replace(row, create_time=row.create_time - 100)  # as if the pid was recycled
    with pytest.raises(ControlError, match="now belongs to another process"):
        stop_agent(impostor)
    assert agent.poll() is None  # not signalled
    assert stop_agent(row, grace_s=20).ok
    assert agent.wait(timeout=20) == 0
    stopped = _until(monitor, lambda s: _status("victim")(s) is AgentStatus.STOPPED)
    assert stopped.get("victim").reason.startswith("stopped cleanly")
    with pytest.raises(ControlError, match="is not running"):
        stop_agent(stopped.get("victim"))


def test_alerts_for_stale_and_failure_rate(roots, processes, make_monitor):
    bus = EventBus()
    spy = BusSpy(bus, "agents.alert")
    agent = processes.reporter_agent(roots.events, "flaky", interval=0.3, fail_every=1,
                                     pause_ms=20)
    wait_for_events(roots.events, "flaky", "heartbeat")
    monitor = make_monitor(bus=bus)
    _until(monitor, lambda s: _status("flaky")(s) in (AgentStatus.RUNNING, AgentStatus.IDLE))
    _until(monitor, lambda s: any(a.kind == "failure-rate" for a in spy.of_type(AgentAlert)))
    os.kill(agent.pid, signal.SIGSTOP)
    _until(monitor, lambda s: any(a.kind == "stale" for a in spy.of_type(AgentAlert)))
    kinds = [a.kind for a in spy.of_type(AgentAlert) if a.agent == "flaky"]
    assert kinds.count("stale") == 1 and kinds.count("failure-rate") == 1
    monitor.refresh_now()
    assert [a.kind for a in spy.of_type(AgentAlert)].count("stale") == 1  # said once


def test_start_command_launches_and_reports_a_failing_command(roots, process_manager,
                                                              make_monitor):
    """Start runs the argv through the studio's process service (own group, log, pid file);
    Stop ends that process group; a failing command's output is the error."""
    argv = [os.sys.executable, "-m", "studio.plugins.agents.sample_agent", str(roots.events),
            "--name", "launched", "--forever", "--interval", "0.3", "--pause-ms", "50"]

    def start(name: str, command: list[str]):
        return start_agent(name, command, process_manager, process_name=f"agent-{name}",
                           owner="agents", settle_s=1.0)

    result = start("launched", argv)
    assert result.ok and result.pid is not None and os.path.exists(result.log_file)
    assert "stops when the studio exits" in result.message
    assert (process_manager.state_dir / "processes" / f"{result.pid}.json").exists()  # orphan
    monitor = make_monitor()
    monitor.managed = lambda: process_manager.processes("agents")
    row = _until(monitor, lambda s: _status("launched")(s) in (
        AgentStatus.RUNNING, AgentStatus.IDLE)).get("launched")
    assert row.pid == result.pid
    stopped = stop_agent(row, grace_s=20, managed=process_manager.processes("agents"))
    assert (stopped.ok and not psutil.pid_exists(result.pid)) or \
        psutil.Process(result.pid).status() == psutil.STATUS_ZOMBIE
    with pytest.raises(ControlError, match=r"exited with 3:\nbad config"):
        start("broken", [os.sys.executable, "-c",
                         "import sys; print('bad config'); sys.exit(3)"])
    with pytest.raises(ControlError, match="program 'no-such-program-x' was not found"):
        start("missing", ["no-such-program-x"])
    launcher = start("launcher", [os.sys.executable, "-c", "print('service started')"])
    assert launcher.ok and launcher.pid is None and "service started" in launcher.message


def test_agents_the_studio_started_stop_with_it(roots, process_manager):
    argv = [os.sys.executable, "-m", "studio.plugins.agents.sample_agent", str(roots.events),
            "--name", "child", "--forever", "--interval", "0.3"]
    result = start_agent("child", argv, process_manager, process_name="agent-child",
                         owner="agents", settle_s=0.5)
    assert psutil.pid_exists(result.pid)
    process_manager.terminate_owned("agents")  # what the studio does at teardown and exit
    assert not psutil.pid_exists(result.pid) or \
        psutil.Process(result.pid).status() == psutil.STATUS_ZOMBIE


def test_sample_workspace_leaves_only_stopped_agents(roots, make_monitor):
    from studio.plugins.agents.sample import populate_sample_agents

    lines: list[str] = []
    populate_sample_agents(roots.configured, lines.append)
    before = (roots.configured / "metrics" / "agents.jsonl").read_bytes()
    populate_sample_agents(roots.configured, lines.append)  # never overwrites
    assert (roots.configured / "metrics" / "agents.jsonl").read_bytes() == before
    # A sample workspace is one folder holding everything (opened like --context).
    snapshot = make_monitor(context=ContextRoot(roots.configured, "--context")).refresh_now()
    assert {r.name: r.status for r in snapshot.rows} == {
        "autonomy_daemon": AgentStatus.STOPPED, "training_daemon": AgentStatus.STOPPED,
        "sample-indexer": AgentStatus.STOPPED}
    indexer = snapshot.get("sample-indexer")
    assert (indexer.tasks_done, indexer.failures) == (10, 2)  # a real agent ran 12 tasks
    assert len(snapshot.tasks) == 8 and snapshot.swarm is not None
    assert [n.status for n in snapshot.swarm.nodes] == ["complete"] * 4
    assert "stopped" in lines[0]
