"""Agents on another machine: the same files on a sync.toml host, read over SSH.

A :class:`RemoteAgents` follows one host on its own thread (a slow or unreachable host never
delays this machine's rows). Every ``remote_refresh_seconds`` it runs one probe
(:mod:`.remote_probe`), fetches the status and pid files whose mtime or size changed
(``RemoteHost.read_from``, SFTP), appends the new bytes of the host's ``agents.jsonl`` to its
own event aggregator (incrementally, like the local tail: a file that shrank is read again
from the start) and builds rows with the same code as for this machine
(:func:`~.collect.collect_agents`), named ``<agent>@<host>``. When the host cannot be reached
its last rows are shown as Stale with the reason.

The host's context root is ``~/.context`` (hafs's hard-coded root; relative paths are below
the SSH user's home folder) unless the setting names another: ``host=/srv/hafs/.context``.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.api import RemoteError
from studio.plugins.agents.aggregate import AgentSummary, ChartSeries, EventAggregator
from studio.plugins.agents.collect import collect_agents, qualified
from studio.plugins.agents.eventlog import EventLogTail
from studio.plugins.agents.files import CAMPAIGN_PROCESS
from studio.plugins.agents.liveness import CLOCK_TOLERANCE_S, ProcessCheck
from studio.plugins.agents.locations import EVENTS_FILE
from studio.plugins.agents.model import AgentEvent, AgentRow, AgentStatus, TaskRow
from studio.plugins.agents.remote_probe import HostProbe, RemoteProber
from studio.plugins.agents.sources import FileReading, PidFile, decode_json, parse_pid, parse_time

if TYPE_CHECKING:
    from studio.api import RemoteManager

__all__ = ["DEFAULT_REMOTE_ROOT", "RemoteAgents", "RemoteFiles", "RemoteState",
           "parse_remote_hosts"]

DEFAULT_REMOTE_ROOT = ".context"  # below the SSH user's home: hafs's hard-coded ~/.context
STATUS_BYTES = 8 << 20
EVENTS_CHUNK = 8 << 20
EVENTS_PER_REFRESH = 64 << 20  # a huge remote history arrives over several refreshes
_HOST_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def parse_remote_hosts(text: str) -> dict[str, str]:
    """The ``remote_hosts`` setting: ``name`` or ``name=/context/root``, comma-separated."""
    hosts: dict[str, str] = {}
    for raw in re.split(r"[,\n]", text):
        item = raw.strip()
        if not item:
            continue
        name, _, root = item.partition("=")
        name, root = name.strip(), root.strip()
        if not _HOST_NAME.match(name):
            raise ValueError(f"agents.remote_hosts: {name!r} is not a sync.toml host name")
        if ".." in root.replace("\\", "/").split("/"):
            raise ValueError(f"agents.remote_hosts: {root!r} must not contain '..'")
        hosts[name] = root or DEFAULT_REMOTE_ROOT
    return hosts


class RemoteFiles:
    """One probe's view of a host's agent files (see :class:`~.files.AgentFiles`)."""

    def __init__(self, name: str, root: str, probe: HostProbe,
                 contents: dict[str, FileReading], pids: dict[str, PidFile]) -> None:
        self.host = self.remote_host = name
        self.root = root
        self.probe = probe
        self.contents = contents
        self.pids = pids

    def daemon_dirs(self) -> list[str]:
        return sorted({rel.split("/")[0] for rel in self.probe.files
                       if rel.count("/") == 1
                       and rel.endswith(("/daemon_status.json", "/daemon.pid"))})

    def show(self, relative: str) -> str:
        return f"{self.host}:{self.root.rstrip('/')}/{relative}"

    def read_json(self, relative: str) -> FileReading:
        reading = self.contents.get(relative)
        if reading is None or relative not in self.probe.files:
            return FileReading(Path(self.show(relative)), exists=False)
        return reading

    def read_pid(self, relative: str) -> PidFile:
        return self.pids.get(relative, (None, None, None)) if relative in self.probe.files \
            else (None, None, None)

    def mtime(self, relative: str) -> float | None:
        stat = self.probe.files.get(relative)
        return stat[0] if stat is not None else None

    def time(self, value: Any) -> float | None:
        seconds = parse_time(value, self.probe.utc_offset_s)
        return None if seconds is None else seconds + self.probe.clock_shift_s

    def is_this_host(self, host: str) -> bool:
        names = {self.host, self.probe.hostname, self.probe.hostname.split(".")[0]}
        return not host or host in names

    def check(self, pid: int, written_at: float | None = None) -> ProcessCheck:
        found = self.probe.processes.get(pid)
        if found is None:
            return ProcessCheck(pid, False, reason=f"pid {pid} is not running on {self.host}")
        if found.state.startswith("Z"):
            return ProcessCheck(pid, False, found.create_time,
                                reason=f"pid {pid} has exited on {self.host} (zombie)")
        if written_at is not None and found.create_time > written_at + CLOCK_TOLERANCE_S:
            return ProcessCheck(pid, False, found.create_time, reason=(
                f"pid {pid} on {self.host} now belongs to another process ({found.command[:60]}"
                "), started after the agent's file was written: the agent is not running"))
        paused = found.state.startswith(("T", "t"))
        return ProcessCheck(pid, True, found.create_time, paused,
                            "process is paused (SIGSTOP)" if paused else "")

    def campaign_process(self) -> ProcessCheck | None:
        for pid in sorted(self.probe.processes):
            if CAMPAIGN_PROCESS.search(self.probe.processes[pid].command):
                return self.check(pid)
        return None


@dataclass(frozen=True)
class RemoteState:
    """The latest reading of one host (rows named ``agent@host``)."""

    host: str
    rows: tuple[AgentRow, ...] = ()
    tasks: tuple[TaskRow, ...] = ()
    problems: tuple[str, ...] = ()
    summaries: dict[str, AgentSummary] = field(default_factory=dict)
    events_total: int = 0
    error: str = ""  # the last refresh failed: why
    read_at: float | None = None  # when the rows were last read successfully


class RemoteAgents:
    """Follows one host's agents on a thread; see the module docstring."""

    def __init__(self, name: str, root: str, manager: RemoteManager, *,
                 refresh_s: float = 5.0, stale_after_s: float = 600.0,
                 on_update: Callable[[], None] | None = None, recent: int = 2000) -> None:
        self.name = name
        self.root = root
        self.manager = manager
        self.refresh_s = refresh_s
        self.stale_after_s = stale_after_s
        self.on_update = on_update
        self.state = RemoteState(name)
        self.aggregator = EventAggregator(recent)
        self.tail = EventLogTail(self.show(EVENTS_FILE))
        self._contents: dict[str, FileReading] = {}
        self._pids: dict[str, PidFile] = {}
        self._stamps: dict[str, tuple[float, int]] = {}
        self._new_events: list[AgentEvent] = []
        self._resets = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def show(self, relative: str) -> str:
        return f"{self.name}:{self.root.rstrip('/')}/{relative}"

    def _remote_path(self, relative: str) -> str:
        return f"{self.root.rstrip('/')}/{relative}" if self.root not in ("~", "~/") \
            else relative

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> RemoteAgents:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=f"agents-{self.name}",
                                            daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            self.refresh()
            if self.on_update is not None and not self._stop.is_set():
                self.on_update()
            self._wake.wait(self.refresh_s)

    # -- reading --------------------------------------------------------------------------
    def prober(self) -> RemoteProber:
        root = self.root[2:] if self.root.startswith("~/") else self.root
        return RemoteProber(self.manager.host(self.name), root)

    def refresh(self) -> RemoteState:
        """Read the host once (any thread; the poller calls it every ``refresh_s``)."""
        try:
            prober = self.prober()
            probe = prober.probe()
            self._fetch_changed(prober, probe)
            self._read_events(prober, probe)
            now = time.time()
            with self._lock:
                summaries = self.aggregator.summaries(now)
            collected = collect_agents(
                RemoteFiles(self.name, self.root, probe, self._contents, self._pids), summaries,
                now=now, events_path=self.show(EVENTS_FILE), stale_after_s=self.stale_after_s)
            state = RemoteState(self.name, tuple(collected.rows), tuple(collected.tasks),
                                tuple(collected.problems), summaries, self.aggregator.total,
                                "", now)
        except (RemoteError, OSError) as exc:
            state = self._unreachable(str(exc) or type(exc).__name__)
        self.state = state
        return state

    @staticmethod
    def _time(probe: HostProbe) -> Callable[[Any], float | None]:
        def time_of(value: Any) -> float | None:
            seconds = parse_time(value, probe.utc_offset_s)
            return None if seconds is None else seconds + probe.clock_shift_s

        return time_of

    def _unreachable(self, error: str) -> RemoteState:
        """The last rows, Stale (their process cannot be checked), with the reason."""
        previous = self.state
        when = time.strftime("%H:%M:%S", time.localtime(previous.read_at)) \
            if previous.read_at else "never"
        reason = f"cannot read {self.name}: {error} (last read {when})"
        rows = tuple(dataclasses.replace(row, status=AgentStatus.STALE, reason=reason)
                     if row.status.alive else row for row in previous.rows)
        return dataclasses.replace(previous, rows=rows, error=error,
                                   problems=(f"{self.name}: {error}",))

    def _fetch_changed(self, prober: RemoteProber, probe: HostProbe) -> None:
        with self._lock:  # the host's naive timestamps, read in its zone on our clock
            self.aggregator.time_of = self._time(probe)
        clock = {"utc_offset_s": probe.utc_offset_s, "clock_shift_s": probe.clock_shift_s}
        for relative, stamp in probe.files.items():
            wanted = relative.endswith((".json", ".pid")) and relative != EVENTS_FILE
            if not wanted or self._stamps.get(relative) == stamp:
                continue
            if stamp[1] > STATUS_BYTES:
                self._contents[relative] = FileReading(
                    Path(self.show(relative)), True, None,
                    f"{self.show(relative)}: {stamp[1]} bytes, more than a status file holds")
                self._stamps[relative] = stamp
                continue
            data = prober.host.read_from(self._remote_path(relative), 0, STATUS_BYTES).data
            if relative.endswith(".pid"):
                self._pids[relative] = parse_pid(self.show(relative),
                                                 data.decode("utf-8", "replace"), stamp[0])
            else:
                self._contents[relative] = decode_json(Path(self.show(relative)), data,
                                                       stamp[0], self._contents.get(relative),
                                                       **clock)
            self._stamps[relative] = stamp
        for relative in [r for r in self._stamps if r not in probe.files]:
            self._stamps.pop(relative)
            self._contents.pop(relative, None)
            self._pids.pop(relative, None)

    def _read_events(self, prober: RemoteProber, probe: HostProbe) -> None:
        stat = probe.files.get(EVENTS_FILE)
        size = stat[1] if stat is not None else 0
        if size < self.tail.offset:  # truncated or replaced by a shorter file
            self._reset_events()
        budget = EVENTS_PER_REFRESH
        while self.tail.offset < size and budget > 0:
            chunk = prober.host.read_from(self._remote_path(EVENTS_FILE), self.tail.offset,
                                          EVENTS_CHUNK)
            if chunk.truncated:
                self._reset_events()
            if not chunk.data:
                break
            self.tail.offset = chunk.next_offset
            budget -= len(chunk.data)
            before = self.aggregator.total
            with self._lock:
                self.tail.feed(chunk.data, self.aggregator.add_batch)
                added = self.aggregator.total - before
                if added:
                    self._new_events += [
                        dataclasses.replace(event, agent=qualified(event.agent, self.name))
                        for event in self.aggregator.recent_events(min(added, 500))]

    def _reset_events(self) -> None:
        with self._lock:
            self.tail.restart()
            self.aggregator.reset()
            self._new_events.clear()
            self._resets += 1

    # -- answers for the monitor (any thread) --------------------------------------------
    def take_new_events(self) -> tuple[list[AgentEvent], int]:
        """Events read since the last call (agents named ``agent@host``) and the number of
        times the host's event file was replaced so far."""
        with self._lock:
            events, self._new_events = self._new_events, []
            return events, self._resets

    def series(self, agent: str) -> ChartSeries:
        with self._lock:
            return self.aggregator.series(agent)

    def recent_events(self, agent: str, limit: int) -> list[AgentEvent]:
        with self._lock:
            events = self.aggregator.recent_events(limit, agent)
        return [dataclasses.replace(e, agent=qualified(e.agent, self.name)) for e in events]
