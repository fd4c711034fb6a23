"""One folder's rows in the browser while its listing streams in and after (Qt-free).

A folder's entries arrive in batches in directory order (:func:`listing.stream_folder`), then
as a watch reports names added, removed and modified. The view is given a window of rows: the
``limit`` smallest entries known so far, always sorted (:func:`listing.sort_key`); the rest
*wait*. An arriving entry that belongs in the window is inserted at its row, and the window's
last rows go back to waiting when it overflows; the window grows when the view scrolls to its
end (:meth:`FolderRows.take`). So the first rows appear after the first small batch, the rows
at the top are the right ones whenever the listing ends, and a 100k-file folder is never
sorted whole on the GUI thread while it loads (only a scroll past the window sorts the
waiting entries).

Invariant: every waiting entry sorts after the last shown row. The tree model mirrors the
shown rows one node per row by applying each :class:`Changes` in its documented order.
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Iterable
from dataclasses import dataclass, field

from studio.plugins.context.listing import Entry

__all__ = ["Changes", "FolderRows", "Insert", "Update"]

_KEY = operator.attrgetter("key")


@dataclass(frozen=True)
class Insert:
    """New rows ``row .. row+len(entries)-1`` (counted after the earlier inserts)."""

    row: int
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Update:
    """The entry shown at ``row`` changed (size, time, kind): repaint it."""

    row: int
    entry: Entry


@dataclass
class Changes:
    """Apply in this order: remove the ``removed`` rows (descending), repaint ``updates``,
    insert ``inserts`` (ascending), then remove the rows from ``trim_from`` to the end (they
    went back to waiting)."""

    removed: list[int] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    inserts: list[Insert] = field(default_factory=list)
    trim_from: int | None = None

    def __bool__(self) -> bool:
        return bool(self.removed or self.updates or self.inserts or self.trim_from is not None)


class FolderRows:
    """The sorted shown rows and the waiting entries of one folder."""

    def __init__(self, limit: int) -> None:
        self.limit = limit  # how many rows the view wants shown
        self._shown: list[Entry] = []  # sorted
        self._shown_keys: list[str] = []  # their keys, for bisect
        self._waiting: list[Entry] = []  # unsorted; may hold stale entries (see _live)
        self._by_name: dict[str, Entry] = {}  # every live entry, shown or waiting
        self._waiting_count = 0  # live waiting entries

    # -- reading ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._by_name)

    @property
    def shown(self) -> list[Entry]:
        return list(self._shown)

    @property
    def waiting(self) -> int:
        return self._waiting_count

    def get(self, name: str) -> Entry | None:
        return self._by_name.get(name)

    def row_of(self, name: str) -> int | None:
        """The shown row of ``name`` (None when it waits or is unknown)."""
        entry = self._by_name.get(name)
        if entry is None:
            return None
        row = bisect.bisect_left(self._shown_keys, entry.key)
        if row < len(self._shown_keys) and self._shown_keys[row] == entry.key:
            return row
        return None

    # -- changing --------------------------------------------------------------------------
    def add(self, entries: Iterable[Entry]) -> Changes:
        """Entries listed or reported added. A known name is an update (a listing and a watch
        may both report one); a new one is shown at its row or waits."""
        incoming = {entry.name: entry for entry in entries}
        moved = [name for name, entry in incoming.items()
                 if name in self._by_name and self._by_name[name].key != entry.key]
        changes = Changes(removed=self._forget(moved))  # a file became a folder: it moves
        fresh: list[Entry] = []
        for name, entry in incoming.items():
            old = self._by_name.get(name)
            if old is None:
                fresh.append(entry)
            elif old != entry:
                row = self.row_of(name)
                self._by_name[name] = entry
                if row is not None:
                    self._shown[row] = entry
                    changes.updates.append(Update(row, entry))
                else:
                    self._waiting.append(entry)  # the old one is stale now
        changes.inserts = self._insert(fresh)
        changes.trim_from = self._trim()
        return changes

    def remove(self, names: Iterable[str]) -> Changes:
        """Names that are gone."""
        return Changes(removed=self._forget(names))

    def keep_only(self, names: set[str]) -> Changes:
        """A full listing found ``names``: every other name is gone."""
        return self.remove([name for name in self._by_name if name not in names])

    def take(self, count: int) -> list[Entry]:
        """Grow the window by ``count``: the next waiting entries in order, which become the
        last shown rows."""
        self.limit = len(self._shown) + count
        if count <= 0 or not self._waiting_count:
            return []
        live = [e for e in self._waiting if self._by_name.get(e.name) is e]
        live.sort(key=_KEY)
        taken, self._waiting = live[:count], live[count:]
        self._waiting_count = len(self._waiting)
        self._shown.extend(taken)
        self._shown_keys.extend(e.key for e in taken)
        return taken

    # -- inside ----------------------------------------------------------------------------
    def _insert(self, entries: list[Entry]) -> list[Insert]:
        entries.sort(key=_KEY)
        keys = self._shown_keys
        if keys and (len(keys) >= self.limit or self._waiting_count):
            # Entries after the last shown row wait, as a block: most of a big batch does.
            cut = bisect.bisect_right([e.key for e in entries], keys[-1])
            for entry in entries[cut:]:
                self._by_name[entry.name] = entry
            self._waiting.extend(entries[cut:])
            self._waiting_count += len(entries) - cut
            del entries[cut:]
        runs: list[tuple[int, list[Entry]]] = []  # (row in the final order, entries)
        placed = 0
        for entry in entries:
            self._by_name[entry.name] = entry
            row = bisect.bisect_left(keys, entry.key) + placed
            after_last = row == len(keys) + placed
            if row >= self.limit or (after_last and self._waiting_count):
                self._waiting.append(entry)  # so does every later (bigger) one
                self._waiting_count += 1
                continue
            if runs and runs[-1][0] + len(runs[-1][1]) == row:
                runs[-1][1].append(entry)
            else:
                runs.append((row, [entry]))
            placed += 1
        for row, run in runs:  # ascending: each row counts the runs before it
            self._shown[row:row] = run
            keys[row:row] = [e.key for e in run]
        return [Insert(row, tuple(run)) for row, run in runs]

    def _trim(self) -> int | None:
        """Rows past the window go back to waiting (they sort before every waiting entry)."""
        if len(self._shown) <= self.limit:
            return None
        start = self.limit
        self._waiting.extend(self._shown[start:])
        self._waiting_count += len(self._shown) - start
        del self._shown[start:], self._shown_keys[start:]
        return start

    def _forget(self, names: Iterable[str]) -> list[int]:
        rows: list[int] = []
        for name in names:
            row = self.row_of(name)
            if self._by_name.pop(name, None) is None:
                continue
            if row is not None:
                rows.append(row)
            else:
                self._waiting_count -= 1
        rows.sort(reverse=True)
        for row in rows:
            del self._shown[row], self._shown_keys[row]
        return rows
