"""Read and write hafs' ``<context>/models/registry.json`` without ever losing an entry.

* Every mutation runs under an inter-process lock (``registry.json.lock``) and is applied to a
  fresh read of the file, so the GUI, the CLI and other studio processes writing at once compose
  instead of overwriting each other. (hafs itself does not lock; writing atomically keeps its
  window for a lost update as small as possible.)
* Writes are atomic (temp file + fsync + rename) in hafs' ``json.dump(indent=2)`` layout with
  ASCII escapes, so hafs on Windows (cp1252 ``open``) can still read names with accents.
* A file that cannot be parsed, or whose entries lack hafs' 36 keys, is reported with the file
  name and line/column; the store then turns read-only and keeps a ``.bak`` copy, and nothing
  overwrites the damaged file unless :meth:`RegistryStore.reset_damaged` is called explicitly.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from studio.api import FileWatcher, WatchHandle, atomic_write_bytes, backup_file
from studio.plugins.models import registry_cache
from studio.plugins.models.ids import validate_model_id
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
REGISTRY_VERSION = "1.0"
LOCK_TIMEOUT_S = 30.0
# filelock polls a held lock every 50 ms by default; writes take a few ms, so poll faster.
LOCK_POLL_S = 0.002
_LOCK_CREATION = threading.Lock()


class RegistryError(Exception):
    """Base class of registry failures."""


class RegistryCorruptError(RegistryError):
    """registry.json cannot be used; ``path``, ``line`` and ``column`` locate the problem."""

    def __init__(self, path: Path, message: str, line: int | None = None,
                 column: int | None = None) -> None:
        where = f"{path}" + (f":{line}:{column}" if line is not None else "")
        super().__init__(f"{where}: {message}")
        self.path, self.line, self.column, self.reason = path, line, column, message


class RegistryReadOnlyError(RegistryError):
    """A write was attempted on a store that is read-only (by choice or because of damage)."""


class UnknownModelError(RegistryError, KeyError):
    """No entry has this id."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown model"


def registry_path(context_root: str | os.PathLike[str]) -> Path:
    """``<context>/models/registry.json`` (hafs-formats §1.1)."""
    return Path(context_root) / "models" / "registry.json"


@dataclass
class Registry:
    """In-memory registry: hafs' top level plus any extra top-level keys (kept on rewrite)."""

    models: dict[str, ModelEntry] = field(default_factory=dict)
    version: str = REGISTRY_VERSION
    updated_at: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def copy(self) -> Registry:
        """A new registry sharing the entries (adding or removing ids leaves this one alone)."""
        return Registry(dict(self.models), self.version, self.updated_at, dict(self.extra))

    def get(self, model_id: str) -> ModelEntry:
        try:
            return self.models[model_id]
        except KeyError:
            raise UnknownModelError(f"no model with id {model_id!r} in the registry") from None

    def filter(self, text: str = "", role: str | None = None, location: str | None = None,
               backend: str | None = None) -> list[ModelEntry]:
        """Entries matching all given filters (hafs ``list`` semantics plus the studio text box).

        ``text`` matches id, display name, role and base model case-insensitively.
        """
        needle = text.casefold()
        result = []
        for model_id, entry in self.models.items():
            if role and entry["role"] != role:
                continue
            if location and location not in (entry["locations"] or {}):
                continue
            if backend and backend not in (entry["deployed_backends"] or []):
                continue
            if needle and not any(
                needle in (value or "").casefold()
                for value in (model_id, entry["display_name"], entry["role"], entry["base_model"])
            ):
                continue
            result.append(entry)
        return result


def parse_registry(data: bytes, path: Path) -> Registry:
    """Parse and strictly validate registry bytes; raise :class:`RegistryCorruptError`."""
    if not data.strip():
        return Registry()  # hafs creates the file empty-ish on first use; treat as no models
    with _gc_paused():
        try:
            raw = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            message = f"invalid JSON: {exc.msg}"
            raise RegistryCorruptError(path, message, exc.lineno, exc.colno) from None
        if not isinstance(raw, dict):
            raise RegistryCorruptError(path, "top level is not a JSON object", 1, 1)
        models = raw.get("models", {})
        if not isinstance(models, dict):
            raise RegistryCorruptError(path, '"models" is not an object',
                                       *_locate(data, '"models"'))
        _check_models(models, data, path)
    extra = {k: v for k, v in raw.items() if k not in ("version", "updated_at", "models")}
    return Registry(models=models, version=str(raw.get("version", REGISTRY_VERSION)),
                    updated_at=str(raw.get("updated_at") or ""), extra=extra)


