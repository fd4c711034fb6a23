"""Plugin discovery: the built-ins, installed entry points, the plugin index, the switches.

A mixin of :class:`studio.core.plugins.PluginManager` (kept apart so each reads on its own).
Nothing here imports a plugin; ``importlib.metadata`` is imported only to read entry points.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from studio.core.plugin_records import PluginRecord, PluginState

if TYPE_CHECKING:
    import importlib.metadata

    from studio.core.plugin_records import UserPluginChoices

__all__ = ["ENTRY_POINT_GROUP", "PluginDiscovery", "record_for_entry_point", "split_names"]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "hafs_studio.plugins"


class PluginDiscovery:
    """Finds plugins and decides which are disabled (by a switch, the user, safe mode)."""

    records: dict[str, PluginRecord]
    essential: frozenset[str]
    safe_mode: bool
    allow: set[str] | None
    deny: set[str]
    user_choices: UserPluginChoices | None
    _builtins: tuple[tuple[str, str], ...]
    _extra: tuple[tuple[str, Any], ...]
    _load_entry_points: bool

    # -- discovery ---------------------------------------------------------------------------
    def discover(self) -> list[PluginRecord]:
        """Find plugins from every source and decide which are disabled; import nothing."""
        for name, module in self._builtins:
            self._add_record(PluginRecord(name, module, "built-in", version=_studio_version()))
        for name, obj in self._extra:
            module = getattr(obj, "__name__", type(obj).__module__)
            self._add_record(PluginRecord(name, module, "test", obj=obj))
        if self._load_entry_points:
            for entry_point in _entry_points():
                self._add_record(record_for_entry_point(entry_point))
        return list(self.records.values())

    def discover_indexed(self, items: Iterable[dict[str, Any]]) -> list[PluginRecord]:
        """Records from the cached plugin index (:mod:`.plugin_index`): nothing is imported,
        no entry point is read. Switches apply as in :meth:`discover`; the real discovery
        replaces these records after the first frame."""
        for item in items:
            record = PluginRecord(item["name"], item["module"], item["source"],
                                  version=item.get("version", ""),
                                  distribution=item.get("distribution", ""),
                                  requires=tuple(item.get("requires", ())),
                                  optional=tuple(item.get("optional", ())))
            self._add_record(record)
        return list(self.records.values())

    def _add_record(self, record: PluginRecord) -> None:
        if record.name in self.records:
            record.state = PluginState.ERRORED
            record.error = (
                f"plugin name {record.name!r} is already used by "
                f"{self.records[record.name].module}; this one was not loaded"
            )
            self.records[f"{record.name}@{record.module}"] = record
            return
        record.essential = record.name in self.essential
        reason = self._disabled_reason(record)
        if reason and record.essential:
            record.warnings.append(f"cannot be disabled (essential); ignored: {reason}")
            log.warning("plugin %s is essential; ignoring: %s", record.name, reason)
        elif reason:
            record.state = PluginState.DISABLED
            record.reason = reason
        self.records[record.name] = record

    def _disabled_reason(self, record: PluginRecord) -> str:
        if self.safe_mode and not record.builtin:
            return "safe mode (built-ins only)"
        if self.allow is not None and record.name not in self.allow:
            return "not in HAFS_STUDIO_PLUGINS"
        if record.name in self.deny:
            return "listed in HAFS_STUDIO_DISABLE_PLUGINS"
        if self.user_choices is not None and record.name in self.user_choices.disabled:
            return "disabled by you"
        return ""

    def switch_reason(self, name: str) -> str:
        """Why a start-up switch (not the user's choice) keeps ``name`` off, or ''."""
        record = self.records[name]
        if record.essential:
            return ""
        reason = self._disabled_reason(record)
        return "" if reason == "disabled by you" else reason


def split_names(value: str | None) -> set[str] | None:
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


def record_for_entry_point(entry_point: importlib.metadata.EntryPoint) -> PluginRecord:
    dist = entry_point.dist
    return PluginRecord(
        entry_point.name,
        entry_point.value,
        "entry point",
        version=dist.version if dist else "",
        distribution=dist.metadata["Name"] if dist else "",
        entry_point=entry_point,
    )


def _entry_points() -> Iterable[importlib.metadata.EntryPoint]:
    import importlib.metadata

    try:
        return sorted(
            importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name
        )
    except Exception:  # a broken distribution's metadata must not stop discovery
        log.exception("reading entry points of %s failed", ENTRY_POINT_GROUP)
        return []


def _studio_version() -> str:
    from studio import __version__

    return __version__
