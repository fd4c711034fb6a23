"""One round trip to a remote host: its clock, its agent files' stat, its process table.

hafs runs agents on the machines of ``sync.toml [hosts]`` too (a Windows GPU box, a Linux
server). The Agents workspace reads the same files there through the studio's shared SSH
connection (``studio.services.remote``). Each refresh starts with one command
(:func:`posix_probe` under ``sh``, :func:`windows_probe` under PowerShell) printing:

* the host's clock (POSIX seconds), UTC offset and name: hafs writes naive local times, so a
  remote file's timestamps are read in the host's zone and moved onto this machine's clock;
* ``mtime size path`` of every agent file that exists (daemon folders found by glob), so only
  files that changed are fetched (SFTP) afterwards;
* every process as ``pid elapsed state command``: pid liveness with the same rules as here
  (creation time no later than the file naming it, zombies gone, ``T`` = paused = Stale) and
  hafs's campaign fallback (a process whose command line names a campaign script).

Stop goes through the host as well: the pid's creation time is checked again, then ``kill
-TERM`` (``taskkill /PID … /T`` on Windows) and the process table is polled until it is gone.
Windows hosts are untested here (no Windows sshd in the test environment); the POSIX path runs
against the real OpenSSH server of the tests.
"""

from __future__ import annotations

import base64
import re
import shlex
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from studio.api import NULL_CONTEXT, JobContext, RemoteError
from studio.plugins.agents.control import ControlError, ControlResult
from studio.plugins.agents.locations import (
    CAMPAIGN_FILES,
    EVENTS_FILE,
    SCHEDULED_TASKS_FILE,
    SWARM_FILE,
    TRAINING_DIR,
)

if TYPE_CHECKING:
    from studio.api import RemoteHost
    from studio.plugins.agents.model import AgentRow

__all__ = [
    "HostProbe",
    "RemoteProber",
    "RemoteProcess",
    "parse_elapsed",
    "parse_probe",
    "posix_probe",
    "probe_patterns",
    "windows_probe",
]

FILES_MARK = "@@files"
PROCESSES_MARK = "@@ps"
# Remote process creation times come from whole-second clocks (date +%s, ps etime): a pid is
# the one the table showed when the two readings agree within this.
REMOTE_IDENTITY_TOLERANCE_S = 3.0
_POLL_S = 0.25


def probe_patterns() -> tuple[str, ...]:
    """Globs, relative to the context root, of every file the probe stats."""
    return ("*/daemon_status.json", "*/daemon.pid", SCHEDULED_TASKS_FILE, SWARM_FILE,
            EVENTS_FILE, *(f"{TRAINING_DIR}/{name}" for name in CAMPAIGN_FILES), "logs/*.log")


def _shell_root(root: str) -> str:
    """The root for ``sh``: quoted, with ``~/`` meaning the home folder (where ssh starts)."""
    if root in ("~", "~/"):
        return "."
    return shlex.quote(root[2:] if root.startswith("~/") else root)


def posix_probe(root: str, platform: str) -> list[str]:
    """argv for a Linux or macOS host (run under ``sh`` whatever the login shell)."""
    quoted = _shell_root(root)
    globs = " ".join(f"{quoted}/{pattern}" for pattern in probe_patterns())
    stat = "stat -f '%m %z %N'" if platform.lower() == "mac" else "stat -c '%Y %s %n'"
    script = (
        'cd "$HOME" 2>/dev/null; date +%s; date +%z; uname -n; '
        f"echo {FILES_MARK}; set --; "
        f'for f in {globs}; do [ -f "$f" ] && set -- "$@" "$f"; done; '
        f'[ "$#" -gt 0 ] && {stat} -- "$@" 2>/dev/null; '
        f"echo {PROCESSES_MARK}; ps -A -o pid= -o etime= -o stat= -o args=")
    return ["sh", "-c", script]


def posix_process(pid: int) -> list[str]:
    """argv printing the clock and one process (the identity check before and after Stop)."""
    script = (f"date +%s; date +%z; uname -n; echo {FILES_MARK}; echo {PROCESSES_MARK}; "
              f"ps -o pid= -o etime= -o stat= -o args= -p {int(pid)}; true")
    return ["sh", "-c", script]


