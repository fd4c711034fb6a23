"""Operating-system details of managed processes: new process groups and stopping a whole tree.

Every managed child starts in a process group of its own (POSIX: a new session, so the group id
is the child's pid; Windows: ``CREATE_NEW_PROCESS_GROUP``), which is what lets the studio stop a
tool *and everything it started* (a Python script's workers, a server's helpers) with one call:

* POSIX: ``SIGTERM`` to the group, ``SIGKILL`` to what is left after the grace period.
* Windows: ``CTRL_BREAK_EVENT`` to the group (the console equivalent of SIGTERM), then
  ``taskkill /PID <pid> /T /F`` (the whole tree) after the grace period.

The same calls stop an orphan of a previous session, identified by pid *and* creation time so a
recycled pid is never mistaken for ours.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable
from typing import Any

__all__ = [
    "CREATE_TIME_TOLERANCE_S",
    "group_alive",
    "is_same_process",
    "new_group_options",
    "process_create_time",
    "signal_group",
    "stop_group",
]

WINDOWS = os.name == "nt"
# psutil derives creation times from clock ticks since boot: equal for one process, whole
# seconds apart (at least) for a recycled pid.
CREATE_TIME_TOLERANCE_S = 0.5


def new_group_options() -> dict[str, Any]:
    """``subprocess.Popen`` keyword arguments that start the child in a new process group."""
    if WINDOWS:
        import subprocess

        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}  # type: ignore[attr-defined]
    return {"start_new_session": True}


def process_create_time(pid: int) -> float | None:
    """When ``pid`` started (seconds since the epoch), or None when no such process exists."""
    import psutil  # here, not at import: the studio starts without it

    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None


def is_same_process(pid: int, create_time: float, argv: list[str] | None = None) -> bool:
    """Whether ``pid`` is still the process that started at ``create_time`` (with ``argv``)."""
    import psutil

    try:
        process = psutil.Process(pid)
        if abs(process.create_time() - create_time) > CREATE_TIME_TOLERANCE_S:
            return False
        if argv is None:
            return True
        return _same_command(process.cmdline(), argv)
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    except psutil.AccessDenied:  # another user's process cannot be ours
        return False


def _same_command(cmdline: list[str], argv: list[str]) -> bool:
    # A script run by path may show its interpreter first; the arguments must match at the end.
    if not cmdline:
        return False
    return cmdline[-len(argv):] == argv or cmdline == argv


def group_alive(pid: int) -> bool:
    """Whether any process of the group led by ``pid`` (or the process itself) still exists."""
    if WINDOWS:
        import psutil

        return psutil.pid_exists(pid)
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def signal_group(pid: int, force: bool) -> None:
    """Ask (``force=False``) or force the group led by ``pid`` to stop; gone is fine."""
    if WINDOWS:
        import subprocess

        if force:
            subprocess.run(["taskkill", "/PID", str(pid), "/T", "/F"], capture_output=True,
                           check=False, stdin=subprocess.DEVNULL)
        else:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.CTRL_BREAK_EVENT)  # type: ignore[attr-defined]
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL if force else signal.SIGTERM)


def stop_group(pid: int, grace_s: float, exited: Callable[[], bool],
               poll_s: float = 0.02) -> bool:
    """SIGTERM the group, wait up to ``grace_s`` for it to empty, then SIGKILL what is left.

    ``exited()`` reports (and reaps, for our own children) the group leader. Returns True when
    the group had to be killed.
    """
    signal_group(pid, force=False)
    deadline = time.monotonic() + max(0.0, grace_s)
    while time.monotonic() < deadline:
        if exited() and not group_alive(pid):
            return False
        time.sleep(poll_s)
    if not group_alive(pid) and exited():
        return False
    signal_group(pid, force=True)
    return True
