"""Process-wide cache of parsed, validated registry files, keyed by what ``fstat`` says.

Parsing a 10k-entry registry.json costs tens of milliseconds; the panel, the dashboard cards and
the CLI helpers each load it, usually unchanged. An entry is reused while the file's (device,
inode, size, mtime_ns, ctime_ns) are unchanged: a studio or hafs write replaces or rewrites the
file and changes at least one of them.

The one hole in stat-based caching is a rewrite within the file system's timestamp granularity
that keeps the size (hafs writes in place, not atomically). As git does for its index ("racy
git"), an entry whose file was modified less than :data:`RACY_NS` before it was cached also
keeps the file's bytes, and a hit on it is confirmed by comparing them (a read and a memcmp,
still ~10x cheaper than parsing). Once a comparison happens long enough after the mtime, the
entry is trusted on stat alone.

Cached entries are shared between callers: treat a loaded registry's entries as read-only.
Every mutation goes through :meth:`RegistryStore.update`, which parses the file afresh.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from studio.plugins.models.registry import Registry

__all__ = ["RACY_NS", "StatKey", "clear", "lookup", "stat_key", "store"]

# Coarser than any local file system's mtime resolution (ext4/APFS: ns stored, ~4 ms clock
# ticks; HFS+ 1 s; FAT 2 s).
RACY_NS = 3_000_000_000

StatKey = tuple[int, int, int, int, int]


@dataclass
class _Entry:
    key: StatKey
    registry: Registry
    data: bytes | None  # kept only while the entry is racy


_entries: dict[Path, _Entry] = {}
_lock = threading.Lock()


def stat_key(result: os.stat_result) -> StatKey:
    return (result.st_dev, result.st_ino, result.st_size, result.st_mtime_ns,
            result.st_ctime_ns)


def _racy(key: StatKey, now_ns: int) -> bool:
    return now_ns - max(key[3], key[4]) < RACY_NS


def lookup(path: Path, key: StatKey, read: Callable[[], bytes]) -> Registry | None:
    """The cached registry for ``path`` if its file still has ``key`` (else None).

    ``read()`` returns the file's current bytes; it is called only to confirm a racy entry.
    """
    with _lock:
        entry = _entries.get(path)
    if entry is None or entry.key != key:
        return None
    if entry.data is not None:
        now = time.time_ns()
        if read() != entry.data:
            return None
        if not _racy(key, now):
            entry.data = None  # equal bytes long after the last change: stat is enough now
    return entry.registry


def store(path: Path, key: StatKey, registry: Registry, data: bytes) -> None:
    """Remember ``registry`` parsed from ``data`` (read after ``key`` was taken)."""
    racy = _racy(key, time.time_ns())
    with _lock:
        _entries[path] = _Entry(key, registry, data if racy else None)


def clear(path: Path | None = None) -> None:
    """Forget one file (or everything): the next load parses it again."""
    with _lock:
        if path is None:
            _entries.clear()
        else:
            _entries.pop(path, None)
