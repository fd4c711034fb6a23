"""Managed processes, for real: output lines, logs, failures, cancel of a whole process group,
owners, shutdown, pid files and the orphans a killed studio leaves behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import psutil
import pytest

from studio.core.events import EventBus
from studio.core.jobs import JobCancelled, JobContext
from studio.core.process import ProcessChanged, ProcessFailed, ProcessManager
from studio.testing import BusSpy

PY = sys.executable
REPO = Path(__file__).resolve().parents[2]


def script(code: str) -> list[str]:
    return [PY, "-c", textwrap.dedent(code)]


def gone(pid: int, timeout: float = 10.0) -> bool:
    """Whether ``pid`` no longer runs (zombies of other parents count as gone)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def manager(tmp_path):
    manager = ProcessManager(tmp_path / "state", bus=EventBus(), grace_s=2.0)
    yield manager
    manager.shutdown(grace_s=0.5)


# A child that starts a grandchild (its pid on stdout), then waits; with IGNORE_TERM it
# survives SIGTERM, like a wedged tool.
FAMILY = """
import os, signal, subprocess, sys, time
if os.environ.get("IGNORE_TERM"):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print(grandchild.pid, flush=True)
time.sleep(60)
"""


def test_lines_reach_the_caller_and_the_log_in_order(manager):
    lines: list[tuple[str, str]] = []
    partials: list[str] = []
    result = manager.run(script("""
        import sys
        print("one"); print("two", flush=True)
        sys.stderr.write("warn\\r\\nbar 10%\\rbar 50%\\rbar 100%\\n"); sys.stderr.flush()
        sys.stdout.write("no newline at the end")
    """), name="talker", owner="models", on_line=lambda *item: lines.append(item),
        on_partial=lambda _stream, text: partials.append(text), capture_stdout=True)
    assert [t for s, t in lines if s == "stdout"] == ["one", "two", "no newline at the end"]
    assert [t for s, t in lines if s == "stderr"] == ["warn", "bar 10%", "bar 50%", "bar 100%"]
    assert result.stdout == ["one", "two", "no newline at the end"]
    assert result.returncode == 0 and result.stderr_tail[-1] == "bar 100%"
    log = result.log_file
    assert log is not None and log.parent == manager.logs_dir / "models"
    assert log.name.startswith("talker-") and log.suffix == ".log"
    text = log.read_text()
    assert "talker (owner models):" in text.splitlines()[0]
    for expected in ("one", "two", "warn", "bar 100%", "exited with status 0"):
        assert expected in text


def test_no_shell_ever_interprets_arguments(manager, tmp_path):
    marker = tmp_path / "hacked"
    result = manager.run([PY, "-c", "import sys; print(sys.argv[1])", f"x; touch {marker}"],
                         name="argv", capture_stdout=True)
    assert result.stdout == [f"x; touch {marker}"]
    assert not marker.exists()


def test_failure_is_data_with_exit_status_stderr_tail_and_log(manager):
    with pytest.raises(ProcessFailed) as failure:
        manager.run(script("""
            import sys
            for n in range(80):
                print(f"line {n}", file=sys.stderr)
            sys.exit(3)
        """), name="failer")
    error = failure.value
    assert error.returncode == 3
    assert len(error.stderr_tail) == 50 and error.stderr_tail[-1] == "line 79"
    assert error.log_file is not None and "exited with status 3" in error.log_file.read_text()
    assert "failer exited with status 3" in str(error) and "line 79" in str(error)


def test_cancel_stops_the_whole_group_politely(manager):
    pids: list[int] = []
    context = JobContext()

    def on_line(stream, line):
        pids.append(int(line))
        context.cancel()

    started = time.monotonic()
    with pytest.raises(JobCancelled):
        manager.run(script(FAMILY), name="family", ctx=context, on_line=on_line)
    assert time.monotonic() - started < 10  # SIGTERM was enough: no grace period waited out
    assert pids and gone(pids[0])  # the grandchild went with its group
    assert manager.processes() == []


