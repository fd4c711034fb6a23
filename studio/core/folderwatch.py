"""Folder watches: entries added, removed and modified below a folder, by polling.

Created with :meth:`studio.core.filewatch.FileWatcher.watch_folder`. Designed so that watching
a big training root (50 folders of 1,000 checkpoints and logs) costs little per poll:

* **Names** (added, removed): each poll ``stat``\\ s the watched folders only; a folder is listed
  again (``os.scandir``: names and types, no ``stat`` per entry) when its own mtime moved, which
  every create, delete and rename does; when the root is on another device (a mount came or
  went); on the poll after a listing made within :data:`RACY_NS` of the folder's mtime (file
  times tick coarsely, so a change in that tick may leave the mtime unmoved); and every
  :data:`FULL_RESCAN_S` seconds regardless, for network mounts whose folder times are cached.
* **Modifications** (``track_modified``): an entry that changed or appeared in the last
  :data:`HOT_S` seconds (a log being written, a checkpoint being saved) is ``stat``\\ ed every
  poll; the others in turn, a slice per poll, so each is checked at least every
  :data:`SWEEP_POLLS` polls (a folder of up to :data:`SMALL_FOLDER` entries is checked whole
  every poll). A file untouched for a minute that changes in a big folder is therefore reported
  within ``SWEEP_POLLS`` intervals, a file being written within one.

Mount safety: a watched folder that disappears, becomes unreadable, or turns into an empty
folder on another device (an SMB mount point after the share dropped) is reported on the bus as
a problem, and *no* entries are reported removed; when it comes back, the difference to the
last good listing is reported.

The first listing (the baseline, no callback) is made on the calling thread.
"""

from __future__ import annotations

import fnmatch
import math
import os
import re
import stat
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from studio.core.filewatch import FileWatcher, FolderChange, _Watch

__all__ = [
    "FOLDER_INTERVAL_S",
    "FULL_RESCAN_S",
    "HOT_S",
    "RACY_NS",
    "SMALL_FOLDER",
    "SWEEP_POLLS",
    "FolderWatch",
]

FOLDER_INTERVAL_S = 1.0  # default poll interval of a folder watch
FULL_RESCAN_S = 5.0
HOT_S = 60.0
SWEEP_POLLS = 10
SMALL_FOLDER = 200  # entries stat'ed per poll at least: small watches see every change at once
# File times tick coarsely (a few ms locally, 1-2 s on SMB or FAT): a folder whose mtime is this
# close to the moment it was listed may change again without its mtime moving, so it is listed
# again on the next poll (git's "racily clean" entries). Compared in both directions, so a
# share whose clock runs ahead is not relisted on every poll.
RACY_NS = 2_000_000_000
Signature = tuple[int, int] | None  # (mtime_ns, size); None: not stat'ed (yet)


class _Listing:
    """Names found by one listing, by path *string* (hashing 50,000 ``Path`` objects per poll
    would cost more than the ``stat`` calls), with the last signature seen of each."""

    def __init__(self, device: int) -> None:
        self.device = device
        self.entries: dict[str, Signature] = {}
        self.folders: dict[str, int] = {}  # every folder listed -> its mtime_ns
        self.racy = False  # some folder's mtime is within RACY_NS of its listing


