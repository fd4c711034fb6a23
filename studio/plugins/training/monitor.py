"""The studio's training monitor: discovery, refreshing, summaries and alerts on the bus.

One :class:`TrainingMonitor` per studio (``training_monitor(studio)`` in ``api.py``). In the
GUI it runs a daemon thread: every ``refresh_s`` (0.25 s) each run reads what is new, and every
``rescan_s`` (3 s) discovery looks for new runs; when anything changed it publishes a
:class:`RunsUpdated` snapshot on ``training.runs`` (views subscribe with ``latest=True``), and
new alerts on ``training.alerts``. The CLI calls :meth:`refresh_now` instead (no thread).
Nothing here touches Qt: the bus hands events to the GUI thread.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.api import Event, EventBus, RemoteError, load_sync_config, sync_config_path
from studio.plugins.training.alerts import AlertTracker, TrainingAlert
from studio.plugins.training.discovery import RunSource, TrainingRoot, discover_runs
from studio.plugins.training.locations import (
    HafsTrainingPaths,
    hafs_training_paths,
    hafs_windows_mount,
)
from studio.plugins.training.readers import MetricReaderRegistry, builtin_registry
from studio.plugins.training.remote_runs import (
    HostGetter,
    RemoteMirror,
    RemoteRoot,
    RemoteRun,
    discover_remote,
    parse_remote_roots,
)
from studio.plugins.training.runs import RunSummary, TrainingRun
from studio.plugins.training.watching import MonitorWatches

if TYPE_CHECKING:
    from studio.api import FileWatcher, RemoteHost

__all__ = ["MonitorSettings", "RunsUpdated", "TrainingMonitor", "parse_folder_list"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RunsUpdated(Event):
    """Every run's summary after a refresh; ``changed`` names the runs whose data moved."""

    topic = "training.runs"
    runs: tuple[RunSummary, ...] = ()
    changed: frozenset[str] = frozenset()
    scanned: bool = False  # discovery has run at least once


@dataclass(frozen=True)
class MonitorSettings:
    stall_minutes: float = 30.0
    run_folders: tuple[Path, ...] = ()
    windows_training_root: str = "D:/hafs_training"
    refresh_s: float = 0.25
    rescan_s: float = 3.0
    remote_roots: tuple[RemoteRoot, ...] = ()
    remote_sync_s: float = 0.5  # remote copies are brought up to date this often (a stat a file)
    host_retry_s: float = 30.0  # a host that failed is not asked again for this long
    # With folder watches (a monitor in a studio) reads and rescans follow the watches; these
    # slow ticks only age statuses (Stalled, ETA) and find folders that appeared (a mount).
    watched_tick_s: float = 5.0
    watched_rescan_s: float = 30.0

    @property
    def stall_after_s(self) -> float:
        return self.stall_minutes * 60.0


def parse_folder_list(text: str) -> tuple[Path, ...]:
    """The "run folders" setting: folders separated by ``;`` or new lines."""
    parts = [p.strip() for chunk in text.splitlines() for p in chunk.split(";")]
    return tuple(Path(os.path.expanduser(p)) for p in parts if p)


