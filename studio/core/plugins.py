"""Plugin discovery, loading, activation and isolation on top of pluggy.

pluggy calls hooks but isolates nothing, so this module does: every plugin is imported inside
its own guard and timed, every hook implementation is called on its own, and a plugin that
fails anywhere (import, a hookimpl, a widget factory, a subscriber) is marked ``errored`` with
its traceback while the others keep working.

Sources, in load order: the built-in plugins (:data:`BUILTIN_PLUGINS`) and the entry points of
group ``hafs_studio.plugins`` of installed distributions. Switches: ``HAFS_STUDIO_PLUGINS``
(comma-separated allow list), ``HAFS_STUDIO_DISABLE_PLUGINS``, safe mode (built-ins only), and
the user's disabled list (``plugins.json`` in the config folder).

Crash guard (:mod:`studio.core.crash_guard`): the plugin being imported or activated is named
in a file, so after a hard crash (a segfault in an extension) the next start can offer to
disable it.
"""

from __future__ import annotations

import contextlib
import enum
import importlib
import importlib.metadata
import logging
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pluggy

from studio.core import hookspecs
from studio.core.atomic import atomic_write_bytes, backup_file
from studio.core.crash_guard import CrashGuard, CrashReport
from studio.core.events import Event, EventBus, SubscriberFailed

__all__ = [
    "BUILTIN_PLUGINS",
    "ENTRY_POINT_GROUP",
    "CrashReport",
    "PluginChanged",
    "PluginManager",
    "PluginRecord",
    "PluginState",
    "UserPluginChoices",
]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "hafs_studio.plugins"

# Built-in plugins: (name, module). They register exactly like third-party plugins.
BUILTIN_PLUGINS: tuple[tuple[str, str], ...] = (
    ("workbench", "studio.plugins.workbench.plugin"),
    ("themes", "studio.plugins.themes.plugin"),
    ("dashboard", "studio.plugins.dashboard.plugin"),
    ("jobs", "studio.plugins.jobs.plugin"),
    ("models", "studio.plugins.models.plugin"),
    ("training", "studio.plugins.training.plugin"),
)


class PluginState(enum.StrEnum):
    DISCOVERED = "discovered"
    DISABLED = "disabled"
    LOADED = "loaded"
    ACTIVE = "active"
    ERRORED = "errored"


@dataclass(frozen=True, slots=True)
class PluginChanged(Event):
    """A plugin's state changed (loaded, errored, disabled); the Plugins dialog refreshes."""

    topic = "plugins.changed"
    name: str = ""
    state: str = ""


@dataclass
class PluginRecord:
    """Everything the Plugins dialog and ``plugins list`` show about one plugin."""

    name: str
    module: str
    source: str  # "built-in" or "entry point"
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
            data = orjson.loads(path.read_bytes())
            self.disabled = {str(name) for name in data.get("disabled", [])}
        except FileNotFoundError:
            pass
        except (OSError, orjson.JSONDecodeError, AttributeError, TypeError) as exc:
            backup = backup_file(path)
            self.problem = f"{path} is unreadable ({exc}); all plugins enabled, copy at {backup}"
            log.warning("%s", self.problem)

    def set_enabled(self, name: str, enabled: bool) -> None:
        (self.disabled.discard if enabled else self.disabled.add)(name)
        atomic_write_bytes(
            self.path,
            orjson.dumps({"disabled": sorted(self.disabled)}, option=orjson.OPT_INDENT_2),
        )


def _split_names(value: str | None) -> set[str] | None:
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