_WINDOWS_SCRIPT = r"""
$ErrorActionPreference = 'SilentlyContinue'
Set-Location $HOME
$now = [DateTimeOffset]::Now
$now.ToUnixTimeSeconds()
$o = $now.Offset
$sign = $(if ($o.Ticks -lt 0) {'-'} else {'+'})
'{0}{1:00}{2:00}' -f $sign, [math]::Abs($o.Hours), [math]::Abs($o.Minutes)
$env:COMPUTERNAME
'@@files'
$root = '__ROOT__'
$full = (Resolve-Path -LiteralPath $root).Path
if ($full) {
  foreach ($pattern in @(__PATTERNS__)) {
    Get-ChildItem -Path (Join-Path $full $pattern) -File | ForEach-Object {
      $rel = $_.FullName.Substring($full.Length).TrimStart('\').Replace('\', '/')
      $mtime = ([DateTimeOffset]$_.LastWriteTimeUtc).ToUnixTimeSeconds()
      '{0} {1} {2}/{3}' -f $mtime, $_.Length, $root, $rel
    }
  }
}
'@@ps'
Get-CimInstance Win32_Process __FILTER__| ForEach-Object {
  $age = [int64](($now.UtcDateTime - $_.CreationDate.ToUniversalTime()).TotalSeconds)
  '{0} {1} R {2}' -f $_.ProcessId, $age, $_.CommandLine
}
"""


def windows_probe(root: str, pid: int | None = None) -> str:
    """A PowerShell command for a Windows host (``-EncodedCommand``: no quoting through
    cmd.exe). With ``pid``: the clock and that process only."""
    root = root[2:] if root.startswith("~/") else root
    patterns = ", ".join("'" + p.replace("/", "\\") + "'" for p in probe_patterns())
    script = (_WINDOWS_SCRIPT.replace("__ROOT__", root.replace("'", "''"))
              .replace("__PATTERNS__", "" if pid is not None else patterns)
              .replace("__FILTER__", f"-Filter 'ProcessId = {int(pid)}' " if pid else ""))
    encoded = base64.b64encode(script.encode("utf-16-le")).decode("ascii")
    return f"powershell -NoProfile -NonInteractive -EncodedCommand {encoded}"


@dataclass(frozen=True)
class RemoteProcess:
    pid: int
    create_time: float  # on this machine's clock
    state: str  # ps STAT (R, S, T, Z, …); Windows: R
    command: str


@dataclass(frozen=True)
class HostProbe:
    taken_at: float  # this machine's clock when the answer came
    remote_now: float
    utc_offset_s: float
    hostname: str
    files: dict[str, tuple[float, int]] = field(default_factory=dict)  # relative → mtime, size
    processes: dict[int, RemoteProcess] = field(default_factory=dict)

    @property
    def clock_shift_s(self) -> float:
        """Seconds to add to the host's clock to read it on ours."""
        return self.taken_at - self.remote_now


_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


def parse_elapsed(text: str) -> int | None:
    """``ps`` etime ``[[dd-]hh:]mm:ss`` (or plain seconds) → seconds."""
    days, _, clock = text.rpartition("-")
    try:
        parts = [int(p) for p in clock.split(":")]
        seconds = 0
        for part in parts:
            seconds = seconds * 60 + part
        return seconds + (int(days) * 86400 if days else 0)
    except ValueError:
        return None


def _relative(path: str, root: str) -> str | None:
    for prefix in {root.rstrip("/") + "/", _shell_root(root).strip("'") + "/"}:
        if path.startswith(prefix):
            return path[len(prefix):]
    return None


