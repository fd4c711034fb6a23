"""The in-memory registry and its errors (see :mod:`.registry_format` for the file format).

:class:`Registry` holds the entries the studio works with (complete 36-key dicts keyed by id, in
file order) plus what is needed to write the file back faithfully: entries hafs cannot load
(:class:`EntryDamage`) and entries read in a non-canonical form (:class:`KeptEntry`), which are
written back as read while unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.plugins.models.schema import FIELD_SET, ModelEntry

__all__ = [
    "REGISTRY_VERSION",
    "EntryDamage",
    "KeptEntry",
    "Registry",
    "RegistryCorruptError",
    "RegistryError",
    "UnknownModelError",
]

REGISTRY_VERSION = "1.0"


class RegistryError(Exception):
    """Base class of registry failures."""


class RegistryCorruptError(RegistryError):
    """registry.json cannot be used; ``path``, ``line`` and ``column`` locate the problem.

    ``empty`` is true when the file holds nothing but whitespace (what a reader sees while hafs
    is rewriting it in place).
    """

    def __init__(self, path: Path, message: str, line: int | None = None,
                 column: int | None = None, *, empty: bool = False) -> None:
        where = f"{path}" + (f":{line}:{column}" if line is not None else "")
        super().__init__(f"{where}: {message}")
        self.path, self.line, self.column, self.reason = path, line, column, message
        self.empty = empty
        self.backup: Path | None = None  # where the damaged bytes were kept, if they were
        self.data = b""  # the bytes that were judged (set by the store)


class UnknownModelError(RegistryError, KeyError):
    """No entry has this id."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown model"


@dataclass(frozen=True)
class EntryDamage:
    """One entry hafs's loader would refuse; the registry's other entries still load."""

    model_id: str
    reason: str
    path: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = self.path + (f":{self.line}:{self.column}" if self.line is not None else "")
        return f"{where}: model {self.model_id!r} {self.reason}"


@dataclass(frozen=True)
class KeptEntry:
    """An entry read in a non-canonical form, written back as ``raw`` while unchanged.

    ``shown`` is the entry the studio works with (None for a damaged entry); ``values`` pins
    its values so a replaced value is noticed (see :meth:`Registry.is_unchanged`).
    """

    raw: Any
    shown: ModelEntry | None
    values: tuple[Any, ...] = ()


@dataclass
class Registry:
    """In-memory registry: hafs's top level plus what is needed to write it back faithfully.

    ``models`` are complete 36-key entries whose ``model_id`` is their key (the id hafs and
    the studio use), in file order. ``damaged`` lists entries hafs cannot load; ``extra`` holds
    unknown top-level keys (kept, though hafs drops them on its next save).
    """

    models: dict[str, ModelEntry] = field(default_factory=dict)
    version: str = REGISTRY_VERSION
    updated_at: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    damaged: dict[str, EntryDamage] = field(default_factory=dict)
    kept: dict[str, KeptEntry] = field(default_factory=dict)
    order: tuple[str, ...] = ()  # file order of every id; only needed with damaged entries

    def copy(self) -> Registry:
        """A new registry sharing the entries (adding or removing ids leaves this one alone)."""
        return Registry(dict(self.models), self.version, self.updated_at, dict(self.extra),
                        dict(self.damaged), dict(self.kept), self.order)

    @property
    def entry_count(self) -> int:
        """Every entry in the file, damaged ones included."""
        return len(self.models) + len(self.damaged)

    def get(self, model_id: str) -> ModelEntry:
        try:
            return self.models[model_id]
        except KeyError:
            damage = self.damaged.get(model_id)
            if damage is not None:
                raise UnknownModelError(f"{damage}; fix it in the file first") from None
            raise UnknownModelError(f"no model with id {model_id!r} in the registry") from None

    def put(self, entry: ModelEntry) -> None:
        """Add or replace an entry (a replaced damaged or non-canonical one is forgotten)."""
        model_id = entry["model_id"]
        self.damaged.pop(model_id, None)
        self.kept.pop(model_id, None)
        self.models[model_id] = entry

    def pop(self, model_id: str) -> ModelEntry | EntryDamage:
        """Remove an entry, damaged ones included; UnknownModelError if there is none."""
        self.kept.pop(model_id, None)
        if model_id in self.damaged:
            return self.damaged.pop(model_id)
        try:
            return self.models.pop(model_id)
        except KeyError:
            raise UnknownModelError(f"no model with id {model_id!r} in the registry") from None

    def unknown_keys(self, model_id: str) -> dict[str, Any]:
        """Keys of an entry that are not among hafs's 36 (written by a newer hafs?), kept."""
        kept = self.kept.get(model_id)
        if kept is None or not isinstance(kept.raw, dict):
            return {}
        return {k: v for k, v in kept.raw.items() if k not in FIELD_SET}

    def is_unchanged(self, model_id: str) -> bool:
        """True when a non-canonical entry still holds exactly the values it was read with."""
        kept = self.kept.get(model_id)
        entry = self.models.get(model_id)
        if kept is None or entry is None or kept.shown is None:
            return False
        if entry is not kept.shown or len(entry) != len(kept.values):
            return False
        return all(a is b for a, b in zip(entry.values(), kept.values, strict=True))

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
                needle in (value if isinstance(value, str) else "").casefold()
                for value in (model_id, entry["display_name"], entry["role"], entry["base_model"])
            ):
                continue
            result.append(entry)
        return result
