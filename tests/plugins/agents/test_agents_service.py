"""The studio's Agents service: start, restart and stop real agents by name through
``studio.services.process``; what the studio started ends with the plugin."""

from __future__ import annotations

import json
import os
import time

import psutil
import pytest

from studio.plugins.agents.api import AgentStatus, ControlError, agents


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _until(service, name: str, predicate, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while True:
        row = service.monitor(start=False).refresh_now().get(name)
        if row is not None and predicate(row):
            return row
        if time.monotonic() > deadline:
            raise AssertionError(f"{name}: not met within {timeout} s; last {row}")
        time.sleep(0.05)


@pytest.fixture
def service(studio):
    studio.settings.set("agents", "campaign_search", False)
    studio.context.path.mkdir(parents=True, exist_ok=True)
    events = studio.context.path / "metrics" / "agents.jsonl"
    argv = [os.sys.executable, "-m", "studio.plugins.agents.sample_agent", str(events),
            "--name", "indexer", "--forever", "--interval", "0.3", "--pause-ms", "50"]
    studio.settings.set("agents", "custom_commands", json.dumps({
        "indexer": argv, "broken": [os.sys.executable, "-c", "import sys; sys.exit(4)"]}))
    return agents(studio)


def _alive(row) -> bool:
    return row.status in (AgentStatus.RUNNING, AgentStatus.IDLE) and row.pid is not None


def test_start_restart_stop_by_name_through_the_process_service(studio, service):
    started = service.start("indexer")
    assert started.ok and started.pid is not None
    managed = studio.services.process.processes("agents")
    assert [p.pid for p in managed] == [started.pid]
    assert managed[0].log_file is not None and managed[0].log_file.exists()
    row = _until(service, "indexer", lambda r: _alive(r) and r.pid == started.pid)

    restarted = service.restart("indexer")  # no restart command: stop, then start
    assert restarted.ok and restarted.pid not in (None, row.pid) and _gone(row.pid)
    row = _until(service, "indexer", lambda r: _alive(r) and r.pid == restarted.pid)

    stopped = service.stop("indexer")
    assert stopped.ok and _gone(restarted.pid)
    _until(service, "indexer", lambda r: r.status is AgentStatus.STOPPED)
    with pytest.raises(ControlError, match=r"exited with 4"):
        service.start("broken")
    with pytest.raises(ControlError, match="no start command is configured"):
        service.start("nobody")


def test_agents_the_studio_started_end_when_the_plugin_goes(studio, service):
    started = service.start("indexer")
    assert not _gone(started.pid)
    studio.disable_plugin("agents")  # teardown: the plugin's processes are terminated
    assert _gone(started.pid)