class PluginManager:
    """Discovers, loads and activates plugins; calls hooks one implementation at a time."""

    def __init__(
        self,
        bus: EventBus,
        *,
        guard_file: Path | None = None,
        user_choices: UserPluginChoices | None = None,
        builtins: Sequence[tuple[str, str]] = BUILTIN_PLUGINS,
        load_entry_points: bool = True,
        safe_mode: bool = False,
        environ: dict[str, str] | None = None,
        extra_plugins: Sequence[tuple[str, Any]] = (),
    ) -> None:
        env = os.environ if environ is None else environ
        self.bus = bus
        self.guard_file = guard_file
        self.user_choices = user_choices
        self.safe_mode = safe_mode
        self.allow = _split_names(env.get("HAFS_STUDIO_PLUGINS"))
        self.deny = _split_names(env.get("HAFS_STUDIO_DISABLE_PLUGINS")) or set()
        self._builtins = tuple(builtins)
        # Safe mode still lists installed plugins (as disabled) so the user sees what is off.
        self._load_entry_points = load_entry_points
        self._extra = tuple(extra_plugins)
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.records: dict[str, PluginRecord] = {}
        self._module_owners: list[tuple[str, str]] = []  # (module prefix, plugin name)
        self._acting = threading.local()  # the plugin whose code runs now, for attribution
        self._crash_guard = CrashGuard(guard_file)
        self.crash_report = self._crash_guard.previous_crash
        bus.owner_resolver = self.owner_of
        bus.subscribe(
            SubscriberFailed.topic, self._on_subscriber_failed, owner="studio", thread="publisher"
        )

    # -- discovery and loading -------------------------------------------------------------
    def discover(self) -> list[PluginRecord]:
        """Find plugins from every source and decide which are disabled; import nothing."""
        for name, module in self._builtins:
            self._add_record(PluginRecord(name, module, "built-in", version=_studio_version()))
        for name, obj in self._extra:
            module = getattr(obj, "__name__", type(obj).__module__)
            record = PluginRecord(name, module, "test", obj=obj)
            self._add_record(record)
        if self._load_entry_points:
            for entry_point in _entry_points():
                dist = entry_point.dist
                self._add_record(
                    PluginRecord(
                        entry_point.name,
                        entry_point.value,
                        "entry point",
                        version=dist.version if dist else "",
                        distribution=dist.metadata["Name"] if dist else "",
                        entry_point=entry_point,
                    )
                )
        return list(self.records.values())

    def load_all(self) -> None:
        """Import and register every plugin that is not disabled, each in its own guard."""
        for record in self.records.values():
            if record.state is PluginState.DISCOVERED:
                self._load(record)

    def _add_record(self, record: PluginRecord) -> None:
        if record.name in self.records:
            record.state = PluginState.ERRORED
            record.error = (
                f"plugin name {record.name!r} is already used by "
                f"{self.records[record.name].module}; this one was not loaded"
            )
            self.records[f"{record.name}@{record.module}"] = record
            return
        reason = self._disabled_reason(record)
        if reason:
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

    def _load(self, record: PluginRecord) -> None:
        start = time.perf_counter()
        self._crash_guard.enter(record.name, "load")
        try:
            if record.obj is None:
                if record.entry_point is not None:
                    record.obj = record.entry_point.load()
                else:
                    record.obj = importlib.import_module(record.module)
            self.pm.register(record.obj, name=record.name)
            unknown = [
                caller.name
                for caller in self.pm.get_hookcallers(record.obj) or []
                if not caller.has_spec()
            ]
            if unknown:
                self.pm.unregister(record.obj)
                raise pluggy.PluginValidationError(
                    record.obj,
                    f"unknown hook(s) {', '.join(unknown)}: see studio/core/hookspecs.py",
                )
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            self._mark_errored(record, "load", exc)
        else:
            record.state = PluginState.LOADED
            module_name = getattr(record.obj, "__name__", None) or type(record.obj).__module__
            self._module_owners.append((module_name.rsplit(".", 1)[0], record.name))
            self._module_owners.append((module_name, record.name))
            self._module_owners.sort(key=lambda item: -len(item[0]))
        finally:
            self._crash_guard.exit()
            record.load_ms = (time.perf_counter() - start) * 1000
        self.bus.publish(PluginChanged(name=record.name, state=str(record.state)))

    # -- calling hooks -----------------------------------------------------------------------
    studio: Any = None  # the Studio these plugins serve; set by Studio, passed to register hooks

    def call_register(
        self, hook_name: str, sink: Callable[[str, Any], None], phase: str = "activate"
    ) -> None:
        """Call ``hook_name(register)`` on each live plugin with ``register`` bound to it.

        ``sink(plugin_name, spec)`` stores a contribution; if it raises (a duplicate id, an
        invalid spec) the contributing plugin is marked errored.
        """
        for record in self._live_records():

            def register(spec: Any, _record: PluginRecord = record) -> None:
                sink(_record.name, spec)

            arguments = {"register": register, "studio": self.studio}
            self._call_impl(record, hook_name, arguments, phase)

    def call_hook(self, hook_name: str, phase: str | None = None, **kwargs: Any) -> None:
        """Call a lifecycle hook (``studio_startup``…) on each live plugin, guarded."""
        for record in self._live_records():
            self._call_impl(record, hook_name, kwargs, phase or hook_name)

    def mark_active(self) -> None:
        """Loaded plugins whose registration succeeded become active."""
        for record in self.records.values():
            if record.state is PluginState.LOADED:
                record.state = PluginState.ACTIVE
                self.bus.publish(PluginChanged(name=record.name, state=str(record.state)))

    @contextlib.contextmanager
    def acting_as(self, plugin: str) -> Any:
        """Attribute what runs inside (bus subscriptions, errors) to ``plugin``."""
        previous = getattr(self._acting, "name", None)
        self._acting.name = plugin
        try:
            yield
        finally:
            self._acting.name = previous

    def guard(self, plugin: str, phase: str, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(*args)`` on behalf of ``plugin``; on exception mark it errored, return None."""
        try:
            with self.acting_as(plugin):
                return fn(*args)
        except Exception as exc:
            record = self.records.get(plugin)
            if record is None:
                log.exception("%s failed (%s)", plugin, phase)
            else:
                self._mark_errored(record, phase, exc)
            return None

    def _call_impl(
        self, record: PluginRecord, hook_name: str, kwargs: dict[str, Any], phase: str
    ) -> None:
        hook = getattr(self.pm.hook, hook_name)
        impls = [impl for impl in hook.get_hookimpls() if impl.plugin is record.obj]
        if not impls:
            return
        start = time.perf_counter()
        self._crash_guard.enter(record.name, phase)
        try:
            with self.acting_as(record.name):
                for impl in impls:
                    if impl.hookwrapper or impl.wrapper:
                        record.warnings.append(f"{hook_name}: hook wrappers are not supported")
                        continue
                    impl.function(*[kwargs[name] for name in impl.argnames])
        except Exception as exc:
            self._mark_errored(record, f"{phase}: {hook_name}", exc)
        finally:
            self._crash_guard.exit()
            record.activate_ms += (time.perf_counter() - start) * 1000

    def _live_records(self) -> list[PluginRecord]:
        return [
            r
            for r in list(self.records.values())
            if r.state in (PluginState.LOADED, PluginState.ACTIVE)
        ]

    # -- errors ----------------------------------------------------------------------------
    def _mark_errored(self, record: PluginRecord, phase: str, exc: BaseException) -> None:
        record.state = PluginState.ERRORED
        record.error_phase = phase
        record.error = f"{type(exc).__name__}: {exc}"
        record.traceback = "".join(traceback.format_exception(exc))
        log.error("plugin %s failed during %s: %s", record.name, phase, record.error)
        self.bus.publish(PluginChanged(name=record.name, state=str(record.state)))

    def _on_subscriber_failed(self, event: SubscriberFailed) -> None:
        record = self.records.get(event.owner)
        if record is not None:
            record.warnings.append(f"subscriber on {event.event_topic} failed: {event.error}")

    def owner_of(self, obj: Any) -> str:
        """The plugin running now, else the one whose module defined ``obj``, else 'studio'."""
        acting = getattr(self._acting, "name", None)
        if acting is not None:
            return acting
        module = getattr(obj, "__module__", None) or ""
        for prefix, name in self._module_owners:
            if module == prefix or module.startswith(prefix + "."):
                return name
        return "studio"

    # -- user choices --------------------------------------------------------------------------
    def set_enabled(self, name: str, enabled: bool) -> None:
        """Persist the user's choice; it applies at the next start."""
        if self.user_choices is None:
            raise RuntimeError("this plugin manager has no user choices file")
        if name not in self.records:
            raise KeyError(f"unknown plugin {name!r}")
        self.user_choices.set_enabled(name, enabled)

    def close_guard(self) -> None:
        """Start-up is over: remove the crash-guard file (end of ``Studio.start``)."""
        self._crash_guard.close()

    def records_sorted(self) -> list[PluginRecord]:
        order = {"built-in": 0, "entry point": 1, "test": 2}
        return sorted(self.records.values(), key=lambda r: (order.get(r.source, 3), r.name))


def _entry_points() -> Iterable[importlib.metadata.EntryPoint]:
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
