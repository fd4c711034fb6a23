"""The Context plugin's hooks: views, commands, settings, CLI, the service and its presenter.

Nothing here imports Qt at module level: the CLI loads this module too. Widgets are imported
by the view factories and by the presenter, only when a window exists.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from studio.api import (
    CliCommandSpec,
    CommandSpec,
    SettingField,
    SettingsSectionSpec,
    ViewSpec,
    hookimpl,
)
from studio.plugins.context.service import SERVICE, SETTINGS, ContextService
from studio.shell.api import lazy_widget

if TYPE_CHECKING:
    from studio.api import Studio

# Models: registry.json is validated with its public api, and a model's files open here from
# its list (model actions). Logs: a log opens there when it publishes ``open_log``.
OPTIONAL = ("models", "logs")

BROWSER_VIEW = "context.browser"
PINS_VIEW = "context.pins"
EDITOR_VIEW = "context.editor"
QA_VIEW = "context.qa"


def _view(module: str, cls: str) -> Callable[[Any], Any]:
    return lazy_widget(f"studio.plugins.context.widgets.{module}", cls)


@hookimpl
def studio_register_views(register: Callable[[ViewSpec], None]) -> None:
    # Editor-like views take the wide left side, the tree the right: the default layout
    # gives the left area 60 % of the window.
    register(ViewSpec(EDITOR_VIEW, "Editor", _view("editor_view", "EditorView"),
                      "mdi6.file-edit-outline", "left", ("context",),
                      "Text editor, pager for big files, hex and structure viewer"))
    # Not "Q&A": tab bars and menus read "&" as a mnemonic and showed "Expert QA".
    register(ViewSpec(QA_VIEW, "Expert Questions", _view("qa_view", "QAView"),
                      "mdi6.comment-question-outline", "left", ("context",),
                      "hafs's expert questions: today's batch, answer, skip, statistics"))
    register(ViewSpec(BROWSER_VIEW, "Context Browser", _view("browser_view", "BrowserView"),
                      "mdi6.folder-search-outline", "right", ("context",),
                      "The context root and your folders: hafs's files recognised"))
    register(ViewSpec(PINS_VIEW, "Selected Context", _view("pins_view", "PinsView"),
                      "mdi6.pin-outline", "right", ("context",),
                      "Files and folders pinned as context, with on/off"))


def _gui_action(name: str, studio: Studio) -> Callable[[], Any]:
    def handler() -> Any:
        from studio.plugins.context.widgets import actions

        return getattr(actions, name)(studio)

    return handler


def _has_gui() -> bool:
    from studio.shell.api import current_shell

    return current_shell() is not None


@hookimpl
def studio_register_commands(register: Callable[[CommandSpec], None], studio: Studio) -> None:
    def add(command_id: str, title: str, handler: str, icon: str, *,
            shortcut: str | None = None, description: str = "") -> None:
        register(CommandSpec(f"context.{command_id}", title, _gui_action(handler, studio),
                             shortcut, "Context", icon, "Context", enabled_when=_has_gui,
                             description=description))

    add("open-file", "Open File…", "open_file", "mdi6.file-document-edit-outline",
        shortcut="Ctrl+Alt+O",
        description="Open a file in the editor (text) or the hex view (binary)")
    add("open-hex", "Open in Hex View…", "open_hex", "mdi6.hexadecimal",
        description="Open any file in the hex and structure viewer")
    add("add-root", "Add Folder to Browser…", "add_root", "mdi6.folder-plus-outline",
        description="Browse another folder next to the context root")
    add("export-pins", "Export Selected Context…", "export_pins", "mdi6.export",
        description="Write the enabled pinned paths to a text file, one per line")
    add("qa", "Expert Questions", "show_qa", "mdi6.comment-question-outline",
        description="Today's batch of hafs expert questions")
    for command_id, title, handler, icon, description in _MODEL_COMMANDS:
        register(CommandSpec(f"context.{command_id}", title, _model_action(handler, studio),
                             None, "Context", icon, "Context", description=description,
                             selection="model"))


# Actions on a model, offered in the Models list (studio_register_model_actions).
_MODEL_COMMANDS = (
    ("reveal-model", "Show Files in Context Browser", "reveal_model",
     "mdi6.folder-search-outline", "The model's folder in the context browser"),
    ("open-model-gguf", "Open GGUF in Hex View", "open_model_gguf", "mdi6.hexadecimal",
     "The model's GGUF (F16 first) in the hex and structure viewer"),
)


def _model_action(name: str, studio: Studio) -> Callable[[Any], Any]:
    def handler(context: Any) -> Any:
        if not _has_gui():
            return None
        from studio.plugins.context.widgets import actions

        return getattr(actions, name)(studio, context.first)

    return handler


@hookimpl
def studio_register_model_actions(register: Callable[[Any], None]) -> None:
    from studio.plugins.models.api import ModelActionSpec

    for order, (command_id, *_rest) in enumerate(_MODEL_COMMANDS):
        register(ModelActionSpec(f"context.{command_id}", "files", 55 + order))


def _validate_roots(value: str) -> None:
    from studio.plugins.context.service import parse_roots

    missing = [str(p) for p in parse_roots(value) if not p.is_dir()]
    if missing:
        raise ValueError(f"not a folder: {', '.join(missing)}")


@hookimpl
def studio_register_settings(register: Callable[[SettingsSectionSpec], None]) -> None:
    register(SettingsSectionSpec(SETTINGS, "Context", (
        SettingField("roots", "str", "", "Extra folders to browse",
                     f"Shown below the context root; separate folders with {os.pathsep!r}.",
                     validate=_validate_roots),
        SettingField("show_hidden", "bool", False, "Show hidden files",
                     "Names starting with a dot (a folder's .context is marked either way)."),
        SettingField("font_family", "str", "monospace", "Editor font",
                     "A monospace family (e.g. JetBrains Mono, Cousine); 'monospace' is the "
                     "system's."),
        SettingField("font_size", "int", 11, "Editor font size", minimum=6, maximum=48),
        SettingField("edit_limit_mb", "int", 8, "Largest file opened for editing (MB)",
                     "Bigger text files open read-only, page by page.", minimum=1,
                     maximum=512),
    ), "Context browser, editor and hex view."))


@hookimpl
def studio_register_cli(register: Callable[[CliCommandSpec], None]) -> None:
    from studio.plugins.context.cli import context_app, qa_app

    register(CliCommandSpec("qa", qa_app, "hafs's expert Q&A: stats, today's batch, answer, "
                            "skip, scan."))
    register(CliCommandSpec("context", context_app, "Context folders: list with kinds, "
                            "selected context, validate files."))


def _present(studio: Studio, action: str, path: str) -> bool:
    from studio.shell.api import current_shell

    if current_shell() is None:
        return False
    from studio.plugins.context.widgets import actions

    return actions.present(studio, action, path)


@hookimpl
def studio_startup(studio: Studio) -> None:
    service = ContextService(studio)
    service.presenter = lambda action, path: _present(studio, action, path)
    studio.services.provide(SERVICE, service, owner="context")


@hookimpl
def studio_shutdown(studio: Studio) -> None:
    if studio.services.has(SERVICE):
        studio.services.get(SERVICE).close()
