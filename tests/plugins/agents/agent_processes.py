"""Start real agent processes for the Agents tests and make sure they end.

``reporter_agent`` runs :mod:`studio.plugins.agents.sample_agent` (a real agent reporting
through :mod:`studio.agent_reporter`); ``hafs_daemon`` runs ``hafs_style_daemon.py`` (a real
process writing hafs's daemon status files). Both return a :class:`subprocess.Popen`; the
``processes`` fixture terminates and reaps whatever a test left running.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
DAEMON_SCRIPT = HERE / "hafs_style_daemon.py"


class Processes:
    def __init__(self) -> None:
        self.started: list[subprocess.Popen] = []

    def reporter_agent(self, events_file: Path, name: str, *, interval: float = 0.5,
                       task_ms: float = 5.0, pause_ms: float = 100.0, fail_every: int = 0,
                       tasks: int = 3, forever: bool = True) -> subprocess.Popen:
        argv = [sys.executable, "-m", "studio.plugins.agents.sample_agent", str(events_file),
                "--name", name, "--interval", str(interval), "--task-ms", str(task_ms),
                "--pause-ms", str(pause_ms), "--tasks", str(tasks),
                "--fail-every", str(fail_every)]
        if forever:
            argv.append("--forever")
        return self._start(argv)

    def hafs_daemon(self, root: Path, folder: str, *, interval: float = 0.5,
                    fail_task: str | None = None) -> subprocess.Popen:
        argv = [sys.executable, str(DAEMON_SCRIPT), str(root), folder,
                "--interval", str(interval)]
        if fail_task:
            argv += ["--fail-task", fail_task]
        process = self._start(argv)
        status = root / folder / "daemon_status.json"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # started once it wrote its first status
            try:
                if json.loads(status.read_text()).get("pid") == process.pid:
                    return process
            except (OSError, ValueError):
                pass
            if process.poll() is not None:
                raise RuntimeError(f"{DAEMON_SCRIPT.name} exited with {process.returncode}")
            time.sleep(0.02)
        raise RuntimeError(f"{folder} wrote no status within 30 s")

    def _start(self, argv: list[str]) -> subprocess.Popen:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)
        self.started.append(process)
        return process

    def close(self) -> None:
        for process in self.started:
            if process.poll() is None:
                try:
                    os.kill(process.pid, signal.SIGCONT)  # a paused one cannot handle TERM
                    process.terminate()
                    process.wait(timeout=10)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    process.kill()
                    process.wait(timeout=10)
            if process.stderr is not None:
                process.stderr.close()


def wait_for_events(events_file: Path, agent: str, event: str, timeout: float = 30.0) -> None:
    """Until ``agent`` wrote an ``event`` line (a started reporter is then known to the file)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            for line in events_file.read_text().splitlines():
                record = json.loads(line)
                if record.get("agent") == agent and record.get("event") == event:
                    return
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    raise TimeoutError(f"{agent} wrote no {event!r} event within {timeout} s")
