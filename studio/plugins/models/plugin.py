"""The Models plugin's hook implementations: views, commands, settings, cards, CLI, sample,
its own hook ``studio_register_model_actions`` (see :mod:`.hookspecs`) and the ``"models"``
service (the live registry, :mod:`.state`).

Nothing here imports Qt: the CLI loads this module too. Widgets are imported by the factories
the first time a view is shown, and command handlers reach the GUI through
:mod:`studio.plugins.models.widgets.actions` only when they run. Commands that act on a model
take the studio's ``"model"`` selection (or the rows a context menu was opened on).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.api import (
    FILE_SELECTION,
    CliCommandSpec,
    CommandContext,
    CommandSpec,
    DashboardCardSpec,
    SettingField,
    SettingsSectionSpec,
    ViewSpec,
    hookimpl,
)
from studio.plugins.models.quant_types import QUANT_TYPES
from studio.shell.api import lazy_widget

if TYPE_CHECKING:
    from studio.api import Studio
    from studio.plugins.models.action_spec import ModelActionSpec

SELECTION_KIND = "model"  # = studio.plugins.models.state.SELECTION_KIND (state loads lazily)

LIST_VIEW = "models.list"
DETAILS_VIEW = "models.details"
COMPARE_VIEW = "models.compare"
INSPECTOR_VIEW = "models.inspector"
SETTINGS = "models"


def _view(module: str, cls: str) -> Callable[[Any], Any]:
    return lazy_widget(f"studio.plugins.models.widgets.{module}", cls)


@hookimpl
def studio_register_views(register: Callable[[ViewSpec], None]) -> None:
    register(ViewSpec(LIST_VIEW, "Models", _view("list_view", "ModelListView"),
                      "mdi6.cube-outline", "left", ("models",),
                      "Registered models: filter, sort, act on them"))
    register(ViewSpec(DETAILS_VIEW, "Model Details", _view("details_view", "ModelDetailsView"),
                      "mdi6.card-text-outline", "right", ("models",),
                      "Every field of the selected model and its loss curve"))
    register(ViewSpec(COMPARE_VIEW, "Compare Models", _view("compare_view", "CompareView"),
                      "mdi6.compare-horizontal", "bottom", ("models",),
                      "Two models side by side, differences highlighted"))
    register(ViewSpec(INSPECTOR_VIEW, "GGUF Inspector", _view("inspector_view", "InspectorView"),
                      "mdi6.file-search-outline", "bottom", ("models",),
                      "Metadata, tensors and sizes of a GGUF file"))


def _action(name: str, studio: Studio) -> Callable[..., Any]:
    """A command handler calling ``widgets.actions.<name>(studio, model_id)`` (Qt on use)."""

    def handler(context: CommandContext | None = None) -> Any:
        from studio.plugins.models.widgets import actions

        if context is None:
            return getattr(actions, name)(studio)
        return getattr(actions, name)(studio, context.first)

    return handler


def _is_gguf_path(context: CommandContext | None = None) -> bool:
    first = context.first if context is not None else None
    return bool(first) and str(first).lower().endswith(".gguf") and _has_gui()


def _has_gui(_context: CommandContext | None = None) -> bool:
    from studio.shell.api import current_shell

    return current_shell() is not None


def _state(studio: Studio) -> Any:
    from studio.plugins.models.state import models_state

    return models_state(studio)


def _selected_entry(studio: Studio, context: CommandContext) -> Any:
    return _state(studio).snapshot.get(context.first) if context.first else None


def _selection_writable(studio: Studio, context: CommandContext) -> bool:
    return (_has_gui() and _selected_entry(studio, context) is not None
            and not _state(studio).snapshot.read_only)


def _has_selection(studio: Studio, context: CommandContext) -> bool:
    return _has_gui() and _selected_entry(studio, context) is not None


def _writable(studio: Studio) -> bool:
    return _has_gui() and not _state(studio).snapshot.read_only


# (id, title, handler in widgets.actions, icon, enabled when, acts on the selected model,
#  shortcut, description). One CommandSpec each: palette, Models menu, context menus.
_COMMANDS: tuple[tuple[Any, ...], ...] = (
    ("register", "Register Model…", "register_model", "mdi6.plus-box-outline", _writable, False,
     "Ctrl+Shift+M", "Add a checkpoint folder, LoRA adapter or GGUF to the registry"),
    ("details", "Show Model Details", "show_model", "mdi6.card-text-outline", _has_selection,
     True, None, "Every field of the model and its loss curve"),
    ("convert", "Convert to GGUF…", "convert_model", "mdi6.swap-horizontal-bold",
     _has_selection, True, None, "HF checkpoint → GGUF (F32/F16/BF16/Q8_0)"),
    ("quantize", "Quantize GGUF…", "quantize_model", "mdi6.arrow-collapse-vertical",
     lambda studio, context: _has_gui(), True, None,
     "GGUF → Q4_K_M, Q5_K_M, Q8_0, … with llama.cpp"),
    ("inspect-model", "Inspect Model's GGUF", "inspect_model", "mdi6.file-search-outline",
     lambda studio, context: _has_gui(), True, None, "Open the model's GGUF in the inspector"),
    ("compare", "Compare Models", "compare_models", "mdi6.compare-horizontal",
     lambda studio, context: _has_gui(), True, None, "Two models side by side"),
    ("pull", "Pull Model to This Machine…", "pull_model", "mdi6.download-outline",
     _selection_writable, True, None, "Copy the model here (mount or SSH)"),
    ("open-folder", "Open Model Folder", "open_folder", "mdi6.folder-open-outline",
     _has_selection, True, None, ""),
    ("edit-notes", "Edit Notes and Tags…", "edit_notes", "mdi6.tag-text-outline",
     _selection_writable, True, None, ""),
    ("remove", "Remove Model from Registry…", "remove_model", "mdi6.delete-outline",
     _selection_writable, True, None, "Forget the entry; files on disk stay"),
    ("inspect", "Inspect GGUF File…", "inspect_file", "mdi6.file-search-outline",
     lambda studio: _has_gui(), False, None, "Open a .gguf in the inspector"),
    ("refresh", "Reload Model Registry", "refresh", "mdi6.refresh",
     lambda studio: _has_gui(), False, None, ""),
)

# Model actions of the Models plugin itself: (command, group, order). The list's toolbar and
# More menu and the context menu are built from these and other plugins' actions.
PRIMARY_GROUP = "open"
_MODEL_ACTIONS = (
    ("models.details", PRIMARY_GROUP, 10), ("models.convert", PRIMARY_GROUP, 20),
    ("models.quantize", PRIMARY_GROUP, 21), ("models.inspect-model", PRIMARY_GROUP, 30),
    ("models.compare", PRIMARY_GROUP, 40), ("models.pull", "files", 50),
    ("models.open-folder", "files", 51), ("models.edit-notes", "edit", 60),
    ("models.remove", "edit", 61),
)


@hookimpl
def studio_register_commands(register: Callable[[CommandSpec], None], studio: Studio) -> None:
    for (command_id, title, handler, icon, enabled, on_selection, shortcut,
         description) in _COMMANDS:
        def enabled_when(context: Any = None, _enabled: Any = enabled) -> bool:
            return _enabled(studio) if context is None else _enabled(studio, context)

        register(CommandSpec(f"models.{command_id}", title, _action(handler, studio), shortcut,
                             "Models", icon, "Models", enabled_when=enabled_when,
                             description=description,
                             selection=SELECTION_KIND if on_selection else None))
    # On a file selection ("file": paths), which file browsers such as the Context browser
    # offer in their menus: any .gguf on disk, registered or not.
    register(CommandSpec("models.inspect-path", "Inspect in GGUF Inspector",
                         _action("inspect_file", studio), None, "Models",
                         "mdi6.file-search-outline", None, enabled_when=_is_gguf_path,
                         description="Open this .gguf in the Models workspace's inspector",
                         selection=FILE_SELECTION))


@hookimpl
def studio_add_hookspecs(add: Callable[[Any], None]) -> None:
    from studio.plugins.models import hookspecs

    add(hookspecs)


@hookimpl
def studio_register_model_actions(register: Callable[[ModelActionSpec], None]) -> None:
    from studio.plugins.models.action_spec import ModelActionSpec

    for command_id, group, order in _MODEL_ACTIONS:
        register(ModelActionSpec(command_id, group, order))


@hookimpl
def studio_startup(studio: Studio) -> None:
    from studio.plugins.models.action_spec import ModelActionSpec
    from studio.plugins.models.state import SERVICE, ModelsState

    state = ModelsState(studio)
    studio.services.provide(SERVICE, state, owner="models")
    state.actions = studio.plugins.collect("studio_register_model_actions", ModelActionSpec)


@hookimpl
def studio_register_settings(register: Callable[[SettingsSectionSpec], None]) -> None:
    register(SettingsSectionSpec(SETTINGS, "Models", (
        SettingField("default_quant_type", "choice", "Q4_K_M", "Default quantization",
                     "Preselected in the Quantize dialog.", choices=tuple(QUANT_TYPES)),
        SettingField("default_outtype", "choice", "f16", "Default conversion type",
                     "F16 keeps full quality and is what llama.cpp quantizes from.",
                     choices=("f32", "f16", "bf16", "q8_0")),
        SettingField("local_models_dir", "path", "~/Code/hafs/models", "Local models folder",
                     "Where Pull puts models (hafs: ~/Code/hafs/models/<id>)."),
        SettingField("llama_cpp_python", "path", "", "Python for llama.cpp's converter",
                     "Interpreter with torch for convert_hf_to_gguf.py when the llama.cpp "
                     "checkout (tools.llama_cpp_dir) has no .venv; empty: the studio's own."),
    ), "Registry, conversion and quantization defaults."))


def _card(cls: str) -> Callable[[Any], Any]:
    return _view("cards", cls)


@hookimpl
def studio_register_dashboard_cards(register: Callable[[DashboardCardSpec], None]) -> None:
    register(DashboardCardSpec("models.by-role", "Models by role", _card("RolesCard"), order=40))
    register(DashboardCardSpec("models.latest", "Latest model", _card("LatestCard"), order=41))
    register(DashboardCardSpec("models.pending", "Models to convert or deploy",
                               _card("PendingCard"), order=42))


@hookimpl
def studio_register_cli(register: Callable[[CliCommandSpec], None]) -> None:
    from studio.plugins.models.cli import app

    register(CliCommandSpec("models", app, "Trained models: registry, pull, convert, "
                            "quantize, inspect."))


@hookimpl
def studio_populate_sample_workspace(root: Path, report: Callable[[str], None]) -> None:
    from studio.plugins.models.sample import populate_sample_models

    populate_sample_models(Path(root), report)
