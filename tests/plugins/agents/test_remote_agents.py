"""Agents of a sync.toml host, read over a real OpenSSH server on 127.0.0.1.

The "remote" host is this machine reached through sshd (the tests' fixture), with its own
context root: the agents there are real processes writing hafs's files; everything the
monitor learns about them (files, pids, process states, the events file) goes over SSH.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from agent_processes import wait_for_events

from studio.api import ContextRoot, RemoteManager
from studio.plugins.agents.control import ControlError, stop_agent
from studio.plugins.agents.model import AgentStatus
from studio.plugins.agents.monitor import AgentsMonitor, MonitorConfig
from studio.plugins.agents.remote_source import parse_remote_hosts
from studio.testing.sshd import configure_host, start_sshd


def _until(monitor: AgentsMonitor, predicate, timeout: float = 60.0):
    """Read the host and this machine until ``predicate(snapshot)`` holds."""
    deadline = time.monotonic() + timeout
    while True:
        monitor.refresh_remotes()
        snapshot = monitor.refresh_now()
        if predicate(snapshot):
            return snapshot
        if time.monotonic() > deadline:
            rows = [(r.name, r.status.value, r.reason) for r in snapshot.rows]
            raise AssertionError(f"not met within {timeout} s; rows {rows}; "
                                 f"problems {snapshot.problems}")
        time.sleep(0.1)


def _status(name: str):
    return lambda s: s.get(name) is not None and s.get(name).status


@pytest.fixture
def remote(tmp_path: Path, sshd_server):
    """A private sshd (the test stops it), its host entry, a manager and the host's root."""
    server = start_sshd(tmp_path / "sshd")
    host = configure_host(server, tmp_path / "ssh-host", name="gpu-box")
    manager = RemoteManager(sync_path=host.sync_path, nodes_path=tmp_path / "no-nodes.toml")
    root = tmp_path / "remote-context"
    (root / "metrics").mkdir(parents=True)
    yield host, manager, root
    manager.shutdown()
    server.stop()


def test_remote_agents_are_read_over_ssh_stopped_there_and_stale_when_unreachable(
        remote, roots, processes):
    host, manager, root = remote
    daemon = processes.hafs_daemon(root, "context_agent_daemon", interval=0.3)
    agent = processes.reporter_agent(root / "metrics" / "agents.jsonl", "far-agent",
                                     interval=0.3, fail_every=2)
    wait_for_events(root / "metrics" / "agents.jsonl", "far-agent", "failure")
    monitor = AgentsMonitor(
        ContextRoot(roots.configured, "test"), remote=manager,
        config=MonitorConfig(campaign_search=False, remote_refresh_s=0.5,
                             remote_hosts=tuple(parse_remote_hosts(f"gpu-box={root}").items())))
    try:
        daemon_name, agent_name = "context_agent_daemon@gpu-box", "far-agent@gpu-box"
        snapshot = _until(monitor, lambda s: _status(daemon_name)(s) is AgentStatus.RUNNING
                          and (s.get(agent_name) is not None
                               and (s.get(agent_name).failures or 0) >= 1))
        row = snapshot.get(daemon_name)
        assert (row.pid, row.remote_host, row.host) == (daemon.pid, "gpu-box", "gpu-box")
        assert row.create_time is not None and not row.local
        far = snapshot.get(agent_name)
        assert far.status in (AgentStatus.RUNNING, AgentStatus.IDLE) and far.pid == agent.pid
        assert far.tasks_done >= 1 and 0 < far.success_rate < 1
        assert any(e.agent == agent_name for e in snapshot.recent)  # the host's events
        assert sum(monitor.series(agent_name).failures) >= 1  # its charts, from the host

        # A paused process on the host is Stale (ps state T), as it is here.
        os.kill(daemon.pid, signal.SIGSTOP)
        _until(monitor, lambda s: _status(daemon_name)(s) is AgentStatus.STALE)
        os.kill(daemon.pid, signal.SIGCONT)
        row = _until(monitor, lambda s: _status(daemon_name)(s) is AgentStatus.RUNNING
                     ).get(daemon_name)

        # Stop goes through the host: kill -TERM over SSH, then the process really ends.
        result = stop_agent(row, grace_s=20, remote=monitor.remote_prober(row))
        assert result.ok and daemon.wait(timeout=20) == 0
        _until(monitor, lambda s: _status(daemon_name)(s) is AgentStatus.STOPPED)
        with pytest.raises(ControlError, match="no process id is known"):
            stop_agent(monitor.snapshot.get(daemon_name), remote=monitor.remote_prober(row))

        # The host goes away: its rows are kept, Stale, saying why and since when.
        host.server.stop()
        snapshot = _until(monitor, lambda s: _status(agent_name)(s) is AgentStatus.STALE)
        assert "cannot read gpu-box" in snapshot.get(agent_name).reason
        assert any(p.startswith("gpu-box: ") for p in snapshot.problems)
    finally:
        monitor.stop()


def test_remote_hosts_setting_is_checked():
    assert parse_remote_hosts("gpu-box, lab=/srv/hafs/.context") == {
        "gpu-box": ".context", "lab": "/srv/hafs/.context"}
    with pytest.raises(ValueError, match=r"'\.\./x' must not contain '\.\.'"):
        parse_remote_hosts("gpu-box=../x")
    with pytest.raises(ValueError, match=r"not a sync\.toml host name"):
        parse_remote_hosts("bad host")


def test_unknown_host_is_a_problem_naming_the_sync_file(remote, roots):
    host, manager, _root = remote
    monitor = AgentsMonitor(ContextRoot(roots.configured, "test"), remote=manager,
                            config=MonitorConfig(campaign_search=False,
                                                 remote_hosts=(("nowhere", ".context"),)))
    monitor.refresh_remotes()
    problems = monitor.refresh_now().problems
    assert any("host 'nowhere' is not configured" in p and str(host.sync_path) in p
               for p in problems), problems