def parse_probe(text: str, root: str, taken_at: float) -> HostProbe:
    """What :func:`posix_probe` / :func:`windows_probe` printed; RemoteError if it is not."""
    head, _, rest = text.partition(FILES_MARK)
    files_text, _, processes_text = rest.partition(PROCESSES_MARK)
    lines = [line.strip() for line in head.strip().splitlines() if line.strip()]
    if len(lines) < 2 or not lines[0].isdigit() or not _OFFSET.match(lines[1]):
        raise RemoteError(f"unexpected answer to the agents probe: {text[:200]!r}")
    sign, hours, minutes = _OFFSET.match(lines[1]).groups()  # type: ignore[union-attr]
    offset = (int(hours) * 3600 + int(minutes) * 60) * (-1 if sign == "-" else 1)
    remote_now = float(lines[0])
    shift = taken_at - remote_now
    files: dict[str, tuple[float, int]] = {}
    for line in files_text.splitlines():
        parts = line.strip().split(" ", 2)
        if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit():
            relative = _relative(parts[2], root)
            if relative is not None:
                files[relative] = (float(parts[0]) + shift, int(parts[1]))
    processes: dict[int, RemoteProcess] = {}
    for line in processes_text.splitlines():
        parts = line.split(None, 3)
        if len(parts) < 3 or not parts[0].isdigit():
            continue
        elapsed = parse_elapsed(parts[1])
        if elapsed is None:
            continue
        pid = int(parts[0])
        processes[pid] = RemoteProcess(pid, taken_at - elapsed, parts[2],
                                       parts[3] if len(parts) > 3 else "")
    return HostProbe(taken_at, remote_now, float(offset), lines[2] if len(lines) > 2 else "",
                     files, processes)


class RemoteProber:
    """Probes and stops processes on one host through its shared connection."""

    def __init__(self, host: RemoteHost, root: str) -> None:
        self.host = host
        self.root = root

    @property
    def is_windows(self) -> bool:
        return self.host.config.is_windows

    def _run(self, command: Any, timeout: float = 60.0) -> HostProbe:
        code, out, err = self.host.run(command, timeout=timeout)
        if code != 0 and FILES_MARK not in out:
            raise RemoteError(f"{self.host.name}: the agents probe exited with {code}: "
                              f"{(err or out).strip()[:300]}")
        return parse_probe(out, self.root, time.time())

    def probe(self) -> HostProbe:
        """Clock, agent files and the process table (one command)."""
        if self.is_windows:
            return self._run(windows_probe(self.root))
        return self._run(posix_probe(self.root, self.host.config.platform))

    def process(self, pid: int) -> RemoteProcess | None:
        """``pid`` now, or None when it is gone (a zombie counts as gone)."""
        probe = self._run(windows_probe(self.root, pid) if self.is_windows
                          else posix_process(pid))
        found = probe.processes.get(pid)
        return None if found is None or found.state.startswith("Z") else found

    def stop(self, row: AgentRow, grace_s: float, ctx: JobContext = NULL_CONTEXT
             ) -> ControlResult:
        """Stop ``row``'s pid on the host if it is still the process the table showed."""
        assert row.pid is not None and row.create_time is not None
        where = f"{row.name} (pid {row.pid} on {self.host.name})"
        found = self.process(row.pid)
        if found is None:
            return ControlResult(row.name, True, f"{where} had already exited", row.pid)
        if abs(found.create_time - row.create_time) > REMOTE_IDENTITY_TOLERANCE_S:
            raise ControlError(f"{where}: the pid now belongs to another process "
                               f"({found.command[:80]!r}); not signalled")
        command: Any = (["taskkill", "/PID", str(row.pid), "/T"] if self.is_windows
                        else ["kill", "-TERM", str(row.pid)])
        code, out, err = self.host.run(command, timeout=30)
        if code != 0:
            raise ControlError(f"{where}: {' '.join(command)} failed ({code}): "
                               f"{(err or out).strip()[:300]}")
        ctx.report(None, f"{'taskkill' if self.is_windows else 'SIGTERM'} sent to {where}; "
                         "waiting for it to exit")
        deadline = time.monotonic() + grace_s
        while self.process(row.pid) is not None:
            if time.monotonic() >= deadline:
                return ControlResult(row.name, False, f"{where} was asked to stop but is still "
                                     f"running after {grace_s:g} s", row.pid)
            ctx.raise_if_cancelled()
            ctx.wait(_POLL_S)
        return ControlResult(row.name, True, f"{where} stopped", row.pid)
