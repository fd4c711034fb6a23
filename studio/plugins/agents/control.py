"""Stop, start and restart agents: SIGTERM to a verified pid, configured argv commands.

Stop sends SIGTERM (what hafs's own ``stop`` commands send: every hafs daemon shuts down
cleanly on it) to the pid the table showed, but only after checking that the pid still
belongs to the process the studio verified, by its creation time: a pid recycled since then is
never signalled. It then waits, without reaping anybody's child, until the process is gone.

Start runs the configured argv (never a shell) detached in its own session with its output in
a log file. A command that exits at once is a launcher (``hafs services start …``): its exit
code and output are the result. One still running after a moment is the agent itself.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from studio.core.jobs import NULL_CONTEXT, JobContext
from studio.plugins.agents.model import AgentRow

__all__ = ["ControlError", "ControlResult", "start_agent", "stop_agent"]

_POLL_S = 0.05
_IDENTITY_TOLERANCE_S = 0.05  # create_time is read from the same kernel field both times


class ControlError(RuntimeError):
    """An action was refused or failed; the message names the agent and why."""


@dataclass(frozen=True)
class ControlResult:
    agent: str
    ok: bool
    message: str
    pid: int | None = None
    log_file: str = ""


def _gone(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def stop_agent(row: AgentRow, grace_s: float = 10.0, ctx: JobContext = NULL_CONTEXT
               ) -> ControlResult:
    """SIGTERM the agent's process after verifying its identity; wait up to ``grace_s``."""
    if not row.local:
        raise ControlError(f"{row.name}: its process runs on {row.host or 'another host'}; "
                           "stop it there")
    if row.pid is None:
        raise ControlError(f"{row.name}: no process id is known ({row.reason or row.status})")
    if row.create_time is None or not row.status.alive:
        raise ControlError(f"{row.name} is not running ({row.status.value}: {row.reason}); "
                           f"pid {row.pid} was not signalled")
    try:
        process = psutil.Process(row.pid)
        created = process.create_time()
    except psutil.NoSuchProcess:
        return ControlResult(row.name, True, f"{row.name} (pid {row.pid}) had already exited",
                             row.pid)
    except psutil.AccessDenied as exc:
        raise ControlError(f"{row.name}: not allowed to inspect pid {row.pid} ({exc})") from None
    if abs(created - row.create_time) > _IDENTITY_TOLERANCE_S:
        raise ControlError(f"{row.name}: pid {row.pid} now belongs to another process (created "
                           f"{time.strftime('%H:%M:%S', time.localtime(created))}); "
                           "not signalled")
    try:
        process.send_signal(signal.SIGTERM)  # psutil re-checks the identity before sending
    except psutil.NoSuchProcess:
        return ControlResult(row.name, True, f"{row.name} (pid {row.pid}) had already exited",
                             row.pid)
    except psutil.AccessDenied as exc:
        raise ControlError(f"{row.name}: not allowed to signal pid {row.pid} ({exc})") from None
    deadline = time.monotonic() + grace_s
    ctx.report(None, f"SIGTERM sent to {row.name} (pid {row.pid}); waiting for it to exit")
    while not _gone(process):
        if time.monotonic() >= deadline:
            return ControlResult(row.name, False, f"{row.name} (pid {row.pid}) got SIGTERM but "
                                 f"is still running after {grace_s:g} s (it may be finishing "
                                 "a task)", row.pid)
        ctx.raise_if_cancelled()
        ctx.wait(_POLL_S)
    return ControlResult(row.name, True, f"{row.name} (pid {row.pid}) stopped", row.pid)


def _log_tail(path: Path, lines: int = 12) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def start_agent(agent: str, argv: list[str], log_dir: Path, *, settle_s: float = 2.0,
                cwd: Path | None = None, ctx: JobContext = NULL_CONTEXT) -> ControlResult:
    """Run ``argv`` detached; a quick non-zero exit raises :class:`ControlError` with output."""
    if not argv:
        raise ControlError(f"{agent}: no start command is configured (Preferences ▸ Agents)")
    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_dir / f"{agent}-{time.strftime('%Y%m%d-%H%M%S')}.log"
    with open(log_file, "ab") as log:
        try:
            process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT, cwd=cwd,
                                       start_new_session=True, close_fds=True)
        except FileNotFoundError:
            raise ControlError(f"{agent}: program {argv[0]!r} was not found (check "
                               "Preferences ▸ Agents)") from None
        except OSError as exc:
            raise ControlError(f"{agent}: could not run {argv[0]!r}: {exc}") from None
    # Reap it whenever it ends, so a detached agent never lingers as a zombie of the studio.
    threading.Thread(target=process.wait, name=f"agent-{agent}-reaper", daemon=True).start()
    ctx.report(None, f"started {' '.join(argv)} (pid {process.pid})")
    deadline = time.monotonic() + settle_s
    while process.poll() is None and time.monotonic() < deadline:
        ctx.wait(_POLL_S)
    code = process.poll()
    if code is None:
        return ControlResult(agent, True, f"{agent} started (pid {process.pid}); output in "
                             f"{log_file}", process.pid, str(log_file))
    output = _log_tail(log_file)
    if code != 0:
        raise ControlError(f"{agent}: {' '.join(argv)} exited with {code}"
                           + (f":\n{output}" if output else f" (no output; log {log_file})"))
    return ControlResult(agent, True, f"{' '.join(argv)} finished" +
                         (f": {output}" if output else ""), None, str(log_file))


def pid_alive(pid: int) -> bool:
    """For tests and callers that only need existence (zombies count as gone)."""
    with contextlib.suppress(psutil.NoSuchProcess):
        return not _gone(psutil.Process(pid))
    return False
