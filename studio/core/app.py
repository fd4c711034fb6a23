"""The Qt-free studio: core services wired together and the plugin lifecycle driven.

One :class:`Studio` exists per process, in the GUI and in the CLI alike. The shell wraps it with
windows; the CLI uses it as is. Tests build one with :func:`studio.testing.make_studio`.

Everything a plugin contributes lives in a registry of this object (views, cards, themes and
CLI groups in :attr:`Studio.contributions`, commands, settings sections, bus subscriptions,
services), stamped with the plugin's name, so one teardown listener releases all of it when the
plugin is torn down, and a plugin can be enabled or disabled while the studio runs.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from studio.core.commands import CommandRegistry
from studio.core.context import ContextRoot, resolve_context_root
from studio.core.contributions import (
    CliCommandSpec,
    CommandSpec,
    DashboardCardSpec,
    SettingsSectionSpec,
    ThemeSpec,
    ViewSpec,
)
from studio.core.events import EventBus
from studio.core.filewatch import FileWatcher
from studio.core.jobs import JobRunner
from studio.core.paths import StudioPaths, studio_paths
from studio.core.plugin_index import (
    INDEX_FILE,
    build_index,
    fingerprint,
    is_placeholder,
    load_index,
    placeholder_command,
    placeholder_view,
    save_index,
    theme_specs,
)
from studio.core.plugin_records import ContributionsChanged, PluginState
from studio.core.plugins import BUILTIN_PLUGINS, PluginManager, UserPluginChoices
from studio.core.selection import Selection
from studio.core.services import Services
from studio.core.settings import SettingsStore
from studio.core.shell_settings import appearance_section, general_section

if TYPE_CHECKING:
    from studio.core.process import ProcessManager
    from studio.core.remote_manager import RemoteManager
    from studio.core.tools import ToolRegistry

__all__ = ["LIVE_HOOKS", "Contributions", "PluginToggle", "Studio"]

# Core hooks whose contributions the studio can add and withdraw while it runs. A plugin
# implementing any other core hook is enabled or disabled at the next start instead: themes
# (the Appearance settings offer the themes registered at start-up) and hooks a service only
# reads once. Plugin-declared hooks are always live (their tables grow and shrink).
LIVE_HOOKS = frozenset({
    "studio_add_hookspecs",
    "studio_register_views",
    "studio_register_commands",
    "studio_register_settings",
    "studio_register_dashboard_cards",
    "studio_register_cli",
    "studio_populate_sample_workspace",
    "studio_startup",
    "studio_shutdown",
})

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PluginToggle:
    """What enabling or disabling a plugin did: ``applied`` now, or only at the next start."""

    name: str
    enabled: bool
    applied: bool
    affected: tuple[str, ...] = ()  # dependents disabled or re-enabled along with it
    restart_reason: str = ""  # why it waits for the next start


class Contributions:
    """Every contribution by id, each stamped with the plugin that registered it."""

    def __init__(self) -> None:
        self.views: dict[str, ViewSpec] = {}
        self.themes: dict[str, ThemeSpec] = {}
        self.cards: dict[str, DashboardCardSpec] = {}
        self.cli: dict[str, CliCommandSpec] = {}

    @staticmethod
    def add(table: dict[str, Any], kind: str, expected: type, plugin: str, spec: Any) -> None:
        """Check and stamp ``spec``, then file it under its id (or name) in ``table``."""
        _stamp(spec, expected, plugin)
        key = getattr(spec, "id", None) or spec.name
        if key in table:
            raise ValueError(
                f"{kind} {key!r} is already registered by plugin {table[key].plugin!r}"
            )
        table[key] = spec

    def remove_plugin(self, plugin: str) -> None:
        for table in (self.views, self.themes, self.cards, self.cli):
            for key in [k for k, spec in table.items() if spec.plugin == plugin]:
                del table[key]


def _stamp(spec: Any, expected: type, plugin: str) -> Any:
    """Check the spec's type and record the plugin that registered it."""
    if not isinstance(spec, expected):
        raise TypeError(f"expected a {expected.__name__}, got {type(spec).__name__}")
    object.__setattr__(spec, "plugin", plugin)
    return spec


