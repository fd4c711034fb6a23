"""Is an agent alive? Process identity (psutil) and heartbeat freshness, decided in one place.

Rules (issue 13):

* A pid counts as alive only if the process exists, is not a zombie, and was created no later
  than the file that names it was written (with :data:`CLOCK_TOLERANCE_S`): a pid the kernel
  recycled for a newer process is reported as "not running", never as the agent.
* Alive and heard from within twice the agent's interval → Running (or Idle); alive but
  silent, or paused with SIGSTOP → Stale.
* A dead pid is Stopped (the agent said it stopped cleanly) or Failed, never Running.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import psutil

from studio.api import format_age
from studio.plugins.agents.model import AgentStatus

__all__ = [
    "CLOCK_TOLERANCE_S",
    "ProcessCheck",
    "ProcessProbe",
    "Verdict",
    "check_process",
    "judge",
]

# psutil derives create_time from boot time + start ticks, which can drift by up to ~1 s from
# the wall clock that stamped the file; 2 s keeps real agents and still rejects recycled pids
# (a recycled pid belongs to a process started after the agent's last write).
CLOCK_TOLERANCE_S = 2.0


@dataclass(frozen=True)
class ProcessCheck:
    pid: int
    alive: bool
    create_time: float | None = None
    paused: bool = False
    reason: str = ""  # why not alive (or a caveat when alive)


class ProcessProbe:
    """Checks pids, reusing one psutil handle per live process.

    The monitor checks every pid every second; a fresh handle re-reads /proc for the creation
    time each time, a kept one only for the state (``is_running()`` still compares creation
    times, so a recycled pid gets a new handle).
    """

    def __init__(self) -> None:
        self._processes: dict[int, psutil.Process] = {}
        self._lock = threading.Lock()

    def process(self, pid: int) -> psutil.Process:
        with self._lock:
            process = self._processes.get(pid)
        if process is not None and process.is_running():
            return process
        process = psutil.Process(pid)
        with self._lock:
            if len(self._processes) > 4096:  # handles of long-gone agents
                self._processes.clear()
            self._processes[pid] = process
        return process

    def forget(self, pid: int) -> None:
        with self._lock:
            self._processes.pop(pid, None)

    def check(self, pid: int, written_at: float | None = None) -> ProcessCheck:
        return check_process(pid, written_at, self)


def check_process(pid: int, written_at: float | None = None,
                  probe: ProcessProbe | None = None) -> ProcessCheck:
    """Check ``pid`` on this machine; ``written_at``: when the file naming it was written."""
    try:
        process = probe.process(pid) if probe is not None else psutil.Process(pid)
        create_time = process.create_time()
        state = process.status()
    except psutil.NoSuchProcess:
        if probe is not None:
            probe.forget(pid)
        return ProcessCheck(pid, False, reason=f"pid {pid} is not running")
    except psutil.AccessDenied:
        # Another user's process: it exists, its identity cannot be checked.
        return ProcessCheck(pid, True, reason=f"pid {pid} belongs to another user; "
                            "its identity could not be checked")
    if state == psutil.STATUS_ZOMBIE:
        return ProcessCheck(pid, False, create_time, reason=f"pid {pid} has exited (zombie)")
    if written_at is not None and create_time > written_at + CLOCK_TOLERANCE_S:
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(create_time))
        return ProcessCheck(pid, False, create_time, reason=(
            f"pid {pid} now belongs to another process (started {started}, after the agent's "
            "file was written): the agent is not running"))
    paused = state in (psutil.STATUS_STOPPED, psutil.STATUS_TRACING_STOP)
    return ProcessCheck(pid, True, create_time, paused,
                        "process is paused (SIGSTOP)" if paused else "")


@dataclass(frozen=True)
class Verdict:
    status: AgentStatus
    reason: str


def judge(*, now: float, process: ProcessCheck | None, last_update: float | None,
          interval_s: float | None, busy: bool, stopped_cleanly: bool,
          failed_reason: str = "", remote: bool = False) -> Verdict:
    """The status of one agent from what its files and its process say.

    ``process``: the local pid check (None when there is no pid, or it is on another host);
    ``stopped_cleanly``: the agent wrote its stopped form (hafs ``{running:false, stopped}``,
    a ``stop`` event with exit code 0); ``failed_reason``: an explicit failure it recorded.
    """
    if process is not None and not process.alive:
        if stopped_cleanly and not failed_reason:
            return Verdict(AgentStatus.STOPPED, "stopped cleanly")
        reason = failed_reason or (f"{process.reason}, and it did not record a clean stop "
                                   "(crashed or killed)")
        return Verdict(AgentStatus.FAILED, reason)
    if process is None and not remote:
        # No pid to check: only the files speak.
        if failed_reason:
            return Verdict(AgentStatus.FAILED, failed_reason)
        if stopped_cleanly:
            return Verdict(AgentStatus.STOPPED, "stopped cleanly")
    elif stopped_cleanly and process is None:
        return Verdict(AgentStatus.STOPPED, "stopped cleanly")
    if process is not None and process.paused:
        return Verdict(AgentStatus.STALE, process.reason)
    if last_update is None:
        return Verdict(AgentStatus.STALE, "never reported a status update")
    age = now - last_update
    interval = interval_s if interval_s and interval_s > 0 else None
    if interval is not None and age > 2 * interval:
        return Verdict(AgentStatus.STALE, f"no update for {format_age(age)} (expected every "
                       f"{format_age(interval)})")
    where = "" if process is not None else (" (pid not checked: another host)" if remote else
                                            " (no pid: liveness from its reports only)")
    status = AgentStatus.RUNNING if busy else AgentStatus.IDLE
    return Verdict(status, f"updated {format_age(age)} ago{where}")