def _check_models(models: dict[str, Any], data: bytes, path: Path) -> None:
    """Every entry has exactly the 36 hafs keys; ``model_id`` follows the dict key.

    One pass with one C-level set comparison per entry (``dict.keys() == frozenset``); the
    detailed message is only built for the first bad entry.
    """
    bad = _first_bad_entry(models)
    if bad is not None:
        try:
            check_entry_keys(bad, models[bad], str(path))
        except EntryError as exc:
            message = str(exc).removeprefix(f"{path}: ")
            raise RegistryCorruptError(path, message, *_locate(data, json.dumps(bad))) from None
    # hafs takes the id from the dict key (the studio overrides model_id the same way).
    for model_id in [k for k, entry in models.items() if entry["model_id"] != k]:
        models[model_id]["model_id"] = model_id


def _first_bad_entry(models: dict[str, Any]) -> str | None:
    """The id of the first entry that is not a dict with exactly the 36 keys, else None."""
    return next((model_id for model_id, entry in models.items()
                 if not isinstance(entry, dict) or entry.keys() != FIELD_SET), None)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Keep the cyclic GC away from a freshly parsed document.

    orjson builds ~40k GC-tracked containers for 10k entries (JSON cannot hold cycles). With
    the GC running, every few hundred of them trigger a pass that rescans the young ones, and
    once it is re-enabled the first pass scans all 40k: together ~1.4x the parse itself. So the
    GC is off while parsing, and ``freeze()`` + ``unfreeze()`` then file everything tracked
    straight into the oldest generation (an O(1) list splice, no scan), where only the next
    full collection looks at it. It is re-enabled only if it was on (another thread may be
    inside this block too).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        if enabled:
            gc.enable()


def _locate(data: bytes, needle: str) -> tuple[int | None, int | None]:
    index = data.find(needle.encode())
    if index < 0:
        return None, None
    line = data.count(b"\n", 0, index) + 1
    return line, index - (data.rfind(b"\n", 0, index) + 1) + 1


_NON_ASCII = re.compile(rb"[\x80-\xff]+")


def _ascii_escape(match: re.Match[bytes]) -> bytes:
    # json.dumps' ensure_ascii: \uXXXX, astral characters as surrogate pairs.
    text = match.group().decode("utf-8")
    return json.dumps(text)[1:-1].encode("ascii")


def dumps_registry(registry: Registry) -> bytes:
    """Serialise like hafs (``json.dump(indent=2)``, ensure_ascii, key order kept).

    orjson does the work (the stdlib's indented encoder is pure Python and ~25x slower on a big
    registry); non-ASCII bytes, which can only occur inside strings, are escaped afterwards.
    The only difference from hafs' bytes is the spelling of some floats (``1e-05`` is written
    ``0.00001``): the same numbers for every JSON reader.
    """
    document = {"version": registry.version, "updated_at": registry.updated_at,
                "models": registry.models, **registry.extra}
    data = orjson.dumps(document, option=orjson.OPT_INDENT_2)
    return data if data.isascii() else _NON_ASCII.sub(_ascii_escape, data)


