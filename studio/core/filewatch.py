"""Watch files for changes made by other programs (hafs, the CLI, another studio window).

Polling ``stat`` on a background thread rather than inotify/FSEvents: hafs users keep training
roots on SMB/SSHFS mounts (``~/Mounts/mm-d``) where kernel notifications never arrive, and the
studio watches a handful of files, so a 250 ms poll costs microseconds. A change is reported
once the file's (mtime_ns, size, inode) signature differs from the last one seen; a file that
appears or disappears is a change too.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["FileWatcher", "WatchHandle"]

log = logging.getLogger(__name__)

Signature = tuple[int, int, int] | None


def _signature(path: Path) -> Signature:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


@dataclass(eq=False)
class WatchHandle:
    """A registered watch; :meth:`cancel` stops it."""

    path: Path
    callback: Callable[[Path], None]
    watcher: FileWatcher
    signature: Signature = None

    def cancel(self) -> None:
        self.watcher.unwatch(self)

    def acknowledge(self) -> None:
        """Record the file's current state as seen (after our own write), so no event follows."""
        self.signature = _signature(self.path)


class FileWatcher:
    """Calls ``callback(path)`` from a daemon thread when a watched file changes."""

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self._handles: list[WatchHandle] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, path: str | os.PathLike[str], callback: Callable[[Path], None]) -> WatchHandle:
        """Start watching ``path`` (which may not exist yet) and return its handle."""
        handle = WatchHandle(Path(path), callback, self)
        handle.acknowledge()
        with self._lock:
            self._handles.append(handle)
            if self._thread is None:
                self._stop.clear()
                self._thread = threading.Thread(
                    target=self._run, name="studio-filewatch", daemon=True
                )
                self._thread.start()
        return handle

    def unwatch(self, handle: WatchHandle) -> None:
        with self._lock:
            if handle in self._handles:
                self._handles.remove(handle)

    def poll(self) -> int:
        """Check every watched file once; return how many callbacks fired (tests call this)."""
        with self._lock:
            handles = list(self._handles)
        fired = 0
        for handle in handles:
            current = _signature(handle.path)
            if current == handle.signature:
                continue
            handle.signature = current
            fired += 1
            try:
                handle.callback(handle.path)
            except Exception:  # one bad callback must not stop the watcher
                log.exception("file watch callback for %s failed", handle.path)
        return fired

    def stop(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2)
        self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.poll()
