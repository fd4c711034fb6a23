"""The window offers to stop processes a crashed session left running, for real."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from studio.testing import BUILTIN_PLUGINS, shown_shell

REPO = Path(__file__).resolve().parents[2]

CRASHING_STUDIO = """
import sys, time
from pathlib import Path
from studio.core.process import ProcessManager
manager = ProcessManager(Path(sys.argv[1]))
for name in ("llama-server", "agent"):
    child = manager.spawn([sys.executable, "-c", "import time; time.sleep(120)"], name=name,
                          owner="deploy", long_lived=True)
    print(child.pid, flush=True)
time.sleep(120)
"""


@pytest.fixture
def orphans(studio_home):
    """Two long-lived processes of a studio that was then killed (same state folder)."""
    crashed = subprocess.Popen([sys.executable, "-c", CRASHING_STUDIO,
                                str(studio_home / "state")], stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": str(REPO)})
    assert crashed.stdout is not None
    pids = [int(crashed.stdout.readline()) for _ in range(2)]
    crashed.kill()
    crashed.wait()
    yield pids
    for pid in pids:
        if psutil.pid_exists(pid):
            os.kill(pid, signal.SIGKILL)


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_the_window_offers_to_stop_them(qtbot, studio_factory, orphans, tmp_path):
    studio = studio_factory(builtins=BUILTIN_PLUGINS)
    with shown_shell(qtbot, studio) as shell:
        qtbot.waitUntil(lambda: shell.orphan_prompt.box is not None
                        and shell.orphan_prompt.box.isVisible(), timeout=10000)
        box = shell.orphan_prompt.box
        assert "2 processes started by an earlier session" in box.text()
        assert "llama-server" in box.text() and str(orphans[0]) in box.text()
        box.grab().save(str(tmp_path / "orphans.png"))
        with qtbot.waitSignal(shell.orphan_prompt.stopped, timeout=20000) as stopped:
            shell.orphan_prompt.stop_button.click()
        assert stopped.args == [2]
        assert all(gone(pid) for pid in orphans)
        assert studio.services.process.orphans() == []


def test_keeping_them_stops_the_question(qtbot, studio_factory, orphans):
    studio = studio_factory(builtins=BUILTIN_PLUGINS)
    with shown_shell(qtbot, studio) as shell:
        qtbot.waitUntil(lambda: shell.orphan_prompt.box is not None
                        and shell.orphan_prompt.box.isVisible(), timeout=10000)
        shell.orphan_prompt.keep_button.click()
        qtbot.waitUntil(lambda: not shell.orphan_prompt.box.isVisible())
        assert all(psutil.pid_exists(pid) for pid in orphans)  # still running, as asked
        assert studio.services.process.orphans() == []  # and not asked about again
