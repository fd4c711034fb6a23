"""The shared services of one studio: attached to ``studio.services``, private to that studio,
and nothing they started outlives ``Studio.shutdown``."""

from __future__ import annotations

import sys
import threading

from studio.core.process import ProcessManager
from studio.core.remote_manager import RemoteManager
from studio.core.tools import ToolRegistry


def test_each_studio_has_its_own_services(studio_factory):
    first, second = studio_factory(), studio_factory()
    for studio in (first, second):
        assert isinstance(studio.services.process, ProcessManager)
        assert isinstance(studio.services.remote, RemoteManager)
        assert isinstance(studio.services.tools, ToolRegistry)
    assert first.services.process is not second.services.process
    assert first.services.remote is not second.services.remote
    assert first.services.tools is not second.services.tools
    assert first.services.process.logs_dir == first.paths.state / "logs"


def test_shutdown_leaves_no_process_running(studio_factory):
    studio = studio_factory()
    studio.services.process.grace_s = 0.5
    server = studio.services.process.spawn(
        [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, "
         "signal.SIG_IGN); time.sleep(120)"], name="stubborn-server", owner="deploy",
        long_lived=True)
    job_process: list = []
    started = threading.Event()

    def job(context):
        job_process.append(studio.services.process.spawn(
            [sys.executable, "-c", "import time; time.sleep(120)"], name="worker"))
        started.set()
        while not context.cancelled:
            context.wait(0.05)

    studio.jobs.submit("Serve", job, owner="deploy")
    assert started.wait(20)
    studio.shutdown()
    assert server.wait(10) != 0 and job_process[0].wait(10) != 0
    assert studio.services.process.processes() == []
    assert list((studio.paths.state / "processes").glob("*.json")) == []  # no orphans left
