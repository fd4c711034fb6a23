"""``hafs-studio agents …`` as real subprocesses over real agent processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from agent_processes import wait_for_events


def cli_environ(roots, tmp_path: Path, **settings) -> dict[str, str]:
    """A private studio home whose settings leave this machine's other processes alone (no
    campaign search by command line); the context root comes from hafs's config in HOME."""
    studio_home = tmp_path / "studio"
    (studio_home / "config").mkdir(parents=True, exist_ok=True)
    (studio_home / "config" / "settings.json").write_text(
        json.dumps({"agents": {"campaign_search": False, **settings}}), encoding="utf-8")
    env = dict(os.environ, HAFS_STUDIO_HOME=str(studio_home), HOME=str(roots.home),
               COLUMNS="220")
    for name in ("DISPLAY", "QT_QPA_PLATFORM", "HAFS_CONTEXT_ROOT", "HAFS_CONFIG_PATH"):
        env.pop(name, None)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[3])
    return env


@pytest.fixture
def cli(roots, tmp_path: Path):
    def run(*args: str, input_text: str | None = None, settings: dict | None = None,
            environ: dict | None = None) -> subprocess.CompletedProcess:
        env = cli_environ(roots, tmp_path, **(settings or {}))
        env.update(environ or {})
        command = [sys.executable, "-m", "studio", "agents", *args]
        return subprocess.run(command, check=False, capture_output=True, text=True, env=env,
                              input=input_text, timeout=120)

    return run


def test_list_without_agents_says_where_it_looks_and_how_to_report(cli, roots):
    result = cli("list")
    assert result.returncode == 0 and result.stdout == ""
    assert str(roots.configured / "autonomy_daemon" / "daemon_status.json") in result.stderr
    assert str(roots.home_context / "training_daemon" / "daemon_status.json") in result.stderr
    assert "studio.agent_reporter" in result.stderr and "docs/agents.md" in result.stderr
    data = json.loads(cli("list", "--json").stdout)
    assert data["agents"] == [] and data["events_file"] == str(roots.events)


def test_list_json_events_and_stop(cli, roots, processes):
    agent = processes.reporter_agent(roots.events, "cli-agent", interval=0.3, fail_every=2)
    daemon = processes.hafs_daemon(roots.home_context, "context_agent_daemon", interval=0.3)
    wait_for_events(roots.events, "cli-agent", "failure")
    data = json.loads(cli("list", "--json").stdout)
    rows = {row["name"]: row for row in data["agents"]}
    assert set(rows) == {"cli-agent", "context_agent_daemon"}
    mine = rows["cli-agent"]
    for key in ("name", "status", "pid", "tasks_done", "failures", "success_rate",
                "last_error"):
        assert key in mine
    assert mine["pid"] == agent.pid and mine["status"] in ("Running", "Idle")
    assert mine["failures"] >= 1 and mine["last_error"].startswith("FileNotFoundError")
    assert rows["context_agent_daemon"]["pid"] == daemon.pid

    table = cli("list")
    assert "cli-agent" in table.stdout and "context_agent_daemon" in table.stdout

    events = cli("events", "-n", "3", "--agent", "cli-agent")
    lines = events.stdout.strip().splitlines()
    assert len(lines) == 3 and all("cli-agent" in line for line in lines)
    raw = cli("events", "-n", "2", "--json")
    assert [json.loads(line)["agent"] for line in raw.stdout.splitlines()] == ["cli-agent"] * 2

    refused = cli("stop", "cli-agent", input_text="n\n")
    assert refused.returncode == 1 and agent.poll() is None
    stopped = cli("stop", "cli-agent", "--yes")
    assert stopped.returncode == 0, stopped.stderr
    assert f"cli-agent (pid {agent.pid}) stopped" in stopped.stdout
    assert agent.wait(timeout=20) == 0
    assert cli("stop", "cli-agent", "--yes").returncode == 1  # not running any more
    unknown = cli("stop", "nobody", "--yes")
    assert unknown.returncode == 2 and "no agent called 'nobody'" in unknown.stderr


def test_events_follow_prints_new_lines(cli, roots, tmp_path):
    env = cli_environ(roots, tmp_path)
    follower = subprocess.Popen(
        [sys.executable, "-m", "studio", "agents", "events",
         "-f", "-n", "0", "--json"], stdout=subprocess.PIPE, text=True, env=env)
    try:
        from studio.agent_reporter import AgentReporter

        reporter = AgentReporter("late", roots.events)
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline and not line:
            reporter.queue_depth(5)  # until the follower (still starting) picks one up
            time.sleep(0.3)
            import select

            if select.select([follower.stdout], [], [], 0.5)[0]:
                line = follower.stdout.readline()
        assert json.loads(line)["event"] == "queue"
    finally:
        follower.terminate()
        follower.wait(timeout=10)


def test_list_and_stop_an_agent_on_a_remote_host(cli, roots, processes, ssh_host, tmp_path):
    """`agents list` reads the sync.toml hosts of agents.remote_hosts over SSH (the tests'
    real sshd on 127.0.0.1); `agents stop name@host` stops it there."""
    remote_root = tmp_path / "remote-context"
    agent = processes.reporter_agent(remote_root / "metrics" / "agents.jsonl", "far",
                                     interval=0.3)
    wait_for_events(remote_root / "metrics" / "agents.jsonl", "far", "success")
    options = {"settings": {"remote_hosts": f"{ssh_host.name}={remote_root}"},
               "environ": {"HAFS_SYNC_CONFIG": str(ssh_host.sync_path),
                           "HAFS_NODES_CONFIG": str(tmp_path / "no-nodes.toml")}}
    listed = cli("list", "--json", **options)
    rows = {row["name"]: row for row in json.loads(listed.stdout)["agents"]}
    name = f"far@{ssh_host.name}"
    assert rows[name]["pid"] == agent.pid and rows[name]["status"] in ("Running", "Idle")
    stopped = cli("stop", name, "--yes", **options)
    assert stopped.returncode == 0, stopped.stderr
    assert agent.wait(timeout=20) == 0  # SIGTERM over SSH: the reporter stops cleanly
