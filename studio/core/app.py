"""The Qt-free studio: core services wired together and the plugin lifecycle driven.

One :class:`Studio` exists per process, in the GUI and in the CLI alike. The shell wraps it with
windows; the CLI uses it as is. Tests build one with :func:`studio.testing.make_studio`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

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
from studio.core.plugins import BUILTIN_PLUGINS, PluginManager, UserPluginChoices
from studio.core.process import ProcessManager
from studio.core.remote_manager import RemoteManager
from studio.core.services import Services
from studio.core.settings import SettingsStore
from studio.core.tools import ToolRegistry, ToolSpec

__all__ = ["Contributions", "Studio"]

log = logging.getLogger(__name__)


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
        self.commands = CommandRegistry(self.bus)
        self.jobs = JobRunner(self.bus, max_workers=job_workers or min(4, os.cpu_count() or 2))
        self.watcher = FileWatcher(bus=self.bus, owner_of=self._acting_plugin)
        self.services = Services()
        self.services.process = ProcessManager(
            self.paths.state, bus=self.bus, owner_of=self._acting_plugin
        )
        self.services.remote = RemoteManager(self.bus, environ=env)
        self.services.tools = ToolRegistry(
            overrides=self.paths.config / "tools.toml", setting_value=self.settings.get
        )
        self.contributions = Contributions()
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
        self.jobs.attribute_to_plugins(self.plugins.owner_of, self.plugins.acting_as)
        self.started = False

    def _acting_plugin(self) -> str:
        """The plugin whose code runs on this thread now ("studio" when none)."""
        plugins = getattr(self, "plugins", None)
        return plugins.owner_of(None) if plugins is not None else "studio"

    def start(self) -> Studio:
        """Discover, load and activate plugins, then run ``studio_startup``."""
        plugins = self.plugins
        plugins.discover()
        plugins.load_all()
        table = self.contributions
        # Themes first: settings sections may offer the registered themes as choices.
        plugins.call_register(
            "studio_register_themes", lambda p, s: table.add(table.themes, "theme", ThemeSpec, p, s)
        )
        plugins.call_register(
            "studio_register_settings",
            lambda p, s: self.settings.register_section(_stamp(s, SettingsSectionSpec, p)),
        )
        plugins.call_register(
            "studio_register_commands", lambda p, s: self.commands.add(_stamp(s, CommandSpec, p))
        )
        plugins.call_register(
            "studio_register_views", lambda p, s: table.add(table.views, "view", ViewSpec, p, s)
        )
        plugins.call_register(
            "studio_register_dashboard_cards",
            lambda p, s: table.add(table.cards, "dashboard card", DashboardCardSpec, p, s),
        )
        plugins.call_register(
            "studio_register_tools",
            lambda p, s: self.services.tools.register(_stamp(s, ToolSpec, p)),
        )
        self._drop_contributions_of_errored_plugins()
        self.commands.load_keybindings(self.paths.keybindings_file)
        plugins.mark_active()
        plugins.call_hook("studio_startup", studio=self)
        plugins.close_guard()
        self.started = True
        return self

    def register_cli(self) -> dict[str, CliCommandSpec]:
        """Collect plugin CLI subcommands (only the CLI pays for this)."""
        table = self.contributions
        self.plugins.call_register(
            "studio_register_cli",
            lambda p, s: table.add(table.cli, "CLI command", CliCommandSpec, p, s),
        )
        self._drop_contributions_of_errored_plugins()
        return table.cli

    def shutdown(self) -> None:
        """Run ``studio_shutdown``; stop jobs, managed processes, SSH connections, the watcher.

        Nothing the studio started keeps running afterwards.
        """
        if self.started:
            self.plugins.call_hook("studio_shutdown", studio=self)
            self.started = False
        self.jobs.shutdown(wait=False)
        self.services.process.shutdown()
        self.services.remote.shutdown()
        self.watcher.stop()

    def _drop_contributions_of_errored_plugins(self) -> None:
        # A plugin that failed half-way must not leave half its commands and views behind.
        for record in self.plugins.records.values():
            if record.state.value == "errored":
                self.contributions.remove_plugin(record.name)
                self.commands.remove_plugin(record.name)
                self.services.tools.remove_plugin(record.name)
