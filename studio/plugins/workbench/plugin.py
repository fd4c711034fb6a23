"""The workbench: window, workspace, dialog and session commands, the Messages view, the
external tools settings and ``hafs-studio sample``.

A built-in plugin with no back doors: it reaches the running GUI through
:func:`studio.shell.api.current_shell` like any third-party plugin would, and its commands are
disabled where there is no GUI (the CLI).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from studio import hookimpl
from studio.api import (
    WORKSPACES,
    CliCommandSpec,
    CommandSpec,
    SettingField,
    SettingsSectionSpec,
    ViewSpec,
)
from studio.plugins.workbench import actions


def _gui(method: str, *args: Any) -> Callable[[], Any]:
    """A handler calling ``method`` on the running shell (or its active window)."""

    def handler() -> Any:
        return actions.call_shell(method, *args)

    return handler


@hookimpl
def studio_register_commands(register: Callable[[CommandSpec], None]) -> None:
    has_gui = actions.has_gui
    gui = {"enabled_when": has_gui}
    register(
        CommandSpec(
            "workbench.palette",
            "Command Palette…",
            _gui("open_palette"),
            "Ctrl+Shift+P",
            "Help",
            "mdi6.console-line",
            "Tools",
            toolbar=True,
            description="Search and run any command",
            **gui,
        )
    )
    register(
        CommandSpec(
            "workbench.shortcuts",
            "Keyboard Shortcuts",
            _gui("open_cheatsheet"),
            "Ctrl+/",
            "Help",
            "mdi6.keyboard-outline",
            "Help",
            **gui,
        )
    )
    register(
        CommandSpec(
            "workbench.preferences",
            "Preferences…",
            _gui("open_preferences"),
            "Ctrl+,",
            "Tools",
            "mdi6.cog-outline",
            "Tools",
            **gui,
        )
    )
    register(
        CommandSpec(
            "workbench.plugins",
            "Plugins…",
            _gui("open_plugins_dialog"),
            None,
            "Tools",
            "mdi6.puzzle-outline",
            "Tools",
            **gui,
        )
    )
    register(
        CommandSpec(
            "workbench.new-window",
            "New Window",
            _gui("new_window"),
            "Ctrl+Shift+N",
            "Window",
            "mdi6.dock-window",
            "File",
            **gui,
        )
    )
    register(
        CommandSpec(
            "workbench.open-context",
            "Open Context Folder…",
            actions.open_context_folder,
            "Ctrl+O",
            "File",
            "mdi6.folder-open-outline",
            "File",
            **gui,
        )
    )
    register(
        CommandSpec(
            "workbench.create-sample",
            "Create Sample Workspace…",
            actions.create_sample_workspace,
            None,
            "File",
            "mdi6.folder-star-outline",
            "File",
            **gui,
        )
    )
    register(
        CommandSpec(
            "workbench.quit",
            "Quit",
            actions.quit_studio,
            "Ctrl+Q",
            "File",
            "mdi6.power",
            "File",
            **gui,
        )
    )
    register(
        CommandSpec(
            "workbench.reset-layout",
            "Reset Layout",
            _gui("active_window.reset_layout"),
            "Ctrl+Shift+Alt+R",
            "Window",
            "mdi6.view-compact-outline",
            "View",
            **gui,
        )
    )
    register(
        CommandSpec(
            "workbench.fullscreen",
            "Toggle Full Screen",
            actions.toggle_fullscreen,
            "F11",
            "Window",
            "mdi6.fullscreen",
            "View",
            **gui,
        )
    )
    register(
        CommandSpec(
            "workbench.theme.next",
            "Next Theme",
            actions.cycle_theme,
            "Ctrl+Shift+T",
            "Appearance",
            "mdi6.palette-outline",
            "View",
            **gui,
        )
    )
    for workspace in WORKSPACES:
        register(
            CommandSpec(
                f"workbench.workspace.{workspace.id}",
                f"Workspace: {workspace.title}",
                _gui("active_window.switch_workspace", workspace.id),
                workspace.shortcut,
                "Workspace",
                workspace.icon,
                "View/Workspace",
                **gui,
            )
        )


@hookimpl
def studio_register_cli(register: Callable[[CliCommandSpec], None]) -> None:
    from studio.plugins.workbench.cli import app

    register(CliCommandSpec("sample", app, "Create sample hafs data to explore the studio."))


@hookimpl
def studio_register_settings(register: Callable[[SettingsSectionSpec], None]) -> None:
    # The window's own appearance and general settings belong to the studio itself
    # (studio/core/shell_settings.py): the window reads them before any plugin is imported.
    # Explicit paths for the external programs of third_party/tools.toml; empty = search.
    register(
        SettingsSectionSpec(
            "tools",
            "External tools",
            (
                SettingField(
                    "llama_server",
                    "path",
                    "",
                    "llama-server",
                    "Path to llama.cpp's llama-server; empty searches ~/Code/llama.cpp and PATH.",
                ),
                SettingField(
                    "llama_quantize",
                    "path",
                    "",
                    "llama-quantize",
                    "Path to llama.cpp's llama-quantize.",
                ),
                SettingField(
                    "llama_cpp_dir",
                    "path",
                    "",
                    "llama.cpp checkout",
                    "Folder holding convert_hf_to_gguf.py (hafs default: ~/Code/llama.cpp).",
                ),
                SettingField("ollama", "path", "", "ollama", "Path to the ollama binary."),
            ),
            "Where the studio finds programs it drives. `hafs-studio doctor` shows what it found.",
        )
    )


@hookimpl
def studio_register_views(register: Callable[[ViewSpec], None]) -> None:
    register(
        ViewSpec(
            "workbench.messages",
            "Messages",
            _messages_view,
            "mdi6.message-alert-outline",
            "bottom",
            ("dashboard", "logs"),
            "Errors and warnings from plugins, settings, keybindings and commands",
        )
    )


def _messages_view(context: Any) -> Any:
    from studio.plugins.workbench.widgets.messages import MessagesView

    return MessagesView(context)
