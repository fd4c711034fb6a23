"""Watch files and folders for changes made by other programs (hafs, a trainer, the CLI).

Polling ``stat`` on one background thread rather than inotify/FSEvents: hafs users keep training
roots on SMB/SSHFS mounts (``~/Mounts/mm-d``) where kernel notifications never arrive.

* A **file** watch reports a change once the file's (mtime_ns, size, inode) signature differs
  from the last one seen; a file that appears or disappears is a change too.
* A **folder** watch (:mod:`studio.core.folderwatch`) reports entries added, removed and
  modified (new checkpoints, new log files), optionally filtered by a glob and recursive.
* Each watch has its own interval; the thread sleeps until the next watch is due.
* Problems (permission denied, a mount that vanished) are published on the bus as
  :class:`FileWatchError` (topic ``filewatch.error``), once when they start and once when they
  end, not only logged; a failing callback is reported the same way.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.core.events import Event, EventBus

if TYPE_CHECKING:
    from studio.core.folderwatch import FolderWatch

__all__ = ["FileWatchError", "FileWatcher", "FolderChange", "WatchHandle"]

log = logging.getLogger(__name__)

Signature = tuple[int, int, int] | None
_ABSENT = (errno.ENOENT, errno.ENOTDIR)


@dataclass(frozen=True, slots=True)
class FileWatchError(Event):
    """A watched path cannot be read (or, with ``recovered``, can be again).

    ``kind``: "permission", "vanished" (a folder or mount that existed is gone), "unavailable"
    (stale mount, I/O error) or "callback" (the watcher's callback raised).
    """

    topic = "filewatch.error"
    path: str = ""
    kind: str = ""
    message: str = ""
    owner: str = ""
    recovered: bool = False


def describe_os_error(exc: OSError) -> str:
    """The kind of a stat/scandir failure (see :class:`FileWatchError`)."""
    if isinstance(exc, PermissionError):
        return "permission"
    if exc.errno in _ABSENT:
        return "vanished"
    return "unavailable"


class _Watch:
    """What the polling loop needs of every watch: a due time and a check."""

    def __init__(self, watcher: FileWatcher, path: Path, interval: float, owner: str) -> None:
        self.watcher = watcher
        self.path = path
        self.interval = interval
        self.owner = owner
        self.next_due = time.monotonic() + interval
        self._problems: dict[str, str] = {}  # path -> kind currently reported

    def cancel(self) -> None:
        self.watcher.unwatch(self)

    def check(self) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def report_problem(self, path: Path, exc: OSError) -> None:
        kind = describe_os_error(exc)
        key = str(path)
        if self._problems.get(key) == kind:
            return  # reported already; say it again only when it changes
        self._problems[key] = kind
        self.watcher.publish_error(path, kind, f"{path}: {exc.strerror or exc}", self.owner)

    def report_problem_text(self, path: Path, kind: str, message: str) -> None:
        if self._problems.get(str(path)) == kind:
            return
        self._problems[str(path)] = kind
        self.watcher.publish_error(path, kind, message, self.owner)

    def clear_problem(self, path: Path) -> None:
        kind = self._problems.pop(str(path), None)
        if kind is not None:
            self.watcher.publish_error(path, kind, f"{path} is readable again", self.owner,
                                       recovered=True)

    def has_problem(self, path: Path) -> bool:
        return str(path) in self._problems


class WatchHandle(_Watch):
    """A watched file; :meth:`cancel` stops it, :meth:`acknowledge` hides our own write."""

    def __init__(self, watcher: FileWatcher, path: Path, callback: Callable[[Path], None],
                 interval: float, owner: str) -> None:
        super().__init__(watcher, path, interval, owner)
        self.callback = callback
        self.signature: Signature = None
        self.signature = self._read_signature()

    def acknowledge(self) -> None:
        """Record the file's current state as seen (after our own write), so no event follows."""
        self.signature = self._read_signature()

    def check(self) -> bool:
        current = self._read_signature()
        if current == self.signature:
            return False
        self.signature = current
        self.watcher.deliver(self, self.callback, self.path)
        return True

    def _read_signature(self) -> Signature:
        try:
            st = os.stat(self.path)
        except OSError as exc:
            if exc.errno in _ABSENT:
                self.clear_problem(self.path)
                return None
            self.report_problem(self.path, exc)
            return self.signature  # unknown is not "changed"
        self.clear_problem(self.path)
        return (st.st_mtime_ns, st.st_size, st.st_ino)


@dataclass(frozen=True)
class FolderChange:
    """What changed in a watched folder since the last callback (absolute paths, sorted)."""

    folder: Path
    added: tuple[Path, ...] = ()
    removed: tuple[Path, ...] = ()
    modified: tuple[Path, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.modified)


class FileWatcher:
    """Calls watch callbacks from one daemon thread when watched files or folders change.

    ``bus``: where :class:`FileWatchError` events go (without one they are only logged).
    ``owner_of()``: the plugin acting now, recorded on each watch for :meth:`cancel_owned`.
    """

    def __init__(self, interval: float = 0.25, bus: EventBus | None = None,
                 owner_of: Callable[[], str] | None = None) -> None:
        self.interval = interval
        self.bus = bus
        self._owner_of = owner_of or (lambda: "studio")
        self._handles: list[_Watch] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, path: str | os.PathLike[str], callback: Callable[[Path], None], *,
              interval: float | None = None, owner: str | None = None) -> WatchHandle:
        """Start watching file ``path`` (which may not exist yet) and return its handle."""
        handle = WatchHandle(self, Path(path), callback, interval or self.interval,
                             owner or self._owner_of())
        self._add(handle)
        return handle

    def watch_folder(self, path: str | os.PathLike[str],
                     callback: Callable[[FolderChange], None], *,
                     pattern: str | Sequence[str] = "*", recursive: bool = False,
                     interval: float | None = None, track_modified: bool = True,
                     owner: str | None = None) -> FolderWatch:
        """Watch the entries of folder ``path`` whose names match ``pattern`` (a glob or several).

        ``callback(FolderChange)`` fires after a poll that found entries added, removed or (with
        ``track_modified``) modified. ``recursive`` includes every subfolder. ``interval``
        defaults to 1 s (a folder costs more to poll than a file). Without
        ``track_modified`` a poll costs one ``stat`` per folder (names change only when a
        folder's own mtime does) plus a full rescan every few seconds for mounts that cache it.
        """
        from studio.core.folderwatch import FOLDER_INTERVAL_S, FolderWatch

        watch = FolderWatch(self, Path(path), callback, patterns=pattern, recursive=recursive,
                            interval=interval or max(self.interval, FOLDER_INTERVAL_S),
                            track_modified=track_modified, owner=owner or self._owner_of())
        self._add(watch)
        return watch

    def unwatch(self, handle: _Watch) -> None:
        with self._lock:
            if handle in self._handles:
                self._handles.remove(handle)

    def cancel_owned(self, owner: str) -> int:
        """Stop every watch of plugin ``owner`` (its teardown); return how many."""
        with self._lock:
            owned = [h for h in self._handles if h.owner == owner]
            for handle in owned:
                self._handles.remove(handle)
        return len(owned)

    def watches(self) -> list[_Watch]:
        with self._lock:
            return list(self._handles)

    def poll(self, due_only: bool = False) -> int:
        """Check watches once (all, or only those due); return how many callbacks fired."""
        now = time.monotonic()
        with self._lock:
            handles = [h for h in self._handles if not due_only or h.next_due <= now]
        fired = 0
        for handle in handles:
            handle.next_due = now + handle.interval
            try:
                fired += handle.check()
            except Exception:  # a bug in one watch must not stop the others
                log.exception("checking watch of %s failed", handle.path)
        return fired

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2)
        self._thread = None

    # -- used by the watches -------------------------------------------------------------------
    def deliver(self, watch: _Watch, callback: Callable[[Any], None], payload: Any) -> None:
        try:
            callback(payload)
        except Exception as exc:  # one bad callback must not stop the watcher
            log.exception("file watch callback for %s failed", watch.path)
            self.publish_error(watch.path, "callback", f"{type(exc).__name__}: {exc}",
                               watch.owner)

    def publish_error(self, path: Path, kind: str, message: str, owner: str,
                      recovered: bool = False) -> None:
        if not recovered:
            log.warning("file watch: %s", message)
        if self.bus is not None:
            self.bus.publish(FileWatchError(path=str(path), kind=kind, message=message,
                                            owner=owner, recovered=recovered))

    # -- internals -----------------------------------------------------------------------------
    def _add(self, handle: _Watch) -> None:
        with self._lock:
            self._handles.append(handle)
            if self._thread is None:
                self._stop.clear()
                self._thread = threading.Thread(
                    target=self._run, name="studio-filewatch", daemon=True
                )
                self._thread.start()
        self._wake.set()  # a shorter interval than the current sleep

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                due = min((h.next_due for h in self._handles), default=None)
            timeout = self.interval if due is None else max(0.0, due - time.monotonic())
            if self._wake.wait(timeout):
                self._wake.clear()
                if self._stop.is_set():
                    return
                continue
            self.poll(due_only=True)
