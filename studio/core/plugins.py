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
from studio.core.plugin_discovery import (
    ENTRY_POINT_GROUP,
    PluginDiscovery,
    split_names,
)
from studio.core.plugin_graph import (
    DependencyCycle,
    PluginDependencies,
    declared_names,
    failure_text,
)
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

# Built-in plugins: (name, module). They register exactly like third-party plugins.
BUILTIN_PLUGINS: tuple[tuple[str, str], ...] = (
    ("workbench", "studio.plugins.workbench.plugin"),
    ("themes", "studio.plugins.themes.plugin"),
    ("dashboard", "studio.plugins.dashboard.plugin"),
    ("jobs", "studio.plugins.jobs.plugin"),
    ("models", "studio.plugins.models.plugin"),
    ("logs", "studio.plugins.logs.plugin"),
    ("agents", "studio.plugins.agents.plugin"),
    ("deploy", "studio.plugins.deploy.plugin"),
    ("training", "studio.plugins.training.plugin"),
    ("data", "studio.plugins.data.plugin"),
    ("context", "studio.plugins.context.plugin"),
)

# The workbench owns the shell's own settings (appearance, general, tools) and the window's
# commands (palette, Preferences, Plugins…, workspaces, quit): without it the user could not
# even reach the Plugins dialog to turn it back on.
ESSENTIAL_PLUGINS: frozenset[str] = frozenset({"workbench"})

_PHASE_OF_HOOK = {"studio_startup": "startup", "studio_shutdown": "shutdown"}

TeardownListener = Callable[[str], None]


class PluginManager(PluginDiscovery, PluginDependencies, PluginHooks):
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
        self.allow = split_names(env.get("HAFS_STUDIO_PLUGINS"))
        self.deny = split_names(env.get("HAFS_STUDIO_DISABLE_PLUGINS")) or set()
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

    # -- loading -------------------------------------------------------------------------------
    def load_all(self) -> None:
        """Import every plugin that is not disabled, then order them and check requirements."""
        self.pm  # noqa: B018 - pluggy is imported here, not charged to the first plugin's load
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
            record.requires = declared_names(record.obj, "REQUIRES")
            record.optional = declared_names(record.obj, "OPTIONAL")
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

    def _mark_errored(self, record: PluginRecord, phase: str, exc: BaseException) -> None:
        record.state = PluginState.ERRORED
        record.error_phase = phase
        record.error = f"{type(exc).__name__}: {exc}"
        record.traceback = "" if isinstance(exc, DependencyCycle) else "".join(
            traceback.format_exception(exc))
        log.error("plugin %s failed during %s: %s", record.name, phase, record.error)
        # Even a failed import may have subscribed or started something: release it all.
        self._tear_down(record, failure_text(record))

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
