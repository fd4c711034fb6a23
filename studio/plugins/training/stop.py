"""Stop a training run on this machine: find its process, prove it is the run's, signal it.

A pid alone is not proof: pids are reused, and ``campaign.pid`` may be weeks old. Before any
signal the process must match the run:

* a run with a metrics stream: the pid from its ``start`` event, alive, created no later than
  that event (plus a second of slack), and its command line equal to the recorded ``argv`` or
  naming the run folder;
* a hafs campaign: the pid from ``campaign_status.json``, then ``campaign.pid``, accepted only if
  its command line has one of hafs's campaign markers; otherwise the first process whose command
  line has one (exactly ``hafs training stop``'s search, hafs-formats §2.D);
* any other local run: a process whose command line names the run folder or its log, or that
  has a file inside the run folder open (a redirected stdout counts).

:func:`stop_process` re-checks the identity (pid + creation time) right before signalling,
sends SIGTERM, waits ``grace_s``, then SIGKILL. Never a process group or a shell.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import psutil

from studio.plugins.training.campaign import campaign_pid
from studio.plugins.training.locations import HafsTrainingPaths
from studio.plugins.training.runs import TrainingRun

__all__ = ["CAMPAIGN_MARKERS", "RunProcess", "StopError", "find_run_process", "stop_process"]

CAMPAIGN_MARKERS = ("generate_campaign", "hybrid_campaign", "generate_full_campaign",
                    "training_orchestrator", "campaign_launcher")
START_SLACK_S = 1.0


class StopError(Exception):
    """No verified process to stop, or it could not be signalled; the message says why."""


@dataclass(frozen=True)
class RunProcess:
    pid: int
    create_time: float
    cmdline: tuple[str, ...]
    why: str  # how it was matched to the run (shown in the confirmation)

    @property
    def command(self) -> str:
        return " ".join(self.cmdline) or f"pid {self.pid}"


def _describe(process: psutil.Process, why: str) -> RunProcess | None:
    try:
        with process.oneshot():
            return RunProcess(process.pid, process.create_time(), tuple(process.cmdline()), why)
    except (psutil.Error, OSError):
        return None


def _mentions(cmdline: tuple[str, ...], needles: list[str]) -> bool:
    text = "\0".join(cmdline)
    return any(needle and needle in text for needle in needles)


def _campaign_process(paths: HafsTrainingPaths) -> RunProcess | None:
    pid = campaign_pid(paths)
    if pid is not None:
        try:
            found = _describe(psutil.Process(pid), "campaign pid file")
        except psutil.Error:
            found = None
        if found is not None and _mentions(found.cmdline, list(CAMPAIGN_MARKERS)):
            return found
    for process in psutil.process_iter(["pid", "cmdline"]):
        cmdline = tuple(process.info.get("cmdline") or ())
        if process.pid != os.getpid() and _mentions(cmdline, list(CAMPAIGN_MARKERS)):
            found = _describe(process, "campaign command line")
            if found is not None:
                return found
    return None


def _stream_process(run: TrainingRun) -> RunProcess | None:
    from studio.plugins.training.readers.jsonl import MetricsStreamReader

    for source in run._sources.values():
        reader = source.reader
        if not isinstance(reader, MetricsStreamReader) or not reader.pid:
            continue
        started = reader.started_at
        try:
            found = _describe(psutil.Process(reader.pid), "pid in the metrics stream")
        except psutil.Error:
            return None
        if found is None:
            return None
        if started is not None and found.create_time > started + START_SLACK_S:
            return None  # the pid was reused by a younger process
        folder = str(run.source.folder) if run.source.folder else ""
        if reader.argv and tuple(reader.argv) == found.cmdline[-len(reader.argv):]:
            return found
        if folder and _mentions(found.cmdline, [folder, os.path.basename(folder)]):
            return found
        return None
    return None


def _folder_process(run: TrainingRun) -> RunProcess | None:
    folder = run.source.folder
    needles = [str(p) for p in (folder, *run.source.log_files) if p is not None]
    if not needles:
        return None
    folder_text = str(folder) + os.sep if folder else None
    me = os.getpid()
    for process in psutil.process_iter(["pid", "cmdline"]):
        if process.pid == me:
            continue
        cmdline = tuple(process.info.get("cmdline") or ())
        if _mentions(cmdline, needles):
            return _describe(process, "command line names the run")
        if folder_text is None:
            continue
        try:
            files = process.open_files()
        except (psutil.Error, OSError):
            continue
        if any(f.path.startswith(folder_text) or f.path in needles for f in files):
            return _describe(process, "has the run's files open")
    return None


def find_run_process(run: TrainingRun) -> RunProcess | None:
    """The verified local process of ``run``, or None (see the module docstring)."""
    if run.source.origin != "local":
        return None  # on another machine: phase 2 stops it over SSH
    if run.source.campaign is not None:
        return _campaign_process(run.source.campaign)
    return _stream_process(run) or _folder_process(run)


def stop_process(target: RunProcess, *, grace_s: float = 10.0,
                 on_progress: Callable[[str], None] | None = None) -> str:
    """SIGTERM, then SIGKILL after ``grace_s``; returns "terminated", "killed" or "gone"."""
    say = on_progress or (lambda message: None)
    try:
        process = psutil.Process(target.pid)
        if abs(process.create_time() - target.create_time) > 0.01:
            raise StopError(f"pid {target.pid} now belongs to another process; nothing was "
                            "signalled")
    except psutil.NoSuchProcess:
        return "gone"
    except psutil.AccessDenied as exc:
        raise StopError(f"pid {target.pid}: permission denied ({exc})") from None
    say(f"Sending SIGTERM to pid {target.pid}")
    if not _signal(process, process.terminate):
        return "gone"
    if _wait_gone(process, grace_s):
        return "terminated"
    say(f"pid {target.pid} still running after {grace_s:g} s: SIGKILL")
    if _signal(process, process.kill) and not _wait_gone(process, 5.0):
        raise StopError(f"pid {target.pid} did not die within 5 s of SIGKILL")
    return "killed"


def _signal(process: psutil.Process, send: Callable[[], None]) -> bool:
    """Send; False if the process is already gone; StopError when not permitted."""
    try:
        send()
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied as exc:
        raise StopError(f"pid {process.pid}: permission denied ({exc})") from None
    return True


def _wait_gone(process: psutil.Process, timeout: float) -> bool:
    """True once the process exited. A zombie counts as gone: it has exited, and when its
    parent is not us we cannot reap it (psutil's wait() would wait for the parent)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                with contextlib.suppress(psutil.Error, ChildProcessError):
                    process.wait(timeout=0)  # reap it if it is ours
                return True
        except psutil.NoSuchProcess:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
