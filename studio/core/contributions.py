"""What plugins contribute: views, commands, settings, themes, dashboard cards, CLI commands.

Each hook in :mod:`studio.core.hookspecs` hands a plugin a ``register`` callable bound to that
plugin; calling it with one of these specs adds a contribution attributed to the plugin. The
specs are plain frozen dataclasses so they can be declared in Qt-free modules; the widget
factories they carry are called lazily by the shell and return Qt widgets.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "FILE_SELECTION",
    "WORKSPACES",
    "CliCommandSpec",
    "CommandSpec",
    "DashboardCardSpec",
    "DockArea",
    "SettingField",
    "SettingsSectionSpec",
    "ThemeSpec",
    "ViewSpec",
    "WorkspaceSpec",
    "validate_identifier",
]

DockArea = Literal["left", "right", "top", "bottom"]

_IDENTIFIER = re.compile(r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*$")


def validate_identifier(kind: str, value: str) -> str:
    """Check a contribution id (lower-case dotted words) and return it; ValueError otherwise."""
    if not isinstance(value, str) or not _IDENTIFIER.match(value):
        raise ValueError(
            f"invalid {kind} id {value!r}: use lower-case words of a-z, 0-9, '_' or '-' "
            "separated by dots (e.g. 'models.list')"
        )
    return value


@dataclass(frozen=True)
class WorkspaceSpec:
    """One of the nine workspaces (Ctrl+1..9), each a saved dock layout."""

    id: str
    title: str
    icon: str
    shortcut: str


WORKSPACES: tuple[WorkspaceSpec, ...] = (
    WorkspaceSpec("dashboard", "Dashboard", "mdi6.view-dashboard-outline", "Ctrl+1"),
    WorkspaceSpec("models", "Models", "mdi6.cube-outline", "Ctrl+2"),
    WorkspaceSpec("deploy", "Deploy", "mdi6.rocket-launch-outline", "Ctrl+3"),
    WorkspaceSpec("training", "Training", "mdi6.chart-line", "Ctrl+4"),
    WorkspaceSpec("data", "Data", "mdi6.database-outline", "Ctrl+5"),
    WorkspaceSpec("agents", "Agents", "mdi6.robot-outline", "Ctrl+6"),
    WorkspaceSpec("logs", "Logs", "mdi6.text-box-search-outline", "Ctrl+7"),
    WorkspaceSpec("analysis", "Analysis", "mdi6.chart-scatter-plot", "Ctrl+8"),
    # hafs's studio has a Context workspace of its own: a file tree, an editor and a hex view
    # need the whole window, and mixing them into Analysis would crowd its charts.
    WorkspaceSpec("context", "Context", "mdi6.folder-search-outline", "Ctrl+9"),
)
WORKSPACE_IDS = tuple(w.id for w in WORKSPACES)

#: The selection kind of files on this machine (absolute paths). A command registered with
#: ``selection=FILE_SELECTION`` and an ``enabled_when`` that accepts a path is offered by file
#: browsers (the Context browser's menu) on the files it accepts.
FILE_SELECTION = "file"


@dataclass(frozen=True)
class ViewSpec:
    """A dockable view.

    ``factory(context)`` is called the first time the view is shown and returns a QWidget;
    ``context`` is the shell's :class:`studio.shell.api.ViewContext`. ``workspaces`` lists the
    workspaces whose default layout shows the view, in ``area``.
    """

    id: str
    title: str
    factory: Callable[[Any], Any]
    icon: str = "mdi6.application-outline"
    area: DockArea = "left"
    workspaces: Sequence[str] = ()
    description: str = ""
    plugin: str = ""

    def __post_init__(self) -> None:
        validate_identifier("view", self.id)
        if self.area not in ("left", "right", "top", "bottom"):
            raise ValueError(f"view {self.id!r}: area must be left/right/top/bottom")
        unknown = [w for w in self.workspaces if w not in WORKSPACE_IDS]
        if unknown:
            raise ValueError(
                f"view {self.id!r}: unknown workspace(s) {unknown}; known: {list(WORKSPACE_IDS)}"
            )


@dataclass(frozen=True)
class CommandSpec:
    """An action reachable from menus, toolbar, shortcuts, context menus and the palette.

    ``handler`` takes no arguments (bind what it needs with a closure), unless ``selection``
    names a selection kind (``"model"``): then it receives a
    :class:`~studio.core.commands.CommandContext` whose ``selection`` holds the ids to act on
    (the current selection of that kind, or the rows a context menu was opened on).
    ``enabled_when`` is polled when menus open and the palette filters; it takes the same
    argument as the handler, a command whose predicate raises is shown disabled, and a
    selection command without one is enabled when something is selected. ``menu`` is a slash
    path like ``"View/Workspace"``.
    """

    id: str
    title: str
    handler: Callable[..., Any]
    shortcut: str | None = None
    category: str = "General"
    icon: str | None = None
    menu: str | None = None
    toolbar: bool = False
    enabled_when: Callable[..., bool] | None = None
    description: str = ""
    selection: str | None = None
    plugin: str = ""

    def __post_init__(self) -> None:
        validate_identifier("command", self.id)
        if self.selection is not None:
            validate_identifier("selection kind", self.selection)


SettingType = Literal["bool", "int", "float", "str", "choice", "path"]


@dataclass(frozen=True)
class SettingField:
    """One typed setting. ``validate(value)`` may raise ValueError with a user-facing message."""

    key: str
    type: SettingType
    default: Any
    label: str = ""
    help: str = ""
    choices: Sequence[str] = ()
    minimum: float | None = None
    maximum: float | None = None
    validate: Callable[[Any], None] | None = None

    def __post_init__(self) -> None:
        validate_identifier("setting", self.key)
        if self.type == "choice" and self.default not in self.choices:
            raise ValueError(f"setting {self.key!r}: default {self.default!r} not in choices")


@dataclass(frozen=True)
class SettingsSectionSpec:
    """A group of settings shown as one page of the Preferences dialog."""

    id: str
    title: str
    fields: Sequence[SettingField]
    description: str = ""
    plugin: str = ""

    def __post_init__(self) -> None:
        validate_identifier("settings section", self.id)
        keys = [f.key for f in self.fields]
        if len(keys) != len(set(keys)):
            raise ValueError(f"settings section {self.id!r} repeats a key")


@dataclass(frozen=True)
class ThemeSpec:
    """A colour theme: a token dict (see docs/themes.md) or a JSON file holding one."""

    id: str
    name: str
    tokens: dict[str, str] = field(default_factory=dict)
    dark: bool = True
    source: str = ""
    plugin: str = ""

    def __post_init__(self) -> None:
        validate_identifier("theme", self.id)


@dataclass(frozen=True)
class DashboardCardSpec:
    """A card on the Dashboard grid; ``factory(context)`` returns a QWidget."""

    id: str
    title: str
    factory: Callable[[Any], Any]
    order: int = 100
    column_span: int = 1
    plugin: str = ""

    def __post_init__(self) -> None:
        validate_identifier("dashboard card", self.id)
        if self.column_span not in (1, 2, 3):
            raise ValueError(f"dashboard card {self.id!r}: column_span must be 1, 2 or 3")


@dataclass(frozen=True)
class CliCommandSpec:
    """A ``hafs-studio <name> …`` subcommand group: ``app`` is a ``typer.Typer``."""

    name: str
    app: Any
    help: str = ""
    plugin: str = ""

    def __post_init__(self) -> None:
        if not re.match(r"^[a-z][a-z0-9-]*$", self.name):
            raise ValueError(f"invalid CLI command name {self.name!r}")
