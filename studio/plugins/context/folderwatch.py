"""Watching the folders the browser shows: the one place that knows how.

The platform's ``studio.watcher.watch_folder(path, callback)`` (issue 8b) reports
``FolderChange(added, removed, modified)``. Until it exists, :class:`FolderPoller` does the same
job cheaply for the folders that are expanded: one ``stat`` of the folder per tick (adding,
removing or renaming an entry changes its mtime), and a listing only when that changed. Small
folders also compare their entries' sizes and mtimes, so a growing log's size updates too.
:func:`watch_folder` picks the platform's service when it is there.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from studio.plugins.context.listing import FolderSignature, folder_signature

__all__ = ["FolderChange", "FolderPoller", "FolderWatch", "watch_folder"]

log = logging.getLogger(__name__)

SMALL_FOLDER = 2000  # entries: below this, a tick also compares each entry's size and mtime


@dataclass(frozen=True)
class FolderChange:
    """Names added, removed and modified in a watched folder since the last report."""

    path: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.modified)


class FolderWatch(Protocol):
    def cancel(self) -> None: ...


def _snapshot(path: str) -> dict[str, tuple[int, int]]:
    """name -> (size, mtime_ns); a folder too big to stat every tick gets (0, 0) per name."""
    with os.scandir(path) as scan:
        entries = list(scan)
    small = len(entries) <= SMALL_FOLDER
    result: dict[str, tuple[int, int]] = {}
    for entry in entries:
        if not small:
            result[entry.name] = (0, 0)
            continue
        try:
            st = entry.stat()
            result[entry.name] = (st.st_size, st.st_mtime_ns)
        except OSError:
            result[entry.name] = (-1, 0)
    return result


@dataclass(eq=False)
class _Watched:
    path: str
    callback: Callable[[FolderChange], None]
    poller: FolderPoller
    signature: FolderSignature = None
    entries: dict[str, tuple[int, int]] = field(default_factory=dict)

    def cancel(self) -> None:
        self.poller.unwatch(self)


class FolderPoller:
    """Polls watched folders on a daemon thread; ``poll()`` runs one tick (tests call it)."""

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self._watched: list[_Watched] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, path: str | os.PathLike[str], callback: Callable[[FolderChange], None]
              ) -> _Watched:
        watched = _Watched(os.fspath(path), callback, self)
        self._refresh(watched)
        with self._lock:
            self._watched.append(watched)
            if self._thread is None:
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name="context-folderwatch",
                                                daemon=True)
                self._thread.start()
        return watched

    def unwatch(self, watched: _Watched) -> None:
        with self._lock:
            if watched in self._watched:
                self._watched.remove(watched)

    def watched_paths(self) -> list[str]:
        with self._lock:
            return [w.path for w in self._watched]

    def _refresh(self, watched: _Watched) -> None:
        watched.signature = folder_signature(watched.path)
        try:
            watched.entries = _snapshot(watched.path)
        except OSError:
            watched.entries = {}

    def poll(self) -> int:
        """Check every watched folder once; return how many reported a change."""
        with self._lock:
            watched_list = list(self._watched)
        fired = 0
        for watched in watched_list:
            change = self._check(watched)
            if not change:
                continue
            fired += 1
            try:
                watched.callback(change)
            except Exception:  # one bad callback must not stop the others
                log.exception("folder watch callback for %s failed", watched.path)
        return fired

    def _check(self, watched: _Watched) -> FolderChange:
        signature = folder_signature(watched.path)
        small = len(watched.entries) <= SMALL_FOLDER
        if signature == watched.signature and not small:
            return FolderChange(watched.path)
        try:
            entries = _snapshot(watched.path) if signature is not None else {}
        except OSError:
            entries = {}
        before = watched.entries
        watched.signature, watched.entries = signature, entries
        added = tuple(sorted(set(entries) - set(before)))
        removed = tuple(sorted(set(before) - set(entries)))
        modified = tuple(sorted(name for name in set(entries) & set(before)
                                if entries[name] != before[name]))
        return FolderChange(watched.path, added, removed, modified)

    def stop(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2)
        self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.poll()


def watch_folder(watcher: Any, fallback: FolderPoller, path: str | os.PathLike[str],
                 callback: Callable[[FolderChange], None]) -> FolderWatch:
    """Watch ``path`` with the platform's ``watcher.watch_folder`` when it has one, else poll.

    The platform's change object has ``added``/``removed``/``modified`` too; the callback only
    uses those three.
    """
    platform_watch = getattr(watcher, "watch_folder", None)
    if callable(platform_watch):
        return platform_watch(os.fspath(path), callback)
    return fallback.watch(path, callback)
