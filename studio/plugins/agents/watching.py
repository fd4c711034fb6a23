"""Wake the monitor when an agent file changes, through the studio's file watcher.

The monitor re-checks pids and ages every ``refresh_seconds`` anyway; these watches make a
file change show at once instead: ``agents.jsonl`` is polled every 50 ms (new events reach the
table within ~0.1 s), the roots for new daemon folders (names only: one ``stat`` per root per
poll), each daemon folder for its status, pid and task files, the campaign files and the swarm
file. Every watch belongs to the Agents plugin, so tearing the plugin down cancels them too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from studio.plugins.agents.locations import CAMPAIGN_FILES, AgentLocations

__all__ = ["DAEMON_FILES", "AgentWatches"]

DAEMON_FILES = ("daemon_status.json", "daemon.pid", "scheduled_tasks.json")


class AgentWatches:
    """The watches of one monitor; :meth:`follow` adds daemon folders as they are found."""

    def __init__(self, watcher: Any, locations: AgentLocations, wake: Callable[[], None], *,
                 events_poll_s: float, owner: str) -> None:
        self.watcher = watcher
        self.wake = wake
        self.owner = owner
        self._folders: dict[Path, Any] = {}
        self._handles: list[Any] = [
            watcher.watch(locations.events_file, self._changed, interval=events_poll_s,
                          owner=owner),
            watcher.watch(locations.swarm_file, self._changed, owner=owner),
            watcher.watch_folder(locations.training_dir, self._changed,
                                 pattern=[name for name in CAMPAIGN_FILES
                                          if not name.endswith(".log")], owner=owner),
        ]
        self._handles += [watcher.watch_folder(root, self._changed, pattern="*",
                                               track_modified=False, owner=owner)
                          for root in locations.roots]

    def _changed(self, _change: object) -> None:
        self.wake()

    def follow(self, folders: Iterable[Path]) -> None:
        """Watch these daemon folders (new ones added, vanished ones dropped)."""
        wanted = set(folders)
        for folder in [f for f in self._folders if f not in wanted]:
            self._folders.pop(folder).cancel()
        for folder in wanted - self._folders.keys():
            self._folders[folder] = self.watcher.watch_folder(
                folder, self._changed, pattern=DAEMON_FILES, owner=self.owner)

    def cancel(self) -> None:
        for handle in [*self._handles, *self._folders.values()]:
            handle.cancel()
        self._handles, self._folders = [], {}
