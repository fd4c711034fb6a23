"""``hafs-studio processes orphans``: a crashed studio's long-lived processes, found and stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import orjson
import psutil
from test_cli import run_studio

REPO = Path(__file__).resolve().parents[2]

CRASHING_STUDIO = """
import sys, time
from pathlib import Path
from studio.core.app import Studio
from studio.core.context import ContextRoot
studio = Studio(builtins=(), load_entry_points=False, context=ContextRoot(Path(sys.argv[1]), "t"))
server = studio.services.process.spawn(
    [sys.executable, "-c", "import time; time.sleep(120)"], name="llama-server", owner="deploy",
    long_lived=True)
print(server.pid, flush=True)
time.sleep(120)
"""


def test_orphans_of_a_killed_studio_are_listed_and_stopped(tmp_path):
    env = {**os.environ, "HAFS_STUDIO_HOME": str(tmp_path), "HOME": str(tmp_path),
           "PYTHONPATH": str(REPO)}
    studio = subprocess.Popen([sys.executable, "-c", CRASHING_STUDIO, str(tmp_path / "ctx")],
                              stdout=subprocess.PIPE, text=True, env=env)
    assert studio.stdout is not None
    server = int(studio.stdout.readline())
    try:
        running = run_studio("processes", "orphans", "--json", home=tmp_path)
        assert orjson.loads(running.stdout) == {"orphans": []}  # its studio still runs
        studio.kill()
        studio.wait()
        listed = run_studio("processes", "orphans", home=tmp_path)
        assert listed.returncode == 0
        assert "llama-server" in listed.stdout and str(server) in listed.stdout
        assert "--stop" in listed.stdout
        stopped = orjson.loads(run_studio("processes", "orphans", "--stop", "--json",
                                          home=tmp_path).stdout)
        (orphan,) = stopped["orphans"]
        assert (orphan["pid"], orphan["owner"], orphan["stopped"]) == (server, "deploy", True)
        assert not psutil.pid_exists(server) or psutil.Process(server).status() == "zombie"
        again = run_studio("processes", "orphans", home=tmp_path)
        assert "No processes left running" in again.stdout
    finally:
        studio.kill()
        if psutil.pid_exists(server):
            os.kill(server, signal.SIGKILL)
