"""One machine's agent files and processes, behind one interface for here and remote hosts.

The readers (:mod:`.daemons`, :mod:`.campaign`, :mod:`.collect`) name files by their path
relative to the context root (``"training_daemon/daemon.pid"``) and ask an :class:`AgentFiles`
for them. :class:`LocalFiles` answers from this machine (each file where hafs keeps it, via
``hafs_path``; pids checked with psutil); :class:`~.remote_source.RemoteFiles` from what one
probe of a sync.toml host returned.
"""

from __future__ import annotations

import os
import re
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import psutil

from studio.plugins.agents.daemons import discover_daemon_dirs
from studio.plugins.agents.liveness import ProcessCheck, ProcessProbe
from studio.plugins.agents.locations import AgentLocations
from studio.plugins.agents.sources import (
    CachedFiles,
    FileReading,
    PidFile,
    parse_time,
    read_pid_file,
)

__all__ = ["CAMPAIGN_PROCESS", "AgentFiles", "LocalFiles", "find_campaign_process",
           "process_table"]

CAMPAIGN_SCAN_S = 10.0  # how often the process table is searched (a full scan costs ~10 ms)
# hafs's third way to find a running campaign (`hafs training stop`, hafs-formats §2.D): the
# first process whose command line contains one of these names.
CAMPAIGN_PROCESS = re.compile(
    r"generate_campaign|hybrid_campaign|generate_full_campaign|training_orchestrator|"
    r"campaign_launcher")


class AgentFiles(Protocol):
    """What the readers need from one machine (see the module docstring)."""

    host: str  # shown in the Host column
    remote_host: str  # "" here; the sync.toml host name elsewhere

    def daemon_dirs(self) -> list[str]: ...
    def read_json(self, relative: str) -> FileReading: ...
    def read_pid(self, relative: str) -> PidFile: ...
    def mtime(self, relative: str) -> float | None: ...
    def show(self, relative: str) -> str: ...
    def time(self, value: Any) -> float | None: ...
    def is_this_host(self, host: str) -> bool: ...
    def check(self, pid: int, written_at: float | None) -> ProcessCheck: ...
    def campaign_process(self) -> ProcessCheck | None: ...


def process_table() -> list[tuple[int, str]]:
    """(pid, command line) of every process of this machine whose command line is readable."""
    table = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        cmdline = process.info.get("cmdline")
        if cmdline:
            table.append((process.info["pid"], " ".join(cmdline)))
    return table


def find_campaign_process(processes: list[tuple[int, str]], own_pid: int | None = None
                          ) -> int | None:
    """The first pid (in pid order) whose command line matches :data:`CAMPAIGN_PROCESS`."""
    for pid, command in sorted(processes):
        if pid != own_pid and CAMPAIGN_PROCESS.search(command):
            return pid
    return None


class LocalFiles:
    """This machine's files, read where hafs keeps them; pids checked with psutil."""

    remote_host = ""

    def __init__(self, locations: AgentLocations, probe: ProcessProbe | None = None,
                 hostname: str | None = None, *, campaign_search: bool = True,
                 processes: Callable[[], list[tuple[int, str]]] = process_table) -> None:
        self.locations = locations
        self.campaign_search = campaign_search
        self.processes = processes  # the table searched for a campaign (tests: their children)
        self.probe = probe or ProcessProbe()
        self.host = hostname or socket.gethostname()
        self.cache = CachedFiles()
        self._dirs: dict[str, Path] = {}
        self._campaign_scan: tuple[float, int | None] = (-CAMPAIGN_SCAN_S, None)

    def daemon_dirs(self) -> list[str]:
        """Folders holding daemon files below any root (a name under both roots is read where
        hafs writes it)."""
        found = discover_daemon_dirs(self.locations.roots, self.locations.daemon_dir)
        self._dirs = dict(found)
        return [name for name, _ in found]

    def dir_paths(self) -> list[Path]:
        """The daemon folders found by the last :meth:`daemon_dirs` (to watch them)."""
        return list(self._dirs.values())

    def path(self, relative: str) -> Path:
        first, _, rest = relative.partition("/")
        folder = self._dirs.get(first)
        if folder is not None:
            return folder / rest if rest else folder
        return self.locations.path(relative)

    def read_json(self, relative: str) -> FileReading:
        return self.cache.read_json(self.path(relative))

    def read_pid(self, relative: str) -> PidFile:
        return read_pid_file(self.path(relative))

    def mtime(self, relative: str) -> float | None:
        try:
            return os.stat(self.path(relative)).st_mtime
        except OSError:
            return None

    def show(self, relative: str) -> str:
        return str(self.path(relative))

    @staticmethod
    def time(value: Any) -> float | None:
        return parse_time(value)

    def is_this_host(self, host: str) -> bool:
        return not host or host == self.host

    def check(self, pid: int, written_at: float | None) -> ProcessCheck:
        return self.probe.check(pid, written_at)

    def campaign_process(self) -> ProcessCheck | None:
        """hafs's cmdline fallback for a campaign without a pid file (the process table is
        searched every :data:`CAMPAIGN_SCAN_S`; the pid found is checked every time)."""
        if not self.campaign_search:
            return None
        scanned_at, pid = self._campaign_scan
        if time.monotonic() - scanned_at >= CAMPAIGN_SCAN_S:
            pid = find_campaign_process(self.processes(), os.getpid())
            self._campaign_scan = (time.monotonic(), pid)
        if pid is None:
            return None
        found = self.probe.check(pid)
        if not found.alive:  # it ended: look again next time
            self._campaign_scan = (-CAMPAIGN_SCAN_S, None)
            return None
        return found
