"""The Logs plugin's hook implementations: the Logs workspace's views, commands, CLI, service.

Nothing here imports Qt (the CLI loads this module too): widgets are imported by the view
factories, and command handlers reach the GUI only when they run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from studio import hookimpl
from studio.api import (
    CliCommandSpec,
    CommandSpec,
    SettingField,
    SettingsSectionSpec,
    ViewSpec,
)
from studio.shell.api import lazy_widget

if TYPE_CHECKING:
    from studio.api import Studio

SERVICE = "logs"  # the name of the plugin's service (api.SERVICE); importing api here
# would load NumPy with every studio start, CLI included
VIEWER = "logs.viewer"
FILES = "logs.files"
SETTINGS = "logs"


def _view(module: str, cls: str) -> Callable[[Any], Any]:
    return lazy_widget(f"studio.plugins.logs.widgets.{module}", cls)


@hookimpl
def studio_register_views(register: Callable[[ViewSpec], None]) -> None:
    register(ViewSpec(VIEWER, "Logs", _view("logs_view", "LogsView"),
                      "mdi6.text-box-search-outline", "left", ("logs",),
                      "Log files as tabs: search, filter, levels, follow"))
    register(ViewSpec(FILES, "Log Files", _view("files_view", "LogFilesView"),
                      "mdi6.file-clock-outline", "right", ("logs",),
                      "Recent logs, bookmarks of the current log, formats"))


def _on_view(studio: Studio, method: str) -> Callable[[], Any]:
    def handler() -> Any:
        from studio.plugins.logs.widgets.logs_view import run_on_active_view

        return run_on_active_view(studio, method)

    return handler


@hookimpl
def studio_register_commands(register: Callable[[CommandSpec], None], studio: Studio) -> None:
    def add(  # noqa: PLR0917 - a compact table of commands reads best positionally
            command_id: str, title: str, method: str, icon: str, shortcut: str | None = None,
            description: str = "") -> None:
        register(CommandSpec(f"logs.{command_id}", title, _on_view(studio, method), shortcut,
                             "Logs", icon, "Logs", description=description))

    add("open", "Open Log…", "open_file_dialog", "mdi6.folder-open-outline", "Ctrl+Shift+L",
        "Open a log file in the Logs workspace")
    add("open-remote", "Open Remote Log…", "open_remote_dialog", "mdi6.server-network",
        description="Open and follow a log on an SSH host (sync.toml / nodes.toml)")
    add("find", "Find in Log", "focus_search", "mdi6.magnify",
        description="Search the current log (Ctrl+F in the log)")
    add("go-to-line", "Go to Line…", "go_to_line_dialog", "mdi6.format-list-numbered",
        description="Jump to a line of the current log (Ctrl+G in the log)")
    add("go-to-time", "Go to Time…", "go_to_time_dialog", "mdi6.clock-outline",
        description="Jump to the first line at or after a time (Ctrl+T in the log)")
    add("follow", "Follow Log", "toggle_follow", "mdi6.arrow-collapse-down",
        description="Stay at the end while the file grows, like tail -F (End in the log)")
    add("bookmark", "Toggle Bookmark", "toggle_bookmark", "mdi6.bookmark-outline",
        description="Bookmark the current line (Ctrl+B in the log)")


@hookimpl
def studio_register_settings(register: Callable[[SettingsSectionSpec], None]) -> None:
    register(SettingsSectionSpec(SETTINGS, "Logs", (
        SettingField("follow_new", "bool", False, "Follow logs when opened",
                     "Open logs at their end and stay there while they grow (tail -F)."),
        SettingField("font_size", "int", 10, "Font size", "Points, for the log text.",
                     minimum=6, maximum=32),
    ), "The log viewer: following and text."))


@hookimpl
def studio_register_cli(register: Callable[[CliCommandSpec], None]) -> None:
    from studio.plugins.logs.cli import app

    register(CliCommandSpec("logs", app, "Logs: open a log in the studio, or search one "
                            "like grep."))


@hookimpl
def studio_add_hookspecs(add: Callable[[Any], None]) -> None:
    from studio.plugins.logs import hookspecs

    add(hookspecs)


@hookimpl
def studio_register_log_formats(register: Callable[[Any], None]) -> None:
    """The built-in formats, contributed like any plugin's (called on the Logs service's first
    use of formats, not at start-up: building them loads the native kernels)."""
    import dataclasses

    from studio.plugins.logs.builtin_formats import BUILTIN_FORMATS

    for fmt in BUILTIN_FORMATS:
        register(dataclasses.replace(fmt))  # a copy: the table stamps it with the plugin


@hookimpl
def studio_startup(studio: Studio) -> None:
    from studio.plugins.logs.service import LogsService

    service = LogsService(studio)  # closed by the studio when the plugin is torn down
    studio.services.provide(SERVICE, service, owner="logs")
    service.subscriptions.append(
        studio.bus.subscribe("logs.open", _show_logs, owner="logs", thread="main"))


def _show_logs(event: Any) -> None:
    """Bring the Logs workspace forward when another plugin opens a log (GUI only)."""
    from studio.shell.api import current_shell

    shell = current_shell()
    window = shell.active_window() if shell is not None else None
    if window is None:
        return
    window.switch_workspace("logs")
    window.show_view(VIEWER)
