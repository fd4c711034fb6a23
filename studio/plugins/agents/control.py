"""Stop, start and restart agents: SIGTERM to a verified pid, configured argv commands.

Stop sends SIGTERM (what hafs's own ``stop`` commands send: every hafs daemon shuts down
cleanly on it) to the pid the table showed, but only after checking that the pid still
belongs to the process the studio verified, by its creation time: a pid recycled since then is
never signalled. It then waits, without reaping anybody's child, until the process is gone. An
agent the studio started itself is stopped through its managed process (SIGTERM to its process
group, SIGKILL after the grace period); one on a remote host through that host
(:mod:`studio.plugins.agents.remote_probe`: ``kill`` or ``taskkill``).

Start runs the configured argv (never a shell) through the studio's process service
(``studio.services.process``): its own process group, output in a log file, a pid file while it
runs. A command that exits at once is a launcher (``hafs services start …``): its exit code and
output are the result. One still running after a moment is the agent itself.
"""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import psutil

from studio.api import NULL_CONTEXT, JobContext

if TYPE_CHECKING:
    from studio.api import ManagedProcess, ProcessManager
    from studio.plugins.agents.model import AgentRow

__all__ = ["ControlError", "ControlResult", "RemoteStopper", "start_agent", "stop_agent"]

_POLL_S = 0.05
_IDENTITY_TOLERANCE_S = 0.05  # create_time is read from the same kernel field both times
SETTLE_S = 2.0  # a command still running after this is the agent itself, not a launcher


class ControlError(RuntimeError):
    """An action was refused or failed; the message names the agent and why."""


@dataclass(frozen=True)
class ControlResult:
    agent: str
    ok: bool
    message: str
    pid: int | None = None
    log_file: str = ""


class RemoteStopper(Protocol):
    """Stops a process on the agent's host (:class:`~.remote_probe.RemoteProber`)."""

    def stop(self, row: AgentRow, grace_s: float, ctx: JobContext) -> ControlResult: ...


def _gone(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _check_stoppable(row: AgentRow) -> None:
    if row.pid is None:
        raise ControlError(f"{row.name}: no process id is known ({row.reason or row.status})")
    if row.create_time is None or not row.status.alive:
        raise ControlError(f"{row.name} is not running ({row.status.value}: {row.reason}); "
                           f"pid {row.pid} was not signalled")


def stop_agent(row: AgentRow, grace_s: float = 10.0, ctx: JobContext = NULL_CONTEXT, *,
               managed: Sequence[ManagedProcess] = (), remote: RemoteStopper | None = None
               ) -> ControlResult:
    """Stop the agent's process after verifying its identity; wait up to ``grace_s``.

    ``managed``: the processes this studio started (stopped as a process group);
    ``remote``: how to reach the agent's host when it runs elsewhere.
    """
    if row.remote_host:
        _check_stoppable(row)
        if remote is None:
            raise ControlError(f"{row.name}: host {row.remote_host} is not being read now; "
                               "add it under Preferences ▸ Agents ▸ Remote hosts")
        return remote.stop(row, grace_s, ctx)
    if not row.local:
        raise ControlError(f"{row.name}: its process runs on {row.host or 'another host'}, "
                           "which is not one of the hosts the studio reads; stop it there")
    _check_stoppable(row)
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
    ours = next((p for p in managed if p.pid == row.pid and p.running), None)
    if ours is not None:
        ctx.report(None, f"stopping {row.name} (pid {row.pid}, started by this studio)")
        killed = ours.terminate(grace_s)
        how = f"killed after {grace_s:g} s (it ignored SIGTERM)" if killed else "stopped"
        return ControlResult(row.name, True, f"{row.name} (pid {row.pid}) {how}", row.pid,
                             str(ours.log_file or ""))
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


def _tail(process: ManagedProcess, lines: int = 12) -> str:
    return "\n".join(process.output_tail[-lines:])


def start_agent(agent: str, argv: list[str], processes: ProcessManager, *, process_name: str,
                owner: str, env: Mapping[str, str | None] | None = None,
                settle_s: float = SETTLE_S, ctx: JobContext = NULL_CONTEXT) -> ControlResult:
    """Run ``argv`` as a long-lived managed process; a quick non-zero exit raises
    :class:`ControlError` with its output, a quick zero exit was a launcher."""
    if not argv:
        raise ControlError(f"{agent}: no start command is configured (Preferences ▸ Agents)")
    try:
        process = processes.spawn(argv, name=process_name, owner=owner, env=env,
                                  long_lived=True)
    except FileNotFoundError:
        raise ControlError(f"{agent}: program {argv[0]!r} was not found (check "
                           "Preferences ▸ Agents)") from None
    except OSError as exc:
        raise ControlError(f"{agent}: could not run {argv[0]!r}: {exc}") from None
    ctx.report(None, f"started {' '.join(argv)} (pid {process.pid})")
    deadline = time.monotonic() + settle_s
    while not process.finished and time.monotonic() < deadline:
        ctx.wait(_POLL_S)
    log = str(process.log_file or "")
    if not process.finished:
        return ControlResult(agent, True, f"{agent} started (pid {process.pid}); it stops when "
                             f"the studio exits; output in {log}", process.pid, log)
    code = process.wait()
    output = _tail(process)
    if code != 0:
        raise ControlError(f"{agent}: {' '.join(argv)} exited with {code}"
                           + (f":\n{output}" if output else f" (no output; log {log})"))
    return ControlResult(agent, True, f"{' '.join(argv)} finished" +
                         (f": {output}" if output else ""), None, log)


def pid_alive(pid: int) -> bool:
    """For tests and callers that only need existence (zombies count as gone)."""
    with contextlib.suppress(psutil.NoSuchProcess):
        return not _gone(psutil.Process(pid))
    return False
