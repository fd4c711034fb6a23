"""Every hook of HAFS Studio, in one place.

A plugin is a module (or object) with functions decorated by :data:`hookimpl` whose names are
listed here. Registration hooks receive a ``register`` callable already bound to the calling
plugin (call it once per contribution) and the core ``studio`` (for handlers that need its
services); an implementation may accept only the arguments it uses, e.g. just ``register``.
The studio calls each plugin's implementation on its own, inside a guard, so a plugin that
raises is marked Errored and the others are unaffected.

Order of a start: discovery → each plugin's module is imported (load) and may declare hooks of
its own (``studio_add_hookspecs``) → plugins are ordered by their ``REQUIRES``/``OPTIONAL`` →
the ``studio_register_*`` hooks run (activation) → ``studio_startup`` → the GUI or the CLI
runs → ``studio_shutdown``. Hooks declared by plugins (``studio_register_model_actions``…) are
documented beside their owner, e.g. ``studio/plugins/models/hookspecs.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from studio.core.app import Studio
    from studio.core.contributions import (
        CliCommandSpec,
        CommandSpec,
        DashboardCardSpec,
        SettingsSectionSpec,
        ThemeSpec,
        ViewSpec,
    )
    from studio.core.tools import ToolSpec

PROJECT = "hafs_studio"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def studio_add_hookspecs(add: Callable[[Any], None]) -> None:
    """Declare hooks this plugin owns: ``add(module)`` with the module of its ``@hookspec``s.

    Called once when the plugin is loaded (like pytest's ``pytest_addhooks``), before any
    registration hook. Collect what other plugins contribute with
    ``studio.plugins.collect(hook_name, SpecType)``, typically in ``studio_startup``.
    """


@hookspec
def studio_register_views(register: Callable[[ViewSpec], None], studio: Studio) -> None:
    """Register dockable views (once per start, before the main window is built).

    Views are created lazily: the factory runs the first time the view is shown.
    """


@hookspec
def studio_register_commands(register: Callable[[CommandSpec], None], studio: Studio) -> None:
    """Register commands for menus, toolbar, shortcuts and the command palette (once per start)."""


@hookspec
def studio_register_settings(
    register: Callable[[SettingsSectionSpec], None], studio: Studio
) -> None:
    """Register typed settings sections; each becomes a page of the Preferences dialog."""


@hookspec
def studio_register_themes(register: Callable[[ThemeSpec], None], studio: Studio) -> None:
    """Register colour themes (token sets); the built-in themes use this hook too."""


@hookspec
def studio_register_dashboard_cards(
    register: Callable[[DashboardCardSpec], None], studio: Studio
) -> None:
    """Register cards for the Dashboard grid (called when the dashboard is first built)."""


@hookspec
def studio_register_cli(register: Callable[[CliCommandSpec], None], studio: Studio) -> None:
    """Register ``hafs-studio <name>`` subcommand groups (Typer apps), when the CLI starts."""


@hookspec
def studio_register_tools(register: Callable[[ToolSpec], None], studio: Studio) -> None:
    """Register external programs the plugin drives (once per start, before ``studio_startup``).

    Each :class:`~studio.core.tools.ToolSpec` joins the bundled ``third_party/tools.toml``
    entries in ``studio.services.tools``: located the same way (the user's path setting, the
    spec's search folders, PATH), listed by ``hafs-studio doctor``, its ``without`` text shown
    when it is missing. Tool ids are unique across the manifest and every plugin.
    """


@hookspec
def studio_populate_sample_workspace(root: Path, report: Callable[[str], None]) -> None:
    """Fill a new sample context root with example content ("Create sample workspace").

    Called after the hafs folder skeleton exists under ``root``; ``report(message)`` adds a line
    to what the user is shown. Write only below ``root``.
    """


@hookspec
def studio_startup(studio: Studio) -> None:
    """The studio is ready: every registration is done and the core services run.

    Called once, in the GUI and in the CLI, before the main window is shown or the command runs.
    Subscribe to bus topics and start background services here.
    """


@hookspec
def studio_shutdown(studio: Studio) -> None:
    """The studio is closing: stop threads, flush files. Called once, after the last window."""


def hook_names() -> list[str]:
    """Names of every hook declared in this module."""
    return [name for name, value in globals().items() if _is_hookspec(name, value)]


def _is_hookspec(name: str, value: Any) -> bool:
    return name.startswith("studio_") and hasattr(value, f"{PROJECT}_spec")
