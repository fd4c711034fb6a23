"""Plugin discovery, loading, dependency order, activation, isolation and teardown (pluggy).

pluggy calls hooks but isolates nothing, so this module does: every plugin is imported inside
its own guard and timed, every hook implementation is called on its own, and a plugin that
fails anywhere (import, a hookimpl, a widget factory) is marked ``errored`` with its traceback
and **torn down**: everything it owns is released (the studio's teardown listeners withdraw its
views, commands, settings, subscriptions, services, jobs and processes), and every plugin that
``REQUIRES`` it is disabled and torn down too, so nothing is left half-activated.

Sources, in load order: the built-in plugins (:data:`BUILTIN_PLUGINS`) and the entry points of
group ``hafs_studio.plugins`` of installed distributions. Switches: ``HAFS_STUDIO_PLUGINS``
(comma-separated allow list), ``HAFS_STUDIO_DISABLE_PLUGINS``, safe mode (built-ins only), and
the user's disabled list (``plugins.json`` in the config folder). Essential plugins
(:data:`ESSENTIAL_PLUGINS`) ignore the switches, with a warning.

A plugin module declares what it depends on with module-level ``REQUIRES = ("models",)`` and
``OPTIONAL = ("logs",)``; plugins are activated in dependency order (:mod:`.plugin_graph`).
It may declare hooks of its own with ``studio_add_hookspecs(add)`` and collect what others
contribute with :meth:`PluginManager.collect` (:mod:`.plugin_hooks`).

Crash guard (:mod:`studio.core.crash_guard`): the plugin being imported or activated is named
in a file, so after a hard crash (a segfault in an extension) the next start can offer to
disable it.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.core.crash_guard import CrashGuard, CrashReport
from studio.core.events import EventBus, SubscriberFailed
from studio.core.plugin_hooks import ContributionTable, PluginHooks
from studio.core.plugin_records import (
    PluginChanged,
    PluginRecord,
    PluginState,
    UserPluginChoices,
)

__all__ = [
    "BUILTIN_PLUGINS",
    "ENTRY_POINT_GROUP",
    "ESSENTIAL_PLUGINS",
    "ContributionTable",
    "CrashReport",
    "PluginChanged",
    "PluginManager",
    "PluginRecord",
    "PluginState",
    "UserPluginChoices",
]

if TYPE_CHECKING:
    import importlib.metadata

    import pluggy

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "hafs_studio.plugins"

# Built-in plugins: (name, module). They register exactly like third-party plugins.
BUILTIN_PLUGINS: tuple[tuple[str, str], ...] = (
    ("workbench", "studio.plugins.workbench.plugin"),
    ("themes", "studio.plugins.themes.plugin"),
    ("dashboard", "studio.plugins.dashboard.plugin"),
    ("jobs", "studio.plugins.jobs.plugin"),
    ("models", "studio.plugins.models.plugin"),
)

# The workbench owns the shell's own settings (appearance, general, tools) and the window's
# commands (palette, Preferences, Plugins…, workspaces, quit): without it the user could not
# even reach the Plugins dialog to turn it back on.
ESSENTIAL_PLUGINS: frozenset[str] = frozenset({"workbench"})

_PHASE_OF_HOOK = {"studio_startup": "startup", "studio_shutdown": "shutdown"}

TeardownListener = Callable[[str], None]


def _split_names(value: str | None) -> set[str] | None:
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


class PluginManager(PluginHooks):
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
        essential: Iterable[str] = ESSENTIAL_PLUGINS,
    ) -> None:
        env = os.environ if environ is None else environ
        self.bus = bus
        self.guard_file = guard_file
        self.user_choices = user_choices
        self.safe_mode = safe_mode
        self.allow = _split_names(env.get("HAFS_STUDIO_PLUGINS"))
        self.deny = _split_names(env.get("HAFS_STUDIO_DISABLE_PLUGINS")) or set()
        self.essential = frozenset(essential)
        self._builtins = tuple(builtins)
        # Safe mode still lists installed plugins (as disabled) so the user sees what is off.
        self._load_entry_points = load_entry_points
        self._extra = tuple(extra_plugins)
        self._pm: pluggy.PluginManager | None = None
        self.records: dict[str, PluginRecord] = {}
        self.order: list[str] = []  # activation order: dependencies first
        self._module_owners: list[tuple[str, str]] = []  # (module prefix, plugin name)
        self._acting = threading.local()  # the plugin whose code runs now, for attribution
        self._teardown_listeners: list[TeardownListener] = []
        self._tables: dict[str, ContributionTable[Any]] = {}
        self._hook_owners: dict[str, str] = {}  # plugin-declared hook -> declaring plugin
        self._crash_guard = CrashGuard(guard_file)
        self.crash_report = self._crash_guard.previous_crash
        bus.owner_resolver = self.owner_of
        bus.subscribe(
            SubscriberFailed.topic, self._on_subscriber_failed, owner="studio", thread="publisher"
        )

    @property
    def pm(self) -> pluggy.PluginManager:
        """The pluggy manager, created when the first plugin is imported (pluggy, and the
        importlib.metadata it imports, are not needed to paint the window)."""
        if self._pm is None:
            import pluggy

            from studio.core import hookspecs

            self._pm = pluggy.PluginManager(hookspecs.PROJECT)
            self._pm.add_hookspecs(hookspecs)
        return self._pm

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

    # -- loading -------------------------------------------------------------------------------
    def load_all(self) -> None:
        """Import every plugin that is not disabled, then order them and check requirements."""
        for record in list(self.records.values()):
            if record.state is PluginState.DISCOVERED:
                self._load(record)
        for record in self._live_records():
            self._declare_hookspecs(record)
        for record in self._live_records():
            self._check_hooks(record)
        self.resolve()

    def load(self, name: str) -> bool:
        """Import one plugin while the studio runs (enabled live); True when it is usable."""
        record = self.records[name]
        record.state = PluginState.DISCOVERED
        record.reason = record.error = record.traceback = record.error_phase = ""
        if not self._requirements_met(record, before_import=True):
            return False
        self._load(record)
        if record.state is PluginState.LOADED:
            self._declare_hookspecs(record)
        if record.state is PluginState.LOADED:
            self._check_hooks(record)
        if record.state is PluginState.LOADED:
            self.resolve(new=name)
        return record.state is PluginState.LOADED

    def _load(self, record: PluginRecord) -> None:
        start = time.perf_counter()
        self._crash_guard.enter(record.name, "load")
        try:
            with self.acting_as(record.name):  # what the import subscribes is the plugin's
                if record.obj is None and record.entry_point is not None:
                    record.obj = record.entry_point.load()
                elif record.obj is None:
                    record.obj = importlib.import_module(record.module)
            record.requires = _declared_names(record.obj, "REQUIRES")
            record.optional = _declared_names(record.obj, "OPTIONAL")
            self.pm.register(record.obj, name=record.name)
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
            self.bus.publish(PluginChanged(name=record.name, state=str(record.state)))
        finally:
            self._crash_guard.exit()
            record.load_ms += (time.perf_counter() - start) * 1000

    # -- dependencies --------------------------------------------------------------------------
    def resolve(self, new: str | None = None) -> None:
        """Order live plugins by dependency; error cycles; disable unmet requirements.

        ``new``: the one plugin enabled while the studio runs; a cycle it closes errors only it.
        """
        from studio.core.plugin_graph import dependency_order, describe_cycle

        names = [key for key, r in self.records.items() if r.name == key and r.state.live]
        edges = {name: (*self.records[name].requires, *self.records[name].optional)
                 for name in names}
        order, cycles = dependency_order(names, edges)
        for cycle in cycles:
            text = f"dependency cycle: {describe_cycle(cycle)}"
            members = [new] if new in cycle else dict.fromkeys(cycle)
            for name in members:
                self._mark_errored(self.records[name], "load", _DependencyCycle(text))
        if any(new in cycle for cycle in cycles):
            order, _ = dependency_order([n for n in names if n != new], edges)
        for name in order:
            self._requirements_met(self.records[name])
        known = set(order)
        self.order = [*order, *(n for n in self.order if n not in known)]

    def _requirements_met(self, record: PluginRecord, *, before_import: bool = False) -> bool:
        """Disable ``record`` (with the reason) when one of its REQUIRES is not live."""
        if not (record.state.live or before_import):
            return False
        for name in record.requires:
            why = self._unavailable_because(name)
            if why:
                self._disable_for_requirement(record, f"requires {name}, which {why}")
                return False
        return True

    def _unavailable_because(self, name: str) -> str:
        required = self.records.get(name)
        if required is None:
            return "is not installed"
        if required.state is PluginState.ERRORED:
            return _failure_text(required)
        if required.state is PluginState.DISABLED:
            return "is disabled"
        return ""

    def _disable_for_requirement(self, record: PluginRecord, reason: str) -> None:
        was_live = record.state.live
        record.state = PluginState.DISABLED
        record.reason = reason
        if was_live:
            self._tear_down(record, "is disabled")
        else:
            self.bus.publish(PluginChanged(name=record.name, state=str(record.state)))

    def dependents(self, name: str) -> list[str]:
        """Plugins that list ``name`` in REQUIRES, in activation order."""
        return [key for key in self._ordered_keys() if name in self.records[key].requires]

    # -- calling hooks ----------------------------------------------------------------------------
    studio: Any = None  # the Studio these plugins serve; set by Studio, passed to register hooks

    def call_register(
        self,
        hook_name: str,
        sink: Callable[[str, Any], None],
        phase: str = "activate",
        only: Iterable[str] | None = None,
    ) -> None:
        """Call ``hook_name(register)`` on each live plugin with ``register`` bound to it.

        ``sink(plugin_name, spec)`` stores a contribution; if it raises (a duplicate id, an
        invalid spec) the contributing plugin is marked errored and torn down. ``only`` limits
        the call to some plugins (one enabled while the studio runs).
        """
        for record in self._live_records(only):

            def register(spec: Any, _record: PluginRecord = record) -> None:
                sink(_record.name, spec)

            arguments = {"register": register, "studio": self.studio}
            self._call_impl(record, hook_name, arguments, phase)

    def call_hook(
        self,
        hook_name: str,
        phase: str | None = None,
        only: Iterable[str] | None = None,
        **kwargs: Any,
    ) -> None:
        """Call a lifecycle hook (``studio_startup``…) on each live plugin, guarded."""
        for record in self._live_records(only):
            self._call_impl(record, hook_name, kwargs, phase or _PHASE_OF_HOOK.get(hook_name,
                                                                                  hook_name))

    def start(self, only: Iterable[str] | None = None) -> None:
        """Mark registered plugins active and run their ``studio_startup`` in dependency order."""
        for record in self._live_records(only):
            if record.state is PluginState.LOADED:
                record.state = PluginState.ACTIVE
                self.bus.publish(PluginChanged(name=record.name, state=str(record.state)))
        for record in self._live_records(only):
            if record.state.live and not record.started:
                record.started = True
                self._call_impl(record, "studio_startup", {"studio": self.studio}, "startup")

    def stop(self, only: Iterable[str] | None = None) -> None:
        """Run ``studio_shutdown`` of started plugins, dependents first; failures are warnings."""
        for record in reversed(self._live_records(only)):
            self._stop(record)

    def _stop(self, record: PluginRecord) -> None:
        if not record.started:
            return
        record.started = False
        try:
            with self.acting_as(record.name):
                self._call_function_impls(record, "studio_shutdown", {"studio": self.studio})
        except Exception as exc:
            record.warnings.append(f"studio_shutdown failed: {type(exc).__name__}: {exc}")
            log.exception("studio_shutdown of plugin %s failed", record.name)

    @contextlib.contextmanager
    def acting_as(self, plugin: str) -> Any:
        """Attribute what runs inside (bus subscriptions, errors) to ``plugin``."""
        previous = getattr(self._acting, "name", None)
        self._acting.name = plugin
        try:
            yield
        finally:
            self._acting.name = previous

    @property
    def acting(self) -> str | None:
        """The plugin whose code runs now in this thread, if any."""
        return getattr(self._acting, "name", None)

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
        if not record.state.live or not self._implements(record, hook_name):
            return
        start = time.perf_counter()
        self._crash_guard.enter(record.name, phase)
        try:
            with self.acting_as(record.name):
                self._call_function_impls(record, hook_name, kwargs)
        except Exception as exc:
            self._mark_errored(record, f"{phase}: {hook_name}", exc)
        finally:
            self._crash_guard.exit()
            record.activate_ms += (time.perf_counter() - start) * 1000

    def _call_function_impls(
        self, record: PluginRecord, hook_name: str, kwargs: dict[str, Any]
    ) -> None:
        hook = getattr(self.pm.hook, hook_name, None)
        for impl in hook.get_hookimpls() if hook is not None else ():
            if impl.plugin is not record.obj:
                continue
            if impl.hookwrapper or impl.wrapper:
                record.warnings.append(f"{hook_name}: hook wrappers are not supported")
                continue
            missing = [name for name in impl.argnames if name not in kwargs]
            if missing:
                raise TypeError(f"{hook_name} offers {', '.join(kwargs)}; the implementation "
                                f"asks for {', '.join(missing)}")
            impl.function(*[kwargs[name] for name in impl.argnames])

    def _implements(self, record: PluginRecord, hook_name: str) -> bool:
        hook = getattr(self.pm.hook, hook_name, None)
        return hook is not None and any(i.plugin is record.obj for i in hook.get_hookimpls())

    def implemented_hooks(self, name: str) -> list[str]:
        """Names of the hooks plugin ``name`` implements (empty when it is not registered)."""
        record = self.records[name]
        if record.obj is None or not self.pm.is_registered(record.obj):
            return []
        return [caller.name for caller in self.pm.get_hookcallers(record.obj) or []]

    def _ordered_keys(self) -> list[str]:
        known = [name for name in self.order if name in self.records]
        return [*known, *(k for k in self.records if k not in set(known))]

    def _live_records(self, only: Iterable[str] | None = None) -> list[PluginRecord]:
        wanted = None if only is None else set(only)
        return [
            self.records[key]
            for key in self._ordered_keys()
            if self.records[key].state.live and (wanted is None or key in wanted)
        ]

    def _is_live(self, name: str) -> bool:
        record = self.records.get(name)
        return record is not None and record.state.live

    # -- errors and teardown -------------------------------------------------------------------
    def on_teardown(self, listener: TeardownListener) -> Callable[[], None]:
        """Call ``listener(plugin_name)`` whenever a plugin is torn down; returns a remover.

        A plugin is torn down when it becomes errored at any phase, when a plugin it requires
        does, and when it is disabled while the studio runs. Listeners release what the plugin
        owns (the studio's registries, jobs, processes); one that raises is logged and the
        others still run.
        """
        self._teardown_listeners.append(listener)

        def remove() -> None:
            if listener in self._teardown_listeners:
                self._teardown_listeners.remove(listener)

        return remove

    def disable(self, name: str, reason: str = "disabled by you") -> list[str]:
        """Stop and tear down a live plugin (and its dependents); return every name disabled."""
        record = self.records[name]
        if record.essential:
            raise ValueError(f"plugin {name!r} is essential and cannot be disabled")
        if not record.state.live:
            record.state, record.reason = PluginState.DISABLED, reason
            self.bus.publish(PluginChanged(name=record.name, state=str(record.state)))
            return [name]
        affected = self._live_dependent_closure(name)
        record.state, record.reason = PluginState.DISABLED, reason
        self._tear_down(record, "is disabled")
        return [name, *affected]

    def _live_dependent_closure(self, name: str) -> list[str]:
        found: list[str] = []
        pending = [name]
        while pending:
            current = pending.pop()
            for key in self.dependents(current):
                if key not in found and self.records[key].state.live:
                    found.append(key)
                    pending.append(key)
        return found

    def _mark_errored(self, record: PluginRecord, phase: str, exc: BaseException) -> None:
        record.state = PluginState.ERRORED
        record.error_phase = phase
        record.error = f"{type(exc).__name__}: {exc}"
        record.traceback = "" if isinstance(exc, _DependencyCycle) else "".join(
            traceback.format_exception(exc))
        log.error("plugin %s failed during %s: %s", record.name, phase, record.error)
        # Even a failed import may have subscribed or started something: release it all.
        self._tear_down(record, _failure_text(record))

    def _tear_down(self, record: PluginRecord, why: str) -> None:
        """Release ``record`` after its dependents (disabled: ``requires <it>, which <why>``)."""
        for key in reversed(self.dependents(record.name)):
            dependent = self.records[key]
            if dependent.state.live:
                dependent.state = PluginState.DISABLED
                dependent.reason = f"requires {record.name}, which {why}"
                self._tear_down(dependent, "is disabled")
        if record.state is not PluginState.ERRORED:
            self._stop(record)
        record.started = False
        if record.obj is not None and self._pm is not None and self.pm.is_registered(record.obj):
            self.pm.unregister(record.obj)
        for hook_name, table in list(self._tables.items()):
            if table.owner == record.name:
                del self._tables[hook_name]
                table.close()
            elif table.remove_plugin(record.name):
                table.changed()
        for listener in list(self._teardown_listeners):
            try:
                listener(record.name)
            except Exception:
                log.exception("teardown listener %r failed for plugin %s", listener, record.name)
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
        """Persist the user's choice (the studio applies it live where it can)."""
        if self.user_choices is None:
            raise RuntimeError("this plugin manager has no user choices file")
        if name not in self.records:
            raise KeyError(f"unknown plugin {name!r}")
        if not enabled and self.records[name].essential:
            raise ValueError(f"plugin {name!r} is essential and cannot be disabled")
        self.user_choices.set_enabled(name, enabled)

    def close_guard(self) -> None:
        """Start-up is over: remove the crash-guard file (end of ``Studio.start``)."""
        self._crash_guard.close()

    def records_sorted(self) -> list[PluginRecord]:
        order = {"built-in": 0, "entry point": 1, "test": 2}
        return sorted(self.records.values(), key=lambda r: (order.get(r.source, 3), r.name))


class _DependencyCycle(Exception):
    """Plugins that require each other in a circle: none of them can be activated first."""


def _failure_text(record: PluginRecord) -> str:
    if not record.error_phase or record.error_phase.startswith("load"):
        return "failed to load"
    return f"failed ({record.error_phase})"


def _declared_names(obj: Any, attribute: str) -> tuple[str, ...]:
    """A plugin's ``REQUIRES``/``OPTIONAL``: a tuple of plugin names (TypeError otherwise)."""
    value = getattr(obj, attribute, ())
    if isinstance(value, str) or not isinstance(value, (tuple, list, frozenset, set)):
        raise TypeError(f"{attribute} must be a tuple of plugin names, e.g. ('models',); "
                        f"got {value!r}")
    if not all(isinstance(name, str) and name for name in value):
        raise TypeError(f"{attribute} must hold plugin names (non-empty strings); got {value!r}")
    return tuple(value)


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

