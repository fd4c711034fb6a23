"""What the studio knows about each plugin, and the user's persisted enable/disable choices.

Split from :mod:`studio.core.plugins` (the manager) so the records read on their own; import
them from :mod:`studio.api` or :mod:`studio.core.plugins`.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.core import small_json
from studio.core.atomic import atomic_write_bytes, backup_file
from studio.core.events import Event

if TYPE_CHECKING:
    import importlib.metadata

__all__ = [
    "ContributionsChanged",
    "PluginChanged",
    "PluginRecord",
    "PluginState",
    "UserPluginChoices",
]

log = logging.getLogger(__name__)


class PluginState(enum.StrEnum):
    DISCOVERED = "discovered"
    DISABLED = "disabled"
    LOADED = "loaded"
    ACTIVE = "active"
    ERRORED = "errored"

    @property
    def live(self) -> bool:
        """Loaded or active: its hooks are called."""
        return self in (PluginState.LOADED, PluginState.ACTIVE)


@dataclass(frozen=True, slots=True)
class PluginChanged(Event):
    """A plugin's state changed (loaded, active, errored, disabled); Plugins dialog refreshes."""

    topic = "plugins.changed"
    name: str = ""
    state: str = ""


@dataclass
class PluginRecord:
    """Everything the Plugins dialog and ``plugins list`` show about one plugin."""

    name: str
    module: str
    source: str  # "built-in", "entry point" or "test"
    version: str = ""
    distribution: str = ""
    state: PluginState = PluginState.DISCOVERED
    reason: str = ""  # why disabled
    error: str = ""  # one line
    traceback: str = ""
    error_phase: str = ""
    load_ms: float = 0.0
    activate_ms: float = 0.0
    warnings: list[str] = field(default_factory=list)
    requires: tuple[str, ...] = ()  # module-level REQUIRES: unmet -> disabled
    optional: tuple[str, ...] = ()  # module-level OPTIONAL: ordered before, fine when absent
    essential: bool = False  # the shell's own settings and commands: cannot be disabled
    hookspecs: tuple[str, ...] = ()  # hooks this plugin declares (studio_add_hookspecs)
    started: bool = False  # studio_startup ran (so studio_shutdown is due)
    entry_point: importlib.metadata.EntryPoint | None = field(default=None, repr=False)
    obj: Any = field(default=None, repr=False)

    @property
    def builtin(self) -> bool:
        return self.source == "built-in"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "source": self.source,
            "distribution": self.distribution,
            "module": self.module,
            "state": str(self.state),
            "reason": self.reason,
            "requires": list(self.requires),
            "optional": list(self.optional),
            "essential": self.essential,
            "hookspecs": list(self.hookspecs),
            "error": self.error,
            "error_phase": self.error_phase,
            "traceback": self.traceback,
            "load_ms": round(self.load_ms, 3),
            "activate_ms": round(self.activate_ms, 3),
            "warnings": list(self.warnings),
        }


class UserPluginChoices:
    """The user's enable/disable choices, persisted in ``plugins.json``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.disabled: set[str] = set()
        self.problem = ""
        try:
            data = small_json.loads(path.read_bytes())
            self.disabled = {str(name) for name in data.get("disabled", [])}
        except FileNotFoundError:
            pass
        except (OSError, small_json.JSONDecodeError, AttributeError, TypeError) as exc:
            backup = backup_file(path)
            self.problem = f"{path} is unreadable ({exc}); all plugins enabled, copy at {backup}"
            log.warning("%s", self.problem)

    def set_enabled(self, name: str, enabled: bool) -> None:
        (self.disabled.discard if enabled else self.disabled.add)(name)
        atomic_write_bytes(
            self.path,
            small_json.dumps({"disabled": sorted(self.disabled)}, indent=True),
        )


@dataclass(frozen=True, slots=True)
class ContributionsChanged(Event):
    """A plugin's views, commands, cards or settings were added or withdrawn while running.

    Published when a plugin is enabled, disabled or torn down after start-up; the shell then
    brings every window's docks, menus and the dashboard in line with the registries.
    """

    topic = "plugins.contributions"
    plugin: str = ""
    added: bool = False
