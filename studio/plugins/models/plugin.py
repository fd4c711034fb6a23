"""The Models plugin's hook implementations: views, commands, settings, cards, CLI, sample.

Nothing here imports Qt: the CLI loads this module too. Widgets are imported by the factories
the first time a view is shown, and command handlers reach the GUI through
:mod:`studio.plugins.models.widgets.actions` only when they run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio import hookimpl
from studio.core.contributions import (
    CliCommandSpec,
    CommandSpec,
    DashboardCardSpec,
    SettingField,
    SettingsSectionSpec,
    ViewSpec,
)
from studio.plugins.models.quant_types import QUANT_TYPES

if TYPE_CHECKING:
    from studio.core.app import Studio

LIST_VIEW = "models.list"
DETAILS_VIEW = "models.details"
COMPARE_VIEW = "models.compare"
INSPECTOR_VIEW = "models.inspector"
SETTINGS = "models"


def _view(module: str, cls: str) -> Callable[[Any], Any]:
    def factory(context: Any) -> Any:
        import importlib

        return getattr(importlib.import_module(f"studio.plugins.models.widgets.{module}"),
                       cls)(context)

    return factory


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


def _action(name: str, studio: Studio) -> Callable[[], Any]:
    def handler() -> Any:
        from studio.plugins.models.widgets import actions

        return getattr(actions, name)(studio)

    return handler


def _has_gui() -> bool:
    from studio.shell.api import current_shell

    return current_shell() is not None


def _selection_writable(studio: Studio) -> bool:
    from studio.plugins.models.state import models_state

    if not _has_gui():
        return False
    state = models_state(studio)
    return state.selected_entry() is not None and not state.snapshot.read_only


def _has_selection(studio: Studio) -> bool:
    from studio.plugins.models.state import models_state

    return _has_gui() and models_state(studio).selected_entry() is not None


def _writable(studio: Studio) -> bool:
    from studio.plugins.models.state import models_state

    return _has_gui() and not models_state(studio).snapshot.read_only


@hookimpl
def studio_register_commands(register: Callable[[CommandSpec], None], studio: Studio) -> None:
    def add(  # noqa: PLR0917 - a compact table of commands reads best positionally
            command_id: str, title: str, handler: str, icon: str,
            enabled: Callable[[Studio], bool], shortcut: str | None = None,
            description: str = "") -> None:
        register(CommandSpec(f"models.{command_id}", title, _action(handler, studio), shortcut,
                             "Models", icon, "Models", enabled_when=lambda: enabled(studio),
                             description=description))

    add("register", "Register Model…", "register_model", "mdi6.plus-box-outline", _writable,
        "Ctrl+Shift+M", "Add a checkpoint folder, LoRA adapter or GGUF to the registry")
    add("pull", "Pull Model to This Machine…", "pull_model", "mdi6.download-outline",
        _selection_writable, description="Copy the selected model here (mount or SSH)")
    add("convert", "Convert to GGUF…", "convert_model", "mdi6.swap-horizontal-bold",
        _has_selection, description="HF checkpoint → GGUF (F32/F16/BF16/Q8_0)")
    add("quantize", "Quantize GGUF…", "quantize_model", "mdi6.arrow-collapse-vertical",
        _has_gui, description="GGUF → Q4_K_M, Q5_K_M, Q8_0, … with llama.cpp")
    add("inspect", "Inspect GGUF File…", "inspect_file", "mdi6.file-search-outline", _has_gui,
        description="Open a .gguf in the inspector")
    add("compare", "Compare Models", "compare_models", "mdi6.compare-horizontal", _has_gui)
    add("open-folder", "Open Model Folder", "open_folder", "mdi6.folder-open-outline",
        _has_selection)
    add("edit-notes", "Edit Notes and Tags…", "edit_notes", "mdi6.tag-text-outline",
        _selection_writable)
    add("remove", "Remove Model from Registry…", "remove_model", "mdi6.delete-outline",
        _selection_writable, description="Forget the entry; files on disk stay")
    add("refresh", "Reload Model Registry", "refresh", "mdi6.refresh", _has_gui)


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


@hookimpl
def studio_shutdown(studio: Studio) -> None:
    from studio.plugins.models.state import close_models_state

    close_models_state(studio)