class TrainingMonitor:
    def __init__(self, context_root: Path, bus: EventBus | None = None, *,
                 settings: MonitorSettings | None = None,
                 registry: MetricReaderRegistry | None = None,
                 environ: dict[str, str] | None = None,
                 clock: Callable[[], float] = time.time,
                 remote: HostGetter | None = None,
                 mirror_root: Path | None = None,
                 watcher: FileWatcher | None = None) -> None:
        self.paths: HafsTrainingPaths = hafs_training_paths(context_root)
        self.bus = bus
        self.settings = settings or MonitorSettings()
        self.registry = registry or builtin_registry()
        self.environ = dict(os.environ if environ is None else environ)
        self.clock = clock
        self._runs: dict[str, TrainingRun] = {}
        self._pinned: set[str] = set()  # runs added by hand: discovery never drops them
        self._summaries: tuple[RunSummary, ...] = ()
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_scan = 0.0
        self._scanned = False
        self.alerts = AlertTracker()
        self.scan_errors: list[str] = []
        # Runs on hosts over SSH (remote_runs.py): ``remote(host_name)`` is the shared
        # connection (studio.services.remote.host); copies live under ``mirror_root``.
        self.remote = remote
        self.mirror_root = mirror_root or self.paths.training / ".studio-remote"
        self._remote: dict[str, tuple[RemoteRun, RemoteMirror]] = {}
        self._remote_found: dict[RemoteRoot, list[RemoteRun]] = {}
        self._host_failed_at: dict[str, float] = {}
        self._remote_synced_at = -1e18
        self._sync_errors: dict[str, str | None] = {}
        # In a studio, the shared folder watcher says when to read and rescan (watching.py).
        self.watches = None if watcher is None else MonitorWatches(
            watcher, on_rescan=self.rescan_soon, on_data=self.poke)
        self._rescan_requested = False
        self._unsubscribe_kinds = self.registry.subscribe(self._on_kinds_changed)

    def _on_kinds_changed(self) -> None:
        """A plugin's reader kinds came or went: runs are opened again with the current kinds
        at the next refresh (a torn-down plugin's readers are not called again)."""
        with self._lock:
            for run_id in [r for r in self._runs if r not in self._pinned]:
                del self._runs[run_id]
            self._last_scan = 0.0
        self._wake.set()

    # -- configuration ---------------------------------------------------------------------
    def configure(self, settings: MonitorSettings) -> None:
        with self._lock:
            self.settings = settings
            self._last_scan = 0.0
        self._wake.set()

    def training_roots(self) -> list[TrainingRoot]:
        """hafs training roots: local ``<context>/training``, the Windows root via sync.toml
        mounts (only mounts whose local folder exists count, as in hafs), hafs's default mount.
        """
        roots = [TrainingRoot(self.paths.training, "local")]
        try:
            config = load_sync_config(sync_config_path(self.environ))
        except RemoteError as exc:
            self.scan_errors.append(str(exc))
            config = None
        seen = {self.paths.training.resolve()}
        if config is not None:
            for mount in config.mounts.values():
                local = mount.map(self.settings.windows_training_root)
                if local is not None and Path(mount.local_path).expanduser().is_dir() \
                        and local.is_dir() and local.resolve() not in seen:
                    seen.add(local.resolve())
                    roots.append(TrainingRoot(local, f"mount:{mount.name}"))
        default = hafs_windows_mount(self.environ)
        if default.is_dir() and default.resolve() not in seen:
            roots.append(TrainingRoot(default, "mount:mm-d"))
        return roots

    # -- refreshing ------------------------------------------------------------------------
    def scan(self) -> list[RunSource]:
        self.scan_errors = []
        sources = discover_runs(paths=self.paths, roots=self.training_roots(),
                                run_folders=self.settings.run_folders, registry=self.registry,
                                on_error=self.scan_errors.append)
        sources += self._scan_remote()
        if self.watches is not None and self._thread is not None:
            roots = [root.path for root in self.training_roots()]
            self.watches.update(
                trees=[self.paths.runs, *self.settings.run_folders,
                       *(root / "models" for root in roots)],
                folders=[self.paths.training, self.paths.logs, *roots,
                         *(root / "logs" for root in roots)],
                runs=[s.folder for s in sources if s.folder is not None and s.remote is None])
        with self._lock:
            current = {source.id for source in sources}
            for run_id in [r for r in self._runs if r not in current | self._pinned]:
                del self._runs[run_id]
            for source in sources:
                run = self._runs.get(source.id)
                if run is None or run.source != source:
                    run = self._runs[source.id] = TrainingRun(source, self.registry, self.clock)
                    run.sync_error = self._sync_errors.get(source.id)
            self._last_scan = self.clock()
            self._scanned = True
        return sources

    def rescan_soon(self) -> None:
        """Look for new runs at the next round (a watch saw entries come or go, a run was
        just started here)."""
        self._rescan_requested = True
        self._wake.set()

    def _watching(self) -> bool:
        return self.watches is not None and self._thread is not None

    def refresh_now(self, *, rescan: bool | None = None) -> RunsUpdated:
        """Discover (when due or asked), read every run, publish and return the snapshot."""
        # Watched folders say when to rescan; hosts cannot be watched: with remote roots
        # discovery runs every rescan_s (a few list_dir calls a host).
        watched = self._watching() and not self.settings.remote_roots
        every = self.settings.watched_rescan_s if watched else self.settings.rescan_s
        due = self.clock() - self._last_scan >= every or self._rescan_requested
        before = {run.id: run.version for run in self._summaries}
        scanned = bool(rescan or (rescan is None and due))
        if scanned:
            self._rescan_requested = False
        if scanned:
            self.scan()
        elif self._remote and self.clock() - self._remote_synced_at >= self.settings.remote_sync_s:
            self._sync_remote()
        with self._lock:
            runs = list(self._runs.values())
        changed = set()
        for run in runs:
            if run.refresh(attach=scanned):
                changed.add(run.source.id)
        stall = self.settings.stall_after_s
        summaries = tuple(run.summary(stall) for run in runs)
        statuses_changed = {s.id for s in summaries if before.get(s.id) is None} | {
            s.id for s, old in zip(summaries, self._summaries_by(summaries), strict=True)
            if old is not None and old.status != s.status}
        changed |= statuses_changed
        removed = set(before) - {s.id for s in summaries}
        with self._lock:
            self._summaries = summaries
        event = RunsUpdated(summaries, frozenset(changed | removed), self._scanned)
        if self.bus is not None and (changed or removed or not before):
            self.bus.publish(event)
            for alert in self.alerts.check_runs(summaries):
                self.bus.publish(alert)
        return event

    # -- runs on hosts ---------------------------------------------------------------------
    def _host(self, name: str) -> RemoteHost | None:
        """The host's connection, or None while it is resting after a failure (a host that is
        down must not hold up the local runs: the remote service retries with backoff)."""
        failed = self._host_failed_at.get(name)
        if self.remote is None or (failed is not None and
                                   self.clock() - failed < self.settings.host_retry_s):
            return None
        return self.remote(name)

    def _host_failed(self, name: str) -> None:
        self._host_failed_at[name] = self.clock()

    def _scan_remote(self) -> list[RunSource]:
        """Runs of every remote root; a root that cannot be listed now keeps its last runs."""
        sources: list[RunSource] = []
        current: dict[str, tuple[RemoteRun, RemoteMirror]] = {}
        for root in self.settings.remote_roots:
            runs = self._remote_found.get(root, [])
            try:
                host = self._host(root.host)
                if host is not None:
                    runs = discover_remote(host, root)
            except RemoteError as exc:
                self._host_failed(root.host)
                self.scan_errors.append(f"{root.host}:{root.path}: {exc}")
            self._remote_found[root] = runs
            for run in runs:
                known = self._remote.get(run.id)
                mirror = known[1] if known else RemoteMirror(
                    self.mirror_root / root.host / run.id)
                current[run.id] = (run, mirror)
                sources.append(run.source(mirror.folder))
        self._remote = current
        self._sync_remote()
        return sources

    def _sync_remote(self) -> None:
        """Bring every remote run's copies up to date (only new bytes move)."""
        errors: dict[str, str | None] = {}
        for key, (run, mirror) in list(self._remote.items()):
            try:
                host = self._host(run.root.host)
                if host is not None:
                    mirror.sync(host, run.files)
                    errors[key] = None
            except RemoteError as exc:
                self._host_failed(run.root.host)
                errors[key] = f"{run.root.host}: {exc} (showing what was read before)"
        self._remote_synced_at = self.clock()
        with self._lock:
            for key, error in errors.items():
                run = self._runs.get(key)
                if run is not None:
                    run.sync_error = error
        self._sync_errors = errors

    def _summaries_by(self, summaries: Iterable[RunSummary]) -> list[RunSummary | None]:
        old = {summary.id: summary for summary in self._summaries}
        return [old.get(summary.id) for summary in summaries]

    def add_run(self, run: TrainingRun) -> None:
        """Follow a run that discovery does not find (opened by hand, another source)."""
        with self._lock:
            self._runs[run.source.id] = run
            self._pinned.add(run.source.id)
        self._wake.set()

    # -- access ----------------------------------------------------------------------------
    def summaries(self) -> tuple[RunSummary, ...]:
        with self._lock:
            return self._summaries

    def run(self, run_id: str) -> TrainingRun | None:
        with self._lock:
            return self._runs.get(run_id)

    def find(self, text: str) -> TrainingRun:
        """A run by id, exact name, or unique name prefix; KeyError naming the choices."""
        with self._lock:
            runs = list(self._runs.values())
        for run in runs:
            if text in (run.source.id, run.source.name):
                return run
        matches = [run for run in runs if run.source.name.startswith(text)]
        if len(matches) == 1:
            return matches[0]
        names = ", ".join(sorted(r.source.name for r in (matches or runs))) or "none"
        reason = "is ambiguous" if matches else "matches no run"
        raise KeyError(f"{text!r} {reason} (runs: {names})")

    # -- background thread -----------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._rescan_requested = True  # the first round scans and sets up the watches
        self._thread = threading.Thread(target=self._loop, name="training-monitor", daemon=True)
        self._thread.start()

    def poke(self) -> None:
        """Refresh now (a file watcher saw a change, the user pressed Refresh)."""
        self._wake.set()

    def stop(self) -> None:
        self._unsubscribe_kinds()
        self._stop.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        if self.watches is not None:
            self.watches.close()

    def _wait_s(self) -> float:
        if not self._watching():
            return self.settings.refresh_s  # no watcher (a monitor outside a studio): poll
        if self._remote or self.settings.remote_roots:  # hosts are not watched: a timer
            return min(self.settings.remote_sync_s, self.settings.watched_tick_s)
        return self.settings.watched_tick_s

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # before reading: a change seen while reading wakes us again
            try:
                self.refresh_now()
            except Exception:  # keep monitoring; the error is logged with its traceback
                log.exception("training monitor refresh failed")
            self._wake.wait(self._wait_s())

    def publish_alert(self, alert: TrainingAlert) -> None:
        if self.bus is not None:
            self.bus.publish(alert)


def settings_from(values: dict[str, Any]) -> MonitorSettings:
    """MonitorSettings from the ``training`` settings section's values."""
    return MonitorSettings(
        stall_minutes=float(values.get("stall_minutes", 30)),
        run_folders=parse_folder_list(str(values.get("run_folders", "") or "")),
        windows_training_root=str(values.get("windows_training_root") or "D:/hafs_training"),
        remote_roots=_remote_roots(values),
    )


def _remote_roots(values: dict[str, Any]) -> tuple[RemoteRoot, ...]:
    try:
        return parse_remote_roots(str(values.get("remote_runs", "") or ""),
                                  str(values.get("windows_training_root") or "D:/hafs_training"))
    except ValueError as exc:  # the settings dialog validates; a hand-edited file may not
        log.warning("training settings: %s", exc)
        return ()