class Studio:
    """Core services and the plugin manager: :meth:`start` them, then :meth:`shutdown`."""

    def __init__(
        self,
        *,
        context: ContextRoot | None = None,
        paths: StudioPaths | None = None,
        safe_mode: bool = False,
        builtins: Sequence[tuple[str, str]] = BUILTIN_PLUGINS,
        load_entry_points: bool = True,
        extra_plugins: Sequence[tuple[str, Any]] = (),
        environ: dict[str, str] | None = None,
        job_workers: int | None = None,
    ) -> None:
        env = os.environ if environ is None else environ
        self.paths = (paths or studio_paths(env)).ensure()
        self.context = context or resolve_context_root(environ=env)
        self.bus = EventBus()
        self.settings = SettingsStore(self.paths.settings_file, self.bus)
        self.selection = Selection(self.bus)
        self.commands = CommandRegistry(self.bus, self.selection)
        self.commands.studio = self
        self.jobs = JobRunner(self.bus, max_workers=job_workers or min(4, os.cpu_count() or 2))
        self.watcher = FileWatcher(bus=self.bus, owner_of=self._acting_plugin)
        # Built on first use (after the first frame): see _process_manager and the others.
        self.services = Services()
        self.services.declare("process", self._process_manager)
        remote_environ = dict(env)  # the environment as the studio started, as before
        self.services.declare("remote", lambda: self._remote_manager(remote_environ))
        self.services.declare("tools", self._tool_registry)
        self.contributions = Contributions()
        self.live_hooks: set[str] = set(LIVE_HOOKS)
        self.plugins = PluginManager(
            self.bus,
            guard_file=self.paths.plugin_guard_file,
            user_choices=UserPluginChoices(self.paths.config / "plugins.json"),
            builtins=builtins,
            load_entry_points=load_entry_points,
            safe_mode=safe_mode,
            environ=env,
            extra_plugins=extra_plugins,
        )
        self.plugins.studio = self
        self.plugins.on_teardown(self._release)
        self.settings.register_section(general_section())
        self.jobs.attribute_to_plugins(self.plugins.owner_of, self.plugins.acting_as)
        self.started = False
        self.first_frame = False  # painted from the plugin index; plugins not imported yet
        # The plugin index describes built-ins and installed plugins only, never test plugins.
        self._indexable = not extra_plugins
        self._index_key = (tuple(builtins), load_entry_points)

    def _process_manager(self) -> ProcessManager:
        from studio.core.process import ProcessManager

        return ProcessManager(self.paths.state, bus=self.bus, owner_of=self._acting_plugin)

    def _remote_manager(self, environ: dict[str, str]) -> RemoteManager:
        from studio.core.remote_manager import RemoteManager

        return RemoteManager(self.bus, environ=environ)

    def _tool_registry(self) -> ToolRegistry:
        from studio.core.tools import ToolRegistry

        return ToolRegistry(overrides=self.paths.config / "tools.toml",
                            setting_value=self.settings.get)

    def _acting_plugin(self) -> str:
        """The plugin whose code runs on this thread now ("studio" when none)."""
        plugins = getattr(self, "plugins", None)
        return plugins.owner_of(None) if plugins is not None else "studio"

    # -- start-up ------------------------------------------------------------------------------
    def start(self) -> Studio:
        """Discover, load and activate plugins in dependency order, then run ``studio_startup``."""
        plugins = self.plugins
        plugins.discover()
        plugins.load_all()
        self._activate()
        self.commands.load_keybindings(self.paths.keybindings_file)
        plugins.start()
        plugins.close_guard()
        self.started = True
        if self._indexable:
            key = fingerprint(*self._index_key)
            save_index(self.paths.cache / INDEX_FILE, build_index(self, key))
        return self

    def start_first_frame(self) -> bool:
        """Prepare the window's first frame from the cached plugin index; import nothing.

        Records, the views' docks (placeholders), toolbar commands and themes come from the
        index of the last complete start (:mod:`studio.core.plugin_index`). Returns False when
        there is no valid index (first start, something installed or upgraded): then call
        :meth:`start`. Otherwise show the window and call :meth:`finish_start` after its first
        paint.
        """
        if not self._indexable:
            return False
        index = load_index(self.paths.cache / INDEX_FILE, fingerprint(*self._index_key))
        if index is None:
            return False
        self.plugins.discover_indexed(index["plugins"])
        enabled = {r.name for r in self.plugins.records.values()
                   if r.state is PluginState.DISCOVERED}
        for theme in theme_specs(index):
            if theme.plugin in enabled:
                self.contributions.themes[theme.id] = theme
        self._register_appearance()
        for data in index["views"]:
            if data.get("plugin") in enabled:
                view = placeholder_view(data)
                self.contributions.views[view.id] = view
        for data in index["commands"]:
            if data.get("plugin") in enabled:
                self.commands.add(placeholder_command(data))
        self.first_frame = True
        return True

    def finish_start(self) -> Studio:
        """Import, activate and start the plugins after :meth:`start_first_frame`'s window
        painted; the placeholders give way to the real views and commands (the windows follow
        the :class:`ContributionsChanged` published here)."""
        if not self.first_frame:
            return self if self.started else self.start()
        for table in (self.contributions.views, self.contributions.themes):
            table.clear()
        for command_id in [c.id for c in self.commands.all() if is_placeholder(c)]:
            self.commands.remove(command_id)
        self.plugins.records.clear()
        self.start()
        self.first_frame = False
        self.bus.publish(ContributionsChanged(plugin="", added=True))
        return self

    def _register_appearance(self) -> None:
        # Its theme choices are the registered themes: registered again once they are known.
        self.settings.register_section(appearance_section(self.contributions.themes),
                                       replace=True)

    def _activate(self, only: Iterable[str] | None = None) -> None:
        """Run the registration hooks (of ``only`` or of every live plugin)."""
        plugins, table = self.plugins, self.contributions
        names = None if only is None else list(only)
        # Themes first: settings sections may offer the registered themes as choices.
        sinks: list[tuple[str, Callable[[str, Any], None]]] = [
            ("studio_register_themes",
             lambda p, s: table.add(table.themes, "theme", ThemeSpec, p, s)),
            ("studio_register_settings",
             lambda p, s: self.settings.register_section(_stamp(s, SettingsSectionSpec, p))),
            ("studio_register_commands",
             lambda p, s: self.commands.add(_stamp(s, CommandSpec, p))),
            ("studio_register_views",
             lambda p, s: table.add(table.views, "view", ViewSpec, p, s)),
            ("studio_register_dashboard_cards",
             lambda p, s: table.add(table.cards, "dashboard card", DashboardCardSpec, p, s)),
            ("studio_register_tools", self._register_tool),
        ]
        for hook_name, sink in sinks:
            plugins.call_register(hook_name, sink, only=names)
            if hook_name == "studio_register_themes" and names is None:
                self._register_appearance()

    def _register_tool(self, plugin: str, spec: Any) -> None:
        from studio.core.tools import ToolSpec

        self.services.tools.register(_stamp(spec, ToolSpec, plugin))

    def register_cli(self) -> dict[str, CliCommandSpec]:
        """Collect plugin CLI subcommands (only the CLI pays for this)."""
        table = self.contributions
        self.plugins.call_register(
            "studio_register_cli",
            lambda p, s: table.add(table.cli, "CLI command", CliCommandSpec, p, s),
        )
        return table.cli

    # -- enabling and disabling while running ---------------------------------------------------
    def restart_reason(self, name: str) -> str:
        """Why ``name`` cannot be switched while the studio runs ('' when it can)."""
        record = self.plugins.records[name]
        if record.obj is None:
            return ""  # never imported: its hooks are checked once it is
        declared = set(self.plugins.hook_owners())
        fixed = [hook for hook in self.plugins.implemented_hooks(name)
                 if hook not in self.live_hooks and hook not in declared]
        if not fixed:
            return ""
        return f"it contributes through {', '.join(sorted(fixed))}, read only at start-up"

    def enable_plugin(self, name: str, *, persist: bool = True) -> PluginToggle:
        """Enable ``name``: save the choice, then load, activate and start it now if possible.

        Plugins that were disabled only because they require ``name`` come back with it.
        """
        if persist:
            self.plugins.set_enabled(name, True)
        record = self.plugins.records[name]
        if record.state.live or not self.started:
            return PluginToggle(name, True, record.state.live)
        switch = self.plugins.switch_reason(name)
        if switch:
            return PluginToggle(name, True, False, restart_reason=f"it is {switch}")
        if not self.plugins.load(name):
            return PluginToggle(name, True, False)
        reason = self.restart_reason(name)
        if reason:
            self.plugins.disable(name, reason=f"enabled at the next start ({reason})")
            return PluginToggle(name, True, False, restart_reason=reason)
        self._start_live(name)
        affected = []
        for dependent in self.plugins.dependents(name):
            waiting = self.plugins.records[dependent]
            if waiting.state is PluginState.DISABLED and waiting.reason.startswith(
                    f"requires {name}, "):
                toggle = self.enable_plugin(dependent, persist=False)
                affected += [dependent, *toggle.affected] if toggle.applied else []
        return PluginToggle(name, True, self.plugins.records[name].state.live, tuple(affected))

    def _start_live(self, name: str) -> None:
        self._activate(only=[name])
        self.commands.load_keybindings(self.paths.keybindings_file)
        self.plugins.start(only=[name])
        self.plugins.contribute_to_tables(name)
        if self.plugins.records[name].state.live:
            self.bus.publish(ContributionsChanged(plugin=name, added=True))

    def disable_plugin(self, name: str, *, persist: bool = True) -> PluginToggle:
        """Disable ``name`` (and what requires it): save the choice, tear down now if possible."""
        if persist:
            self.plugins.set_enabled(name, False)
        record = self.plugins.records[name]
        if not record.state.live:
            return PluginToggle(name, False, True)
        reason = self.restart_reason(name)
        if reason:
            return PluginToggle(name, False, False, restart_reason=reason)
        affected = self.plugins.disable(name)
        return PluginToggle(name, False, True, tuple(affected[1:]))

    # -- teardown --------------------------------------------------------------------------------
    def _release(self, name: str) -> None:
        """Teardown listener: withdraw everything plugin ``name`` registered or provided."""
        self.contributions.remove_plugin(name)
        self.commands.remove_plugin(name)
        self.settings.remove_plugin(name)
        self.bus.unsubscribe_owner(name)
        for service in self.services.withdraw_owned(name):
            _close(service, name)
        services = self.services
        if (tools := services.built("tools")) is not None:
            tools.remove_plugin(name)
        # What runs on the plugin's behalf stops with it: its jobs, processes and watches.
        self.jobs.cancel_owned(name)
        if (process := services.built("process")) is not None:
            process.terminate_owned(name)
        self.watcher.cancel_owned(name)
        if self.started:
            self.bus.publish(ContributionsChanged(plugin=name, added=False))

    def shutdown(self) -> None:
        """Run ``studio_shutdown`` (dependents first), close services; stop jobs, managed
        processes, SSH connections and the watcher: nothing the studio started keeps running."""
        if self.started:
            self.plugins.stop()
            self.started = False
        for record in self.plugins.records.values():
            for service in self.services.withdraw_owned(record.name):
                _close(service, record.name)
        self.jobs.shutdown(wait=False)
        for name in ("process", "remote"):  # what was never used has nothing to stop
            if (service := self.services.built(name)) is not None:
                service.shutdown()
        self.watcher.stop()


def _close(service: Any, owner: str) -> None:
    close = getattr(service, "close", None)
    if callable(close):
        try:
            close()
        except Exception:
            log.exception("closing a service of plugin %s failed", owner)