def test_a_child_ignoring_sigterm_is_killed_after_the_grace_period(manager):
    pids: list[int] = []
    seen = threading.Event()
    process = manager.spawn(script(FAMILY), name="stubborn", env={"IGNORE_TERM": "1"},
                            on_line=lambda _stream, text: (pids.append(int(text)), seen.set()))
    assert seen.wait(20)
    child = psutil.Process(process.pid)
    assert process.terminate(grace_s=0.5) is True  # had to be killed
    assert process.wait(10) == -signal.SIGKILL
    assert gone(pids[0]) and gone(child.pid)
    assert "terminated with status" in process.log_file.read_text()


def test_timeout_terminates(manager):
    with pytest.raises(TimeoutError, match=r"did not finish within 0\.3 s"):
        manager.run(script("import time; time.sleep(30)"), name="slow", timeout=0.3,
                    grace_s=0.5)
    assert manager.processes() == []


def test_owner_defaults_to_the_acting_plugin_and_terminate_owned(tmp_path):
    acting = {"name": "deploy"}
    manager = ProcessManager(tmp_path, owner_of=lambda: acting["name"])
    try:
        ours = manager.spawn(script("import time; time.sleep(60)"), name="server")
        acting["name"] = "training"
        theirs = manager.spawn(script("import time; time.sleep(60)"), name="trainer")
        assert (ours.owner, theirs.owner) == ("deploy", "training")
        assert manager.terminate_owned("deploy") == [ours]
        assert ours.wait(10) != 0 and theirs.running
        assert [p.name for p in manager.processes()] == ["trainer"]
    finally:
        manager.shutdown(grace_s=0.5)


def test_names_cannot_escape_the_log_folder(manager):
    for bad in ("../evil", "a/b", "", ".hidden", "x" * 81):
        with pytest.raises(ValueError, match="must be 1-80 letters"):
            manager.spawn([PY, "-c", "pass"], name=bad)
    with pytest.raises(ValueError, match="owner"):
        manager.spawn([PY, "-c", "pass"], name="ok", owner="../up")


def test_events_and_on_exit(tmp_path):
    bus = EventBus()
    spy = BusSpy(bus, ProcessChanged.topic)
    manager = ProcessManager(tmp_path, bus=bus)
    exited = threading.Event()
    process = manager.spawn([PY, "-c", "raise SystemExit(4)"], name="short", owner="logs",
                            on_exit=lambda p: exited.set())
    assert exited.wait(20) and process.returncode == 4
    states = [(e.name, e.owner, e.state, e.returncode) for e in spy.of_type(ProcessChanged)]
    assert states == [("short", "logs", "running", None), ("short", "logs", "exited", 4)]


def test_shutdown_leaves_nothing_running_and_refuses_new_processes(manager):
    processes = [manager.spawn(script(FAMILY), name=f"p{n}", env={"IGNORE_TERM": "1"})
                 for n in range(3)]
    started = time.monotonic()
    manager.shutdown(grace_s=0.5)
    assert time.monotonic() - started < 5  # stopped in parallel, not one grace each
    assert all(not p.running for p in processes)
    with pytest.raises(RuntimeError, match="shut down"):
        manager.spawn([PY, "-c", "pass"], name="late")


def test_old_logs_are_pruned(manager):
    folder = manager.logs_dir / "studio"
    folder.mkdir(parents=True)
    for n in range(30):
        (folder / f"tool-20240101-0000{n:02d}.log").write_text("")
        os.utime(folder / f"tool-20240101-0000{n:02d}.log", (n, n))
    (folder / "tool-server-20240101-000000.log").write_text("")  # another process's log
    manager.run([PY, "-c", "pass"], name="tool", owner="studio")
    mine = sorted(p.name for p in folder.glob("tool-2*.log"))
    assert len(mine) == 20 and "tool-20240101-000029.log" in mine
    assert (folder / "tool-server-20240101-000000.log").exists()


# -- pid files and orphans ---------------------------------------------------------------------
STUDIO = """
import sys, time
from pathlib import Path
from studio.core.process import ProcessManager
manager = ProcessManager(Path(sys.argv[1]))
child = manager.spawn([sys.executable, "-c", "import time; time.sleep(120)"], name="server",
                      owner="deploy", long_lived=True)
print(child.pid, flush=True)
time.sleep(120)
"""


