"""Folder watches: entries added, removed and modified below a folder, by polling.

Created with :meth:`studio.core.filewatch.FileWatcher.watch_folder`. Each poll lists the folder
(``os.scandir``: names and types without a ``stat`` each on Linux and Windows) and compares with
the previous listing. Costs, for a folder of n matching entries:

* ``track_modified=True``: a listing plus one ``stat`` per matching entry (sizes and mtimes).
* ``track_modified=False``: one ``stat`` of each watched folder; the folder is listed again only
  when its own mtime moved (an entry was created, removed or renamed) or every
  :data:`FULL_RESCAN_S` seconds, for network mounts whose folder times are cached.

Mount safety: a watched folder that disappears, becomes unreadable, or turns into an empty
folder on another device (an SMB mount point after the share dropped) is reported on the bus as
a problem, and *no* entries are reported removed; when it comes back, the difference to the
last good listing is reported.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import re
import stat
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from studio.core.filewatch import FileWatcher, FolderChange, _Watch

__all__ = ["FULL_RESCAN_S", "FolderWatch"]

FULL_RESCAN_S = 5.0
Entry = tuple[int, int]  # (mtime_ns, size); folders have size -1, untracked entries (0, 0)


class _Listing:
    def __init__(self, device: int) -> None:
        self.device = device
        self.entries: dict[Path, Entry] = {}
        self.folders: dict[Path, int] = {}  # every folder listed -> its mtime_ns


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
        with contextlib.suppress(OSError):
            self._listing = self._list(os.stat(path))

    def entries(self) -> list[Path]:
        """The matching entries as of the last poll."""
        return sorted(self._listing.entries) if self._listing else []

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
        if previous is not None and not self.track_modified and not self._names_may_differ(
                previous):
            self.clear_problem(self.path)
            return False
        try:
            current = self._list(root)
        except OSError as exc:  # listed as unreadable: keep what we knew
            self.report_problem(self.path, exc)
            return False
        if previous is not None and self._mount_gone(previous, current):
            return False
        self.clear_problem(self.path)
        self._listing = current
        change = _difference(self.path, previous, current, self.track_modified)
        if not change:
            return False
        self.watcher.deliver(self, self.callback, change)
        return True

    # -- internals -----------------------------------------------------------------------------
    def _names_may_differ(self, listing: _Listing) -> bool:
        """Without modification tracking: did any listed folder's mtime move (or is a periodic
        full listing due)?"""
        if time.monotonic() - self._last_full >= FULL_RESCAN_S:
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
        listing = _Listing(root.st_dev)
        old = self._listing
        pending = [self.path]
        while pending:
            folder = pending.pop()
            try:
                mtime = root.st_mtime_ns if folder == self.path else os.stat(folder).st_mtime_ns
                with os.scandir(folder) as scan:
                    items = list(scan)
            except OSError as exc:
                if folder == self.path:
                    raise
                self.report_problem(folder, exc)  # a subfolder: keep what it held
                if old is not None:
                    _copy_below(old, listing, folder)
                continue
            if folder != self.path and self.has_problem(folder):
                self.clear_problem(folder)
            listing.folders[folder] = mtime
            for item in items:
                is_folder = item.is_dir(follow_symlinks=False)
                path = Path(item.path)
                if is_folder and self.recursive:
                    pending.append(path)
                if not self._match(item.name):
                    continue
                listing.entries[path] = self._entry(item, is_folder)
        return listing

    def _entry(self, item: os.DirEntry[str], is_folder: bool) -> Entry:
        if not self.track_modified:
            return (0, 0)
        try:
            st = item.stat()
        except OSError:  # removed between listing and stat: the next poll sees it gone
            return (0, 0)
        return (st.st_mtime_ns, -1 if is_folder else st.st_size)


def _copy_below(old: _Listing, new: _Listing, folder: Path) -> None:
    for path, entry in old.entries.items():
        if path.is_relative_to(folder):
            new.entries[path] = entry
    for path, mtime in old.folders.items():
        if path.is_relative_to(folder):
            new.folders[path] = mtime


def _difference(root: Path, previous: _Listing | None, current: _Listing,
                track_modified: bool) -> FolderChange:
    before = previous.entries if previous is not None else {}
    after = current.entries
    added = sorted(after.keys() - before.keys())
    removed = sorted(before.keys() - after.keys())
    modified = sorted(p for p in after.keys() & before.keys() if after[p] != before[p]) \
        if track_modified else []
    return FolderChange(root, tuple(added), tuple(removed), tuple(modified))
