"""Which folders the monitor watches, through the studio's shared folder watcher.

The monitor does not poll the disk on a timer of its own when it runs in a studio: discovery
folders (the studio's runs folder, hafs training roots and their ``models``/``logs``, campaign
files, the user's run folders) are watched for entries coming and going (a rescan), and each
local run folder, recursively, for files changing (a read of what is new). The watches follow
the runs after every scan; folders that do not exist are not watched (a later scan adds them).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from studio.api import FileWatcher, FolderChange, FolderWatch

__all__ = ["RUN_INTERVAL_S", "MonitorWatches"]

RUN_INTERVAL_S = 0.5  # run folders: new data shows within a second (poll + read + repaint)


class MonitorWatches:
    """The folder watches of one monitor; ``update`` after each scan, ``close`` at the end.

    Three kinds of watch (``update``'s arguments):

    * *trees* (folders of runs, a training root's ``models``): names only, recursively (one
      ``stat`` per folder a poll): a run's first file appearing in a folder that was not a run
      yet asks for a rescan;
    * *folders* (the training and logs folders): their own entries, sizes and mtimes: an entry
      coming or going asks for a rescan, a log growing for a read;
    * *runs* (each local run folder, recursively, every ``RUN_INTERVAL_S``): a new file asks
      for a rescan (a new checkpoint, a first stream), a changed one for a read.
    """

    def __init__(self, watcher: FileWatcher, *, on_rescan: Callable[[], None],
                 on_data: Callable[[], None], owner: str = "training") -> None:
        self.watcher = watcher
        self.on_rescan = on_rescan
        self.on_data = on_data
        self.owner = owner
        self._lock = threading.Lock()
        self._watches: dict[tuple[Path, str], FolderWatch] = {}

    def _changed(self, change: FolderChange) -> None:
        if change.added or change.removed:
            self.on_rescan()
        else:
            self.on_data()

    def update(self, *, trees: Iterable[Path] = (), folders: Iterable[Path] = (),
               runs: Iterable[Path] = ()) -> None:
        wanted = {(Path(p), kind) for kind, paths in (("tree", trees), ("folder", folders),
                                                      ("run", runs))
                  for p in paths if Path(p).is_dir()}
        with self._lock:
            for key in [k for k in self._watches if k not in wanted]:
                self._watches.pop(key).cancel()
            for folder, kind in sorted(wanted - set(self._watches)):
                self._watches[(folder, kind)] = self.watcher.watch_folder(
                    folder, self._changed, recursive=kind != "folder",
                    track_modified=kind != "tree",
                    interval=RUN_INTERVAL_S if kind == "run" else None, owner=self.owner)

    def folders(self) -> list[tuple[Path, str]]:
        """What is watched: (folder, "tree" | "folder" | "run")."""
        with self._lock:
            return sorted(self._watches)

    def close(self) -> None:
        with self._lock:
            watches, self._watches = list(self._watches.values()), {}
        for watch in watches:
            watch.cancel()
