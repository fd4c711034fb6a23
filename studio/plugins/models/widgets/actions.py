"""What the Models commands and buttons do in the GUI: open a form, then submit a job.

Every function takes the core ``studio`` and returns the dialog it opened (or the job it
submitted) so tests can drive it like a user. Dialogs open window-modal with ``open()``, never
``exec()``, so nothing here blocks the event loop; the work itself runs in studio jobs (progress
and Cancel in the Models list and the Jobs view) and the registry reloads when a job ends.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMessageBox

from studio.plugins.models.schema import ModelEntry
from studio.plugins.models.state import ModelsState, models_state
from studio.shell.api import active_window, post_message

if TYPE_CHECKING:
    from studio.api import Job, Studio
    from studio.plugins.models.llama_cpp_convert import LlamaCppConverter

__all__ = [
    "compare_models",
    "convert_model",
    "edit_notes",
    "inspect_file",
    "inspect_model",
    "open_folder",
    "pull_model",
    "quantize_model",
    "refresh",
    "register_model",
    "remove_model",
    "show_model",
]


def _setting(studio: Studio, key: str, default: Any) -> Any:
    try:
        return studio.settings.get("models", key)
    except Exception:  # settings section not registered (plugin tests without it)
        return default


def _selected(state: ModelsState, model_id: str | None) -> ModelEntry | None:
    if model_id is not None:
        return state.snapshot.get(model_id)
    return state.selected_entry()


def _show_view(view_id: str) -> Any:
    window = active_window()
    return window.show_view(view_id) if window is not None else None


def _open(dialog: Any, on_accept: Any) -> Any:
    dialog.accepted.connect(on_accept)
    dialog.open()
    return dialog


def register_model(studio: Studio, path: str | None = None) -> Any:
    from studio.plugins.models.widgets.dialogs import RegisterDialog

    state = models_state(studio)
    dialog = RegisterDialog(active_window(), {m["model_id"] for m in state.snapshot.models})

    def accepted() -> None:
        choice = dialog.choices()
        state.run_write(f"Register {choice['model_id']}", lambda _ctx: state.service.register(
            choice.pop("path"), **choice))

    if path:
        dialog.path_edit.setText(path)
        dialog.detect(path)
    return _open(dialog, accepted)


def convert_model(studio: Studio, model_id: str | None = None) -> Any:
    from studio.plugins.models.llama_cpp_convert import find_from_settings
    from studio.plugins.models.widgets.dialogs import ConvertDialog

    state = models_state(studio)
    entry = _selected(state, model_id)
    if entry is None:
        return post_message("Select a model to convert")
    source = state.service.local_path(entry)
    if source is None:
        QMessageBox.information(active_window(), "Convert to GGUF",
                                f"{entry['model_id']} has no copy on this machine "
                                f"(locations: {', '.join(entry['locations']) or 'none'}). "
                                "Pull it first.")
        return None
    llama_cpp = find_from_settings(getattr(studio, "settings", None),  # a few stat() calls
                                   studio.services.tools)
    dialog = ConvertDialog(entry, source, _setting(studio, "default_outtype", "f16"),
                           active_window(),
                           llama_cpp_script=llama_cpp.script if llama_cpp else None)

    def accepted() -> None:
        choice = dialog.choices()
        submit_convert(studio, entry["model_id"], llama_cpp=llama_cpp, **choice)

    return _open(dialog, accepted)


def submit_convert(studio: Studio, model_id: str, outtype: str = "f16",
                   out: str | None = None, *, converter: str = "builtin",
                   llama_cpp: LlamaCppConverter | None = None, overwrite: bool = False) -> Job:
    state = models_state(studio)
    via = " with llama.cpp" if converter == "llama.cpp" else ""
    return state.run_write(f"Convert {model_id} to GGUF {outtype.upper()}{via}",
                           lambda ctx: state.service.convert(model_id, outtype=outtype, out=out,
                                                             converter=converter,
                                                             llama_cpp=llama_cpp, ctx=ctx,
                                                             overwrite=overwrite))


def _gguf_sources(state: ModelsState, entry: ModelEntry | None) -> list[tuple[str, str]]:
    if entry is None:
        return []
    artifacts = state.snapshot.studio_data.get(entry["model_id"], {}).get("artifacts") or []
    full = [a for a in artifacts if a.get("type") in ("F32", "F16", "BF16")]
    return [(f"{Path(a['path']).name} ({a['type']})", a["path"]) for a in full + [
        a for a in artifacts if a not in full]]


def quantize_model(studio: Studio, model_id: str | None = None) -> Any:
    from studio.plugins.models.widgets.dialogs import QuantizeDialog

    state = models_state(studio)
    entry = _selected(state, model_id)
    dialog = QuantizeDialog(_gguf_sources(state, entry),
                            _setting(studio, "default_quant_type", "Q4_K_M"), active_window())

    def accepted() -> None:
        choice = dialog.choices()
        if not choice["source"]:
            return
        target = entry["model_id"] if entry else None
        state.run_write(f"Quantize {Path(choice['source']).name} to {choice['type_name']}",
                        lambda ctx: state.service.quantize(choice["source"], choice["type_name"],
                                                           out=choice["out"], model_id=target,
                                                           ctx=ctx, overwrite=choice["overwrite"]))

    return _open(dialog, accepted)


def pull_model(studio: Studio, model_id: str | None = None) -> Any:
    """Plan the pull off the GUI thread (reads sync.toml, probes the mount), then confirm."""
    from studio.api import load_sync_config
    from studio.plugins.models.pull import plan_pull
    from studio.plugins.models.widgets.common import Background
    from studio.plugins.models.widgets.dialogs import PullDialog

    state = models_state(studio)
    entry = _selected(state, model_id)
    if entry is None:
        return post_message("Select a model to pull")
    models_dir = _setting(studio, "local_models_dir", None)
    parent = active_window()
    background = Background(parent or state_owner())

    def planned(result: Any, error: Exception | None) -> None:
        if error is not None:
            QMessageBox.warning(parent, "Pull", str(error))
            return
        sync, plan = result
        dialog = PullDialog(entry, plan, parent)

        def accepted() -> None:
            from studio.plugins.models.pull import pull_model as pull

            dest = dialog.choices()["dest"]
            state.run_write(f"Pull {entry['model_id']}", lambda ctx: pull(
                state.service, entry["model_id"], source=plan.source, dest=dest, sync=sync,
                models_dir=models_dir, ctx=ctx, remote=studio.services.remote))

        _open(dialog, accepted)

    def plan() -> Any:
        sync = load_sync_config()
        return sync, plan_pull(entry, sync, models_dir=models_dir)

    background.run(plan, planned)
    return background


def state_owner() -> Any:
    from PySide6.QtCore import QCoreApplication

    return QCoreApplication.instance()


def inspect_file(studio: Studio, path: str | None = None) -> Any:
    if path is None:
        path, _ = QFileDialog.getOpenFileName(active_window(), "Open GGUF file", "",
                                              "GGUF (*.gguf)")
        if not path:
            return None
    view = _show_view("models.inspector")
    if view is not None:
        view.open_file(path)
    return view


def inspect_model(studio: Studio, model_id: str | None = None) -> Any:
    state = models_state(studio)
    entry = _selected(state, model_id)
    sources = _gguf_sources(state, entry)
    if sources:
        return inspect_file(studio, sources[-1][1])
    if entry is not None:
        local = state.service.local_path(entry)
        if local is not None and local.suffix == ".gguf":
            return inspect_file(studio, str(local))
    return inspect_file(studio)


def compare_models(studio: Studio, left: str | None = None, right: str | None = None) -> Any:
    state = models_state(studio)
    view = _show_view("models.compare")
    if view is not None:
        view.set_pair(left or state.selected, right)
    return view


def show_model(studio: Studio, model_id: str) -> Any:
    models_state(studio).select(model_id)
    return _show_view("models.details")


def open_folder(studio: Studio, model_id: str | None = None) -> Path | None:
    state = models_state(studio)
    entry = _selected(state, model_id)
    local = state.service.local_path(entry) if entry else None
    if local is None:
        post_message("This model has no folder on this machine")
        return None
    folder = local if local.is_dir() else local.parent
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
    return folder


def edit_notes(studio: Studio, model_id: str | None = None) -> Any:
    from studio.plugins.models.widgets.dialogs import NotesDialog

    state = models_state(studio)
    entry = _selected(state, model_id)
    if entry is None:
        return post_message("Select a model first")
    dialog = NotesDialog(entry, active_window())

    def accepted() -> None:
        choice = dialog.choices()
        state.run_write(f"Notes of {entry['model_id']}", lambda _ctx: state.service
                        .set_notes_and_tags(entry["model_id"], **choice))

    return _open(dialog, accepted)


def remove_model(studio: Studio, model_id: str | None = None) -> Any:
    state = models_state(studio)
    entry = _selected(state, model_id)
    if entry is None:
        return post_message("Select a model first")
    box = QMessageBox(QMessageBox.Icon.Warning, "Remove model",
                      f"Remove <b>{entry['model_id']}</b> from the registry?",
                      QMessageBox.StandardButton.Cancel, active_window())
    box.setInformativeText("Only the registry entry goes. Its files stay where they are:\n"
                           + "\n".join(f"{k}: {v}" for k, v in entry["locations"].items()))
    remove = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)

    def finished(_result: int) -> None:
        if box.clickedButton() is remove:
            state.run_write(f"Remove {entry['model_id']}",
                            lambda _ctx: state.service.remove(entry["model_id"]))
            if state.selected == entry["model_id"]:
                state.select(None)

    box.finished.connect(finished)
    box.open()
    return box


def refresh(studio: Studio) -> None:
    models_state(studio).refresh()
