"""Stop a training run on a host over SSH: find its process, prove it is the run's, signal it.

As for local runs (``stop.py``) a pid alone is not proof. The pid comes from the run's metrics
stream (its ``start`` event), and before any signal the host must show a live process with
that pid whose command line is the recorded ``argv`` or names the run folder (``ps`` on POSIX
hosts, PowerShell's ``Get-CimInstance Win32_Process`` on Windows). Then:
POSIX ``kill -TERM``, ``kill -KILL`` after the grace period; Windows ``taskkill /PID`` then
``taskkill /F``. Commands go through the shared connection as argv (quoted for the host's shell).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.plugins.training.readers.jsonl import MetricsStreamReader
from studio.plugins.training.stop import StopError

if TYPE_CHECKING:
    from studio.api import RemoteHost
    from studio.plugins.training.runs import TrainingRun

__all__ = ["RemoteRunProcess", "find_remote_process", "stop_remote_process"]


@dataclass(frozen=True)
class RemoteRunProcess:
    host: str
    pid: int
    command: str
    why: str


def _windows(host: RemoteHost) -> bool:
    return bool(getattr(host.config, "is_windows", False))


def _command_line(host: RemoteHost, pid: int) -> str | None:
    """The host's command line of ``pid``, or None when no such process runs."""
    if _windows(host):
        rc, out, _ = host.run(["powershell", "-NoProfile", "-Command",
                               f"(Get-CimInstance Win32_Process -Filter 'ProcessId={pid}')"
                               ".CommandLine"], timeout=30)
    else:
        rc, out, _ = host.run(["ps", "-o", "args=", "-p", str(pid)], timeout=30)
    text = out.strip()
    return text if rc == 0 and text else None


def find_remote_process(run: TrainingRun, host: RemoteHost) -> RemoteRunProcess | None:
    """The verified process of a remote run, or None (no pid recorded, gone, or a stranger)."""
    folder = (run.source.remote or "").split(":", 1)[-1]
    for source in run._sources.values():
        reader = source.reader
        if not isinstance(reader, MetricsStreamReader) or not reader.pid:
            continue
        command = _command_line(host, reader.pid)
        if command is None:
            return None
        if reader.argv and " ".join(reader.argv) in command:
            return RemoteRunProcess(host.name, reader.pid, command, "pid and argv in the stream")
        if folder and folder in command:
            return RemoteRunProcess(host.name, reader.pid, command,
                                    "pid in the stream, command names the run")
        return None
    return None


def stop_remote_process(host: RemoteHost, target: RemoteRunProcess, *, grace_s: float = 10.0,
                        on_progress: Callable[[str], None] | None = None) -> str:
    """TERM, then KILL after ``grace_s``; "terminated", "killed" or "gone". StopError names
    the host when it refuses."""
    say = on_progress or (lambda message: None)
    if _command_line(host, target.pid) != target.command:
        return "gone"  # exited (or the pid now runs something else): nothing to signal
    windows = _windows(host)
    say(f"Stopping pid {target.pid} on {target.host}")
    polite = ["taskkill", "/PID", str(target.pid)] if windows else \
        ["kill", "-TERM", str(target.pid)]
    _send(host, polite, target)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        if _command_line(host, target.pid) != target.command:
            return "terminated"
        time.sleep(0.2)
    say(f"pid {target.pid} on {target.host} still running after {grace_s:g} s: killing it")
    force = ["taskkill", "/F", "/PID", str(target.pid)] if windows else \
        ["kill", "-KILL", str(target.pid)]
    _send(host, force, target)
    return "killed"


def _send(host: RemoteHost, argv: list[str], target: RemoteRunProcess) -> None:
    rc, _, err = host.run(argv, timeout=30)
    if rc != 0 and _command_line(host, target.pid) == target.command:
        raise StopError(f"{target.host}: {' '.join(argv)} failed ({err.strip() or rc})")