class RegistryStore:
    """The registry file of one context root: load, filter, mutate safely, watch.

    ``read_only=True`` (or a damaged file) makes every mutation raise
    :class:`RegistryReadOnlyError`.
    """

    def __init__(self, path: str | os.PathLike[str], read_only: bool = False) -> None:
        self.path = Path(path)
        self._forced_read_only = read_only
        self.damage: RegistryCorruptError | None = None
        self._file_lock: FileLock | None = None
        self._watches: list[WatchHandle] = []

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

        On damage: raises :class:`RegistryCorruptError`, keeps a ``.bak`` copy and turns the
        store read-only until a later load succeeds.
        """
        return self._load(cached=True)

    def _load(self, cached: bool) -> Registry:
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
            return Registry()
        except OSError as exc:
            raise RegistryError(f"{self.path}: cannot read: {exc.strerror or exc}") from exc
        try:
            registry = parse_registry(data, self.path)
        except RegistryCorruptError as exc:
            registry_cache.clear(self.path)
            self.damage = exc
            self._keep_backup(data)
            raise
        self.damage = None
        if not cached:
            return registry  # the caller mutates it: never share it through the cache
        registry_cache.store(self.path, key, registry, data)
        return registry.copy()

    def _keep_backup(self, data: bytes) -> None:
        bak = self.path.with_name(self.path.name + ".bak")
        try:
            if bak.exists() and bak.read_bytes() == data:
                return
            backup_file(self.path)
        except OSError:
            pass  # the damaged original is left untouched either way

    # -- writing -------------------------------------------------------------------------
    def update(self, mutate: Callable[[Registry], T]) -> T:
        """Apply ``mutate`` to the current file content under the lock and save atomically.

        The re-read inside the lock is what makes concurrent writers lose nothing: each one
        changes the latest version, never a stale copy.
        """
        if self._forced_read_only:
            raise RegistryReadOnlyError(f"{self.path}: opened read-only")
        with self._lock().acquire(poll_interval=LOCK_POLL_S):
            try:
                registry = self._load(cached=False)  # a private copy: mutate() changes it
            except RegistryCorruptError as exc:
                raise RegistryReadOnlyError(
                    f"{exc}; not writing so nothing is lost (a copy is in "
                    f"{self.path.name}.bak)") from exc
            result = mutate(registry)
            registry.updated_at = now_iso()
            # Last line of defence: an entry without the 36 keys would make hafs drop them all.
            # (Vocabulary oddities in entries hafs wrote itself are tolerated, as hafs does.)
            bad = _first_bad_entry(registry.models)
            if bad is not None:
                check_entry_keys(bad, registry.models[bad], str(self.path))
            atomic_write_bytes(self.path, dumps_registry(registry))
        for handle in self._watches:
            handle.acknowledge()
        return result

    def add(self, entry: ModelEntry, replace: bool = False) -> ModelEntry:
        """Insert a complete entry (see :func:`new_entry`); an existing id needs ``replace``."""
        _require_clean(entry)

        def mutate(registry: Registry) -> ModelEntry:
            model_id = entry["model_id"]
            if model_id in registry.models and not replace:
                raise RegistryError(f"a model with id {model_id!r} is already registered")
            registry.models[model_id] = entry
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
            entry.update(candidate)  # type: ignore[typeddict-item]
            return entry

        return self.update(mutate)

    def edit(self, model_id: str, change: Callable[[ModelEntry], None]) -> ModelEntry:
        """Run ``change(entry)`` (e.g. append a format) on the fresh entry under the lock."""

        def mutate(registry: Registry) -> ModelEntry:
            entry = registry.get(model_id)
            candidate: ModelEntry = json.loads(json.dumps(entry))
            change(candidate)
            candidate["updated_at"] = now_iso()
            check_entry_keys(model_id, candidate, str(self.path))
            _require_clean(candidate, before=entry)
            registry.models[model_id] = candidate
            return candidate

        return self.update(mutate)

    def remove(self, model_id: str) -> ModelEntry:
        """Drop an entry from the registry (files on disk are not touched)."""
        return self.update(lambda registry: registry.models.pop(model_id, None)
                           or _raise_unknown(model_id))

    def reset_damaged(self) -> Path | None:
        """Replace a damaged file with an empty registry after copying it to ``.bak``.

        Only on the user's explicit request; returns the backup's path.
        """
        if self._forced_read_only:
            raise RegistryReadOnlyError(f"{self.path}: opened read-only")
        with self._lock().acquire(poll_interval=LOCK_POLL_S):
            backup = backup_file(self.path)
            atomic_write_bytes(self.path, dumps_registry(Registry(updated_at=now_iso())))
            self.damage = None
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
    validate_model_id(model_id)
    problems = entry_problems(entry)
    if before is not None:
        tolerated = set(entry_problems(before))
        problems = [problem for problem in problems if problem not in tolerated]
    if problems:
        raise EntryError(f"model {model_id!r}: " + "; ".join(problems))


def _reread(handle: Any) -> bytes:
    handle.seek(0)
    return handle.read()


def _raise_unknown(model_id: str) -> Any:
    raise UnknownModelError(f"no model with id {model_id!r} in the registry")