def start_studio(state: Path) -> tuple[subprocess.Popen, int]:
    """Another studio process with a long-lived managed child; returns it and the child pid."""
    studio = subprocess.Popen([PY, "-c", STUDIO, str(state)], stdout=subprocess.PIPE,
                              text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert studio.stdout is not None
    return studio, int(studio.stdout.readline())


def test_a_killed_studio_leaves_an_orphan_the_next_start_can_stop(tmp_path):
    state = tmp_path / "state"
    studio, child = start_studio(state)
    try:
        (pid_file,) = (state / "processes").glob("*.json")
        record = json.loads(pid_file.read_text())
        assert (record["pid"], record["name"], record["owner"]) == (child, "server", "deploy")
        # While that studio lives, its processes are not orphans.
        assert ProcessManager(state).orphans() == []
        studio.kill()  # a hard crash: no shutdown, no atexit
        studio.wait()
        assert psutil.pid_exists(child)
        (orphan,) = ProcessManager(state).orphans()
        assert (orphan.pid, orphan.name, orphan.owner) == (child, "server", "deploy")
        assert orphan.log_file is not None and orphan.log_file.is_file()
        assert orphan.terminate(grace_s=2) is True
        assert gone(child)
        assert not pid_file.exists()
        assert ProcessManager(state).orphans() == []
    finally:
        studio.kill()
        if psutil.pid_exists(child):
            os.kill(child, signal.SIGKILL)


def test_a_recycled_pid_is_not_mistaken_for_an_orphan(tmp_path):
    state = tmp_path / "state"
    studio, child = start_studio(state)
    try:
        studio.kill()
        studio.wait()
        (pid_file,) = (state / "processes").glob("*.json")
        record = json.loads(pid_file.read_text())
        record["create_time"] -= 3600  # same pid, but a process that started an hour earlier
        pid_file.write_text(json.dumps(record))
        assert ProcessManager(state).orphans() == []
        assert psutil.pid_exists(child)  # not ours to kill
        assert not pid_file.exists()  # the stale file is cleaned up
    finally:
        os.kill(child, signal.SIGKILL)


def test_a_pid_file_of_a_long_lived_process_goes_when_it_ends(manager):
    # Long enough that a loaded machine still finds the file before the child ends.
    process = manager.spawn([PY, "-c", "import time; time.sleep(1.5)"], name="brief",
                            long_lived=True)
    pid_file = manager.pid_files.folder / f"{process.pid}.json"
    assert pid_file.exists()
    process.wait(20)
    assert not pid_file.exists()


def test_damaged_pid_files_are_ignored(manager):
    folder = manager.pid_files.folder
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "123.json").write_text('{"pid": 1')  # half-written when the studio died
    assert manager.orphans() == []


CLI = """
import sys, time
from pathlib import Path
from studio.core.process import ProcessManager, install_exit_on_signals
if sys.argv[2] == "sigterm":
    install_exit_on_signals()  # as hafs-studio's CLI does first thing
manager = ProcessManager(Path(sys.argv[1]), grace_s=1)
child = manager.spawn([sys.executable, "-c", "import time; time.sleep(120)"], name="worker")
print(child.pid, flush=True)
if sys.argv[2] == "exit":
    sys.exit(0)
time.sleep(120)
"""


@pytest.mark.parametrize("how", ["exit", "sigterm"])
def test_a_cli_that_exits_or_is_terminated_stops_its_children(tmp_path, how):
    cli = subprocess.Popen([PY, "-c", CLI, str(tmp_path), how], stdout=subprocess.PIPE,
                           text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert cli.stdout is not None
    child = int(cli.stdout.readline())
    try:
        if how == "sigterm":
            cli.send_signal(signal.SIGTERM)
        cli.wait(20)
        assert gone(child)
    finally:
        cli.kill()
        if psutil.pid_exists(child):
            os.kill(child, signal.SIGKILL)
