"""Typed, validated studio settings persisted as JSON in the studio's config folder.

Plugins declare sections (:class:`~studio.core.contributions.SettingsSectionSpec`); values are
stored as ``{"section": {"key": value}}``. Values for sections that are not registered in this
run (a plugin disabled for now) are kept untouched. A damaged file is copied to ``.bak`` and
defaults are used; a value that fails validation falls back to its default with a warning.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.core import small_json
from studio.core.atomic import atomic_write_bytes, backup_file
from studio.core.contributions import SettingField, SettingsSectionSpec
from studio.core.events import Event, EventBus

__all__ = ["SettingChanged", "SettingsError", "SettingsStore", "coerce_setting"]

log = logging.getLogger(__name__)


class SettingsError(ValueError):
    """A setting value was rejected; the message names the section, key and reason."""


@dataclass(frozen=True, slots=True)
class SettingChanged(Event):
    topic = "settings.changed"
    section: str = ""
    key: str = ""
    value: Any = None


def coerce_setting(field: SettingField, value: Any) -> Any:
    """Return ``value`` converted to the field's type, or raise ValueError explaining why."""
    kind = field.type
    if kind == "bool":
        if isinstance(value, bool):
            result: Any = value
        elif isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
            result = value.lower() in ("true", "1", "yes")
        else:
            raise ValueError(f"expected true or false, got {value!r}")
    elif kind == "int":
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValueError(f"expected an integer, got {value!r}")
        try:
            result = int(value)
        except ValueError:
            raise ValueError(f"expected an integer, got {value!r}") from None
    elif kind == "float":
        if isinstance(value, bool):
            raise ValueError(f"expected a number, got {value!r}")
        try:
            result = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"expected a number, got {value!r}") from None
    elif kind in ("str", "path"):
        if not isinstance(value, str):
            raise ValueError(f"expected text, got {value!r}")
        result = value
    elif kind == "choice":
        if value not in field.choices:
            raise ValueError(f"expected one of {list(field.choices)}, got {value!r}")
        result = value
    else:  # pragma: no cover - SettingField's Literal type rules this out
        raise ValueError(f"unknown setting type {kind!r}")
    if kind in ("int", "float"):
        if field.minimum is not None and result < field.minimum:
            raise ValueError(f"must be at least {field.minimum}, got {result}")
        if field.maximum is not None and result > field.maximum:
            raise ValueError(f"must be at most {field.maximum}, got {result}")
    if field.validate is not None:
        field.validate(result)
    return result


class SettingsStore:
    """Settings of every registered section, saved atomically on each change."""

    def __init__(self, path: Path, bus: EventBus | None = None) -> None:
        self.path = path
        self.bus = bus
        self.sections: dict[str, SettingsSectionSpec] = {}
        self.warnings: list[str] = []
        self._lock = threading.RLock()
        self._data: dict[str, dict[str, Any]] = {}
        self._load()

    # -- schema --------------------------------------------------------------------------
    def register_section(self, section: SettingsSectionSpec, *, replace: bool = False) -> None:
        """Add a section (``replace``: its new version, e.g. with more choices)."""
        with self._lock:
            if section.id in self.sections and not replace:
                raise ValueError(f"settings section {section.id!r} is registered twice")
            self.sections[section.id] = section
            stored = self._data.get(section.id, {})
            for field in section.fields:
                if field.key in stored:
                    try:
                        coerce_setting(field, stored[field.key])
                    except ValueError as exc:
                        warning = (f"{self.path}: {section.id}.{field.key}: {exc}; using the "
                                   f"default {field.default!r}")
                        if warning not in self.warnings:
                            self.warnings.append(warning)

    def remove_plugin(self, plugin: str) -> list[str]:
        """Forget the sections ``plugin`` registered (torn down); their stored values stay."""
        with self._lock:
            doomed = [sid for sid, spec in self.sections.items() if spec.plugin == plugin]
            for section_id in doomed:
                del self.sections[section_id]
        return doomed

    def field(self, section: str, key: str) -> SettingField:
        spec = self.sections.get(section)
        if spec is None:
            raise SettingsError(f"unknown settings section {section!r}")
        for field in spec.fields:
            if field.key == key:
                return field
        raise SettingsError(f"unknown setting {section}.{key}")

    # -- values --------------------------------------------------------------------------
    def get(self, section: str, key: str) -> Any:
        """The stored value if valid, else the declared default."""
        field = self.field(section, key)
        with self._lock:
            stored = self._data.get(section, {})
            if key not in stored:
                return field.default
            try:
                return coerce_setting(field, stored[key])
            except ValueError:
                return field.default

    def values(self, section: str) -> dict[str, Any]:
        return {field.key: self.get(section, field.key) for field in self.sections[section].fields}

    def set(self, section: str, key: str, value: Any) -> Any:
        """Validate and store one value, save the file, publish ``settings.changed``."""
        field = self.field(section, key)
        try:
            value = coerce_setting(field, value)
        except ValueError as exc:
            raise SettingsError(f"{section}.{key}: {exc}") from None
        with self._lock:
            if self.get(section, key) == value and key in self._data.get(section, {}):
                return value
            self._data.setdefault(section, {})[key] = value
            self._save()
        if self.bus is not None:
            self.bus.publish(SettingChanged(section=section, key=key, value=value))
        return value

    def reset(self, section: str, key: str) -> None:
        field = self.field(section, key)
        with self._lock:
            self._data.get(section, {}).pop(key, None)
            self._save()
        if self.bus is not None:
            self.bus.publish(SettingChanged(section=section, key=key, value=field.default))

    # -- persistence ---------------------------------------------------------------------
    def _load(self) -> None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return
        except OSError as exc:
            self.warnings.append(f"cannot read {self.path}: {exc}; using defaults")
            return
        try:
            data = small_json.loads(raw)
            if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
                raise ValueError("expected an object of sections, each an object of values")
        except ValueError as exc:
            backup = backup_file(self.path)
            self.warnings.append(
                f"{self.path} is damaged ({exc}); using defaults, your file was kept as {backup}"
            )
            # Move the damaged file aside so the next save cannot lose it and cannot fail on it.
            self.path.unlink(missing_ok=True)
            return
        self._data = data

    def _save(self) -> None:
        atomic_write_bytes(
            self.path, small_json.dumps(self._data, indent=True, sort_keys=True)
        )
