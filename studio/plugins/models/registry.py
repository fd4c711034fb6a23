"""Read and write hafs's ``models/registry.json`` without ever losing an entry.

* **What is read and written** is described in :mod:`.registry_format`: every registry hafs
  accepts loads (NaN, 25-key entries, unknown keys); entries the studio changes are written with
  exactly hafs's 36 keys; entries it leaves alone are written back as they were.
* **hafs saves in place** (``open("w")`` then ``json.dump``: no lock, no temp file), so a reader
  can catch the file empty or half-written. Such a file is a transient state, never an empty
  registry: while it changed within the last :data:`SETTLE_QUIET_S` the store waits and reads
  again (bounded by :data:`SETTLE_MAX_S`, then a clear error). Only a file that stays empty or
  unparsable once it is at rest is damage. Nothing is ever written from such a read.
* **Every mutation** runs under an inter-process lock (``registry.json.lock``) and is applied
  to a fresh read, so the GUI, the CLI and other studio processes compose instead of
  overwriting each other; just before the atomic rename the file is checked to be the one that
  was read (a hafs save in between means read and apply again). A mutation that would leave
  fewer entries than were read is refused unless it is a removal.
* **Writes** are atomic (temp file + fsync + rename) in hafs's ``json.dump(indent=2)`` layout
  with ASCII escapes, so hafs on Windows (cp1252 ``open``) still reads accented names.
* **Damage.** A file hafs could not load at all (not JSON, not an object) is reported with the
  file name and line/column; the store turns read-only, keeps a ``.bak`` copy of those exact
  bytes and never overwrites the file unless :meth:`RegistryStore.reset_damaged` is called. A
  damaged *entry* (hafs's loader refuses it) is reported the same way while the others load,
  and the store stays writable: the entry is written back exactly as read, so a studio save
  cannot make hafs lose it (see :data:`DAMAGED_ENTRY_POLICY`). A ``.bak`` is only ever a copy
  of a file that parsed or that stayed damaged at rest, never of a half-written one.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from studio.api import FileWatcher, WatchHandle, atomic_write_bytes, backup_bytes
from studio.plugins.models import registry_cache
from studio.plugins.models.ids import validate_model_id
from studio.plugins.models.registry_format import dumps_registry, parse_registry
from studio.plugins.models.registry_types import (
    REGISTRY_VERSION,
    EntryDamage,
    Registry,
    RegistryCorruptError,
    RegistryError,
    UnknownModelError,
)
from studio.plugins.models.schema import (
    FIELD_SET,
    EntryError,
    ModelEntry,
    check_entry_keys,
    entry_problems,
    new_entry,
    now_iso,
)

if TYPE_CHECKING:
    from filelock import FileLock

__all__ = [
    "DAMAGED_ENTRY_POLICY",
    "REGISTRY_VERSION",
    "EntryDamage",
    "Registry",
    "RegistryCorruptError",
    "RegistryError",
    "RegistryReadOnlyError",
    "RegistryStore",
    "UnknownModelError",
    "dumps_registry",
    "new_entry",
    "parse_registry",
    "registry_path",
]

T = TypeVar("T")
LOCK_TIMEOUT_S = 30.0
# filelock polls a held lock every 50 ms by default; writes take a few ms, so poll faster.
LOCK_POLL_S = 0.002
# hafs's json.dump writes a 10k-entry registry in well under a second, touching the file every
# few kilobytes; a file untouched for this long is at rest, not in the middle of a save.
SETTLE_QUIET_S = 1.0
SETTLE_MAX_S = 15.0  # a file still changing after this is reported, not waited for
WRITE_ATTEMPTS = 8  # re-reads when another program saved between our read and our rename
# Between attempts a random, growing pause (full jitter): a program saving in a tight loop
# leaves gaps, and a fixed rhythm could keep landing inside its saves on a loaded machine.
WRITE_BACKOFF_S = 0.005
WRITE_BACKOFF_MAX_S = 0.25
DAMAGED_ENTRY_POLICY = (
    "The registry stays writable: a damaged entry is written back exactly as it is, so a "
    "studio save cannot make hafs lose it. hafs itself cannot load this registry until the "
    "entry is fixed.")
_LOCK_CREATION = threading.Lock()
_known_counts: dict[Path, int] = {}  # entries at the last good read of each file, per process
_known_lock = threading.Lock()


class RegistryReadOnlyError(RegistryError):
    """A write was attempted on a store that is read-only (by choice or because of damage)."""


def registry_path(context_root: str | os.PathLike[str]) -> Path:
    """``<context>/models/registry.json`` (hafs-formats §1.1)."""
    return Path(context_root) / "models" / "registry.json"


def _first_bad_entry(models: dict[str, Any]) -> str | None:
    """The id of the first entry that is not a dict with exactly the 36 keys, else None."""
    return next((model_id for model_id, entry in models.items()
                 if not isinstance(entry, dict) or entry.keys() != FIELD_SET), None)


class RegistryStore:
    """The registry file of one context root: load, filter, mutate safely, watch.

    ``read_only=True`` (or a file hafs could not load) makes every mutation raise
    :class:`RegistryReadOnlyError`.
    """

    def __init__(self, path: str | os.PathLike[str], read_only: bool = False) -> None:
        self.path = Path(path)
        self._forced_read_only = read_only
        self.damage: RegistryCorruptError | None = None
        self._file_lock: FileLock | None = None
        self._watches: list[WatchHandle] = []
        self._read_key: registry_cache.StatKey | None = None  # of the last file read

    @classmethod
    def for_context(cls, context_root: str | os.PathLike[str], read_only: bool = False
                    ) -> RegistryStore:
        return cls(registry_path(context_root), read_only=read_only)

    @property
    def read_only(self) -> bool:
        return self._forced_read_only or self.damage is not None

    def _lock(self) -> FileLock:
        # Created on first write: importing filelock costs ~20 ms that a read-only caller
        # (``models list``, the dashboard cards) should not pay.
        with _LOCK_CREATION:
            if self._file_lock is None:
                from filelock import FileLock

                self._file_lock = FileLock(str(self.path) + ".lock", timeout=LOCK_TIMEOUT_S)
            return self._file_lock

    # -- reading -------------------------------------------------------------------------
    def load(self) -> Registry:
        """Read the file (a missing file is an empty registry).

        An unchanged file is served from a process-wide cache (see
        :mod:`~studio.plugins.models.registry_cache`): the entries are shared with other
        callers and must be treated as read-only; change them through :meth:`update`.

        A file caught in the middle of a hafs save is read again once it settles. On damage
        that stays: raises :class:`RegistryCorruptError`, keeps a ``.bak`` copy and turns the
        store read-only until a later load succeeds. Damaged *entries* do not raise: they are
        listed in :attr:`Registry.damaged`.
        """
        return self._load(cached=True)

    def _load(self, cached: bool) -> Registry:
        started = time.monotonic()
        seen_key: registry_cache.StatKey | None = None
        seen_since = started
        delay = 0.005
        while True:
            read = self._read(cached)
            if isinstance(read, Registry):
                return read
            error, data, key = read
            now = time.monotonic()
            if key != seen_key:
                seen_key, seen_since = key, now
            at_rest = (time.time_ns() - key[3] >= SETTLE_QUIET_S * 1e9
                       or now - seen_since >= SETTLE_QUIET_S)
            if not at_rest and now - started < SETTLE_MAX_S:
                time.sleep(delay)  # hafs is rewriting the file in place: let it finish
                delay = min(delay * 2, 0.1)
                continue
            return self._settled_damage(error, data, at_rest)

    def _read(self, cached: bool
              ) -> Registry | tuple[RegistryCorruptError, bytes, registry_cache.StatKey]:
        """One read: the registry, or the parse error with the bytes and their stat key."""
        try:
            with open(self.path, "rb") as handle:
                # fstat before reading: a write racing with the read changes the key, so the
                # next load re-reads instead of trusting what may be a torn read.
                key = registry_cache.stat_key(os.fstat(handle.fileno()))
                hit = registry_cache.lookup(self.path, key, lambda: _reread(handle))
                if cached and hit is not None:
                    self.damage = None
                    return hit.copy()
                handle.seek(0)
                data = handle.read()
        except FileNotFoundError:
            self.damage = None
            self._read_key = None
            return Registry()
        except OSError as exc:
            raise RegistryError(f"{self.path}: cannot read: {exc.strerror or exc}") from exc
        self._read_key = key
        try:
            registry = parse_registry(data, self.path, exact=not cached)
        except RegistryCorruptError as exc:
            registry_cache.clear(self.path)
            return exc, data, key
        self.damage = None
        with _known_lock:
            _known_counts[self.path] = registry.entry_count
        if not cached:
            return registry  # the caller mutates it: never share it through the cache
        registry_cache.store(self.path, key, registry, data)
        return registry.copy()

    def _settled_damage(self, error: RegistryCorruptError, data: bytes, at_rest: bool
                        ) -> Registry:
        """The file stayed empty or unparsable: raise (an empty file never used: no models)."""
        with _known_lock:
            known = _known_counts.get(self.path, 0)
        if error.empty and at_rest and not known:
            self.damage = None
            return Registry()  # an empty file that never held models here: nothing to lose
        if not at_rest:
            error = RegistryCorruptError(
                self.path, f"{error.reason}, and the file kept changing for {SETTLE_MAX_S:.0f} s "
                "(is another program writing it?)", error.line, error.column, empty=error.empty)
        elif error.empty:
            error = RegistryCorruptError(
                self.path, f"the file is empty but held {known} model{'s' * (known != 1)} when "
                "it was last read (a save that was interrupted?)", empty=True)
        else:
            error.backup = self._keep_backup(data)
        error.data = data
        self.damage = error
        raise error

    def _keep_backup(self, data: bytes) -> Path | None:
        """Copy the exact bytes judged damaged to ``.bak`` (unless that copy exists already)."""
        bak = self.path.with_name(self.path.name + ".bak")
        try:
            if bak.exists() and bak.read_bytes() == data:
                return bak
            return backup_bytes(self.path, data)
        except OSError:
            return None  # the damaged original is left untouched either way

    # -- writing -------------------------------------------------------------------------
    def update(self, mutate: Callable[[Registry], T], *, removes: bool = False) -> T:
        """Apply ``mutate`` to the current file content under the lock and save atomically.

        The re-read inside the lock is what makes concurrent writers lose nothing: each one
        changes the latest version, never a stale copy. ``mutate`` must be repeatable (it runs
        again if hafs saves between the read and the write) and should change entries by
        replacing values, as :meth:`patch` and :meth:`edit` do. Unless ``removes``, it may not
        leave fewer entries than it was given.
        """
        if self._forced_read_only:
            raise RegistryReadOnlyError(f"{self.path}: opened read-only")
        with self._lock().acquire(poll_interval=LOCK_POLL_S):
            for attempt in range(WRITE_ATTEMPTS):
                try:
                    registry = self._load(cached=False)  # a private copy: mutate() changes it
                except RegistryCorruptError as exc:
                    kept = f" (a copy is in {exc.backup.name})" if exc.backup else ""
                    raise RegistryReadOnlyError(
                        f"{exc}; not writing so nothing is lost{kept}") from exc
                read_key = self._read_key
                before = registry.entry_count
                result = mutate(registry)
                self._check_before_write(registry, before, removes)
                data = dumps_registry(registry)
                if _stat_key_or_none(self.path) != read_key:
                    # someone saved since our read: apply to their version instead
                    time.sleep(random.uniform(0, min(WRITE_BACKOFF_MAX_S,
                                                     WRITE_BACKOFF_S * 2 ** attempt)))
                    continue
                atomic_write_bytes(self.path, data)
                break
            else:
                raise RegistryError(f"{self.path}: the file changed during each of "
                                    f"{WRITE_ATTEMPTS} attempts to save; nothing was written")
        with _known_lock:
            _known_counts[self.path] = registry.entry_count
        for handle in self._watches:
            handle.acknowledge()
        return result

    def _check_before_write(self, registry: Registry, before: int, removes: bool) -> None:
        registry.updated_at = now_iso()
        if registry.entry_count < before and not removes:
            raise RegistryError(
                f"{self.path}: refusing to write {registry.entry_count} entries over the "
                f"{before} just read; only a removal may shrink the registry")
        # Last line of defence: an entry without the 36 keys would make hafs drop them all.
        # (Vocabulary oddities in entries hafs wrote itself are tolerated, as hafs does.)
        bad = _first_bad_entry(registry.models)
        if bad is not None:
            check_entry_keys(bad, registry.models[bad], str(self.path))

    def add(self, entry: ModelEntry, replace: bool = False) -> ModelEntry:
        """Insert a complete entry (see :func:`new_entry`); an existing id needs ``replace``."""
        _require_clean(entry)

        def mutate(registry: Registry) -> ModelEntry:
            model_id = entry["model_id"]
            exists = model_id in registry.models or model_id in registry.damaged
            if exists and not replace:
                raise RegistryError(f"a model with id {model_id!r} is already registered")
            registry.put(entry)
            return entry

        return self.update(mutate)

    def patch(self, model_id: str, **fields: Any) -> ModelEntry:
        """Change some fields of one entry and bump its ``updated_at``."""

        def mutate(registry: Registry) -> ModelEntry:
            entry = registry.get(model_id)
            candidate = dict(entry)
            candidate.update(fields)
            candidate["updated_at"] = now_iso()
            check_entry_keys(model_id, candidate, str(self.path))
            _require_clean(candidate, before=entry)
            registry.models[model_id] = candidate  # type: ignore[assignment]
            return candidate  # type: ignore[return-value]

        return self.update(mutate)

    def edit(self, model_id: str, change: Callable[[ModelEntry], None]) -> ModelEntry:
        """Run ``change(entry)`` (e.g. append a format) on the fresh entry under the lock."""
        import copy

        def mutate(registry: Registry) -> ModelEntry:
            entry = registry.get(model_id)
            candidate: ModelEntry = copy.deepcopy(entry)
            change(candidate)
            candidate["updated_at"] = now_iso()
            check_entry_keys(model_id, candidate, str(self.path))
            _require_clean(candidate, before=entry)
            registry.models[model_id] = candidate
            return candidate

        return self.update(mutate)

    def remove(self, model_id: str) -> ModelEntry | EntryDamage:
        """Drop an entry (a damaged one too) from the registry; files on disk are not touched."""
        return self.update(lambda registry: registry.pop(model_id), removes=True)

    def reset_damaged(self) -> Path | None:
        """Replace a damaged file with an empty registry after copying it to ``.bak``.

        Only on the user's explicit request, and only for a file that is still damaged once it
        has settled; returns the backup's path.
        """
        if self._forced_read_only:
            raise RegistryReadOnlyError(f"{self.path}: opened read-only")
        with self._lock().acquire(poll_interval=LOCK_POLL_S):
            try:
                self._load(cached=False)
            except RegistryCorruptError as exc:
                data = exc.data  # the bytes judged damaged at rest, not a fresh copy
            else:
                raise RegistryError(f"{self.path} is readable again: nothing to reset")
            backup = backup_bytes(self.path, data) if data.strip() else None
            atomic_write_bytes(self.path, dumps_registry(Registry(updated_at=now_iso())))
            self.damage = None
            with _known_lock:
                _known_counts[self.path] = 0
        for handle in self._watches:
            handle.acknowledge()
        return backup

    # -- watching ------------------------------------------------------------------------
    def watch(self, watcher: FileWatcher, callback: Callable[[Path], None]) -> WatchHandle:
        """Call ``callback`` when another program changes the file (our writes are ignored)."""
        handle = watcher.watch(self.path, callback)
        self._watches.append(handle)
        return handle


def _require_clean(entry: Any, before: ModelEntry | None = None) -> None:
    """Refuse entries hafs would choke on, and new type/vocabulary problems.

    Problems already present in ``before`` (an entry hafs wrote) are tolerated so that editing
    a note never fails because of an old odd value.
    """
    model_id = entry.get("model_id", "?") if isinstance(entry, dict) else "?"
    check_entry_keys(model_id, entry, "new entry")
    if before is None:
        validate_model_id(model_id)
    problems = entry_problems(entry)
    if before is not None:
        tolerated = set(entry_problems(before))
        problems = [problem for problem in problems if problem not in tolerated]
    if problems:
        raise EntryError(f"model {model_id!r}: " + "; ".join(problems))


def _stat_key_or_none(path: Path) -> registry_cache.StatKey | None:
    try:
        return registry_cache.stat_key(os.stat(path))
    except FileNotFoundError:
        return None


def _reread(handle: Any) -> bytes:
    handle.seek(0)
    return handle.read()