class FolderWatch(_Watch):
    """A watched folder; :meth:`cancel` stops it."""

    def __init__(self, watcher: FileWatcher, path: Path,
                 callback: Callable[[FolderChange], None], *,
                 patterns: str | Sequence[str], recursive: bool, interval: float,
                 track_modified: bool, owner: str) -> None:
        super().__init__(watcher, path, interval, owner)
        self.callback = callback
        self.recursive = recursive
        self.track_modified = track_modified
        self.patterns = (patterns,) if isinstance(patterns, str) else tuple(patterns)
        flags = re.IGNORECASE if os.name == "nt" else 0  # as the platform's file names compare
        self._match = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in self.patterns)
                                 or "(?!)", flags).match
        self._listing: _Listing | None = None  # None: not there (yet), all of it is new later
        self._last_full = 0.0
        self._hot: dict[str, float] = {}  # entry -> when it last changed (monotonic)
        self._order: list[str] = []  # entries in sweep order
        self._cursor = 0
        try:
            self._listing = self._list(os.stat(path))
        except OSError:
            return
        self._order = list(self._listing.entries)
        if track_modified:
            self._stat_all(self._order)

    def entries(self) -> list[Path]:
        """The matching entries as of the last poll."""
        return [Path(p) for p in sorted(self._listing.entries)] if self._listing else []

    def check(self) -> bool:
        try:
            root = os.stat(self.path)
            if not stat.S_ISDIR(root.st_mode):
                raise NotADirectoryError(20, "not a folder")
        except OSError as exc:
            if self._listing is None and isinstance(exc, FileNotFoundError):
                return False  # never existed: wait for it quietly
            self.report_problem(self.path, exc)
            return False
        previous = self._listing
        added: list[str] = []
        removed: list[str] = []
        # A root on another device (a share dropped, or came back) is listed at once: its own
        # mtime says nothing, it may even equal the old one within the clock's coarse tick.
        if (previous is None or root.st_dev != previous.device
                or self._names_may_differ(previous)):
            try:
                current = self._list(root)
            except OSError as exc:  # listed as unreadable: keep what we knew
                self.report_problem(self.path, exc)
                return False
            if previous is not None and self._mount_gone(previous, current):
                return False
            before = previous.entries if previous is not None else {}
            added = sorted(current.entries.keys() - before.keys())
            removed = sorted(before.keys() - current.entries.keys())
            for name, signature in before.items():
                if name in current.entries:
                    current.entries[name] = signature
            self._listing = current
            self._order = list(current.entries)
            for name in removed:
                self._hot.pop(name, None)
        self.clear_problem(self.path)
        modified = self._modified(added) if self.track_modified else []
        change = FolderChange(self.path, tuple(map(Path, added)), tuple(map(Path, removed)),
                              tuple(map(Path, sorted(modified))))
        if not change:
            return False
        self.watcher.deliver(self, self.callback, change)
        return True

    # -- modifications -------------------------------------------------------------------------
    def _modified(self, added: list[str]) -> list[str]:
        """Stat new and hot entries and the next slice of the others; return what changed."""
        listing = self._listing
        assert listing is not None
        now = time.monotonic()
        self._stat_all(added)
        for name in added:
            self._hot[name] = now
        count = len(self._order)
        step = max(SMALL_FOLDER, math.ceil(count / SWEEP_POLLS))
        sweep = self._order[self._cursor:self._cursor + step]
        self._cursor = self._cursor + step if self._cursor + step < count else 0
        fresh = set(added)
        changed = []
        entries = listing.entries
        for name in {*self._hot, *sweep}:
            if name in fresh:
                continue
            old = entries.get(name)
            try:
                st = os.stat(name)
            except OSError:  # gone: the next listing reports it removed
                continue
            signature = (st.st_mtime_ns, st.st_size)
            if signature != old:
                entries[name] = signature
                self._hot[name] = now
                if old is not None:
                    changed.append(name)
        for name in [n for n, when in self._hot.items() if now - when > HOT_S]:
            del self._hot[name]
        return changed

    def _stat_all(self, names: list[str]) -> None:
        entries = self._listing.entries if self._listing else {}
        for name in names:
            try:
                st = os.stat(name)
            except OSError:
                continue
            entries[name] = (st.st_mtime_ns, st.st_size)

    # -- names ---------------------------------------------------------------------------------
    def _names_may_differ(self, listing: _Listing) -> bool:
        """Did any listed folder's mtime move (or is a periodic full listing due)?"""
        if listing.racy or time.monotonic() - self._last_full >= FULL_RESCAN_S:
            return True
        for folder, mtime in listing.folders.items():
            try:
                if os.stat(folder).st_mtime_ns != mtime:
                    return True
            except OSError:
                return True
        return False

    def _mount_gone(self, previous: _Listing, current: _Listing) -> bool:
        if current.device == previous.device or current.entries or not previous.entries:
            return False
        self.report_problem_text(
            self.path, "vanished",
            f"{self.path} is now an empty folder on another device: the mount behind it is "
            "gone? Its entries are kept until it returns")
        return True

    def _list(self, root: os.stat_result) -> _Listing:
        self._last_full = time.monotonic()
        started_ns = time.time_ns()
        listing = _Listing(root.st_dev)
        old = self._listing
        top = str(self.path)
        match, recursive, entries = self._match, self.recursive, listing.entries
        pending = [top]
        while pending:
            folder = pending.pop()
            try:
                mtime = root.st_mtime_ns if folder == top else os.stat(folder).st_mtime_ns
                with os.scandir(folder) as scan:
                    items = list(scan)
            except OSError as exc:
                if folder == top:
                    raise
                self.report_problem(Path(folder), exc)  # a subfolder: keep what it held
                if old is not None:
                    _copy_below(old, listing, folder)
                continue
            if folder != top and self.has_problem(Path(folder)):
                self.clear_problem(Path(folder))
            listing.folders[folder] = mtime
            if abs(started_ns - mtime) <= RACY_NS:
                listing.racy = True
            for item in items:
                if recursive and item.is_dir(follow_symlinks=False):
                    pending.append(item.path)
                if match(item.name) is not None:
                    entries[item.path] = None
        return listing


def _copy_below(old: _Listing, new: _Listing, folder: str) -> None:
    prefix = folder.rstrip(os.sep) + os.sep
    for path, entry in old.entries.items():
        if path.startswith(prefix):
            new.entries[path] = entry
    for path, mtime in old.folders.items():
        if path == folder or path.startswith(prefix):
            new.folders[path] = mtime
