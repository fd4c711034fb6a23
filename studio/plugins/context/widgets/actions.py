"""What the Context commands and the presenter do in the GUI.

Every function takes the core ``studio``; dialogs open window-modal with ``open()`` (never
``exec()``), and anything slow runs in the views' workers or in studio jobs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QFileDialog, QWidget

from studio.plugins.context.api import context_service
from studio.plugins.context.elsewhere import ModelFiles, log_opener, model_files
from studio.plugins.context.kinds import FileKind, classify, classify_by_magic, kind_info
from studio.plugins.context.pins import PinStoreError
from studio.plugins.context.widgets.common import Background, current_shell, post_message

if TYPE_CHECKING:
    from studio.api import Studio

__all__ = [
    "add_root",
    "export_pins",
    "open_entry",
    "open_file",
    "open_hex",
    "open_in_editor",
    "open_model_gguf",
    "pin_paths",
    "present",
    "reveal_model",
    "show_qa",
    "show_view",
]

WORKSPACE = "context"


def _window() -> Any:
    shell = current_shell()
    return shell.active_window() if shell is not None else None


def show_view(view_id: str, *, switch: bool = True) -> Any:
    """Show a Context view in the active window (switching to the Context workspace)."""
    window = _window()
    if window is None:
        return None
    if switch and window.workspace != WORKSPACE:
        window.switch_workspace(WORKSPACE)
    return window.show_view(view_id)


def present(studio: Studio, action: str, path: str) -> bool:
    """The service's presenter: ``reveal``, ``open``, ``edit`` or ``hex`` a path."""
    if action == "reveal":
        view = show_view("context.browser")
        return bool(view is not None and view.reveal(path))
    if action == "open":
        return open_entry(studio, path, _kind(path))
    return open_in_editor(studio, path, action) is not None


def _kind(path: str) -> FileKind:
    p = Path(path)
    kind = classify(p.name, is_dir=p.is_dir(), parent=p.parent.name)
    if kind in (FileKind.BINARY, FileKind.TEXT) and p.is_file():
        try:
            with open(p, "rb") as handle:
                kind = classify_by_magic(handle.read(16), kind)
        except OSError:
            pass
    return kind


def open_entry(studio: Studio, path: str, kind: FileKind) -> bool:
    """Open a file where it belongs.

    The Q&A files open the Q&A view; a log the Logs workspace when a Logs plugin publishes
    ``open_log`` (else the editor); GGUF/safetensors and other binaries the hex and structure
    view; everything else the editor (big files read-only, by page). Datasets and runs stay in
    the editor until the Data and Training plugins publish an ``open`` api.
    """
    opener = kind_info(kind).opener
    if opener == "logs":
        open_log = log_opener(studio)
        if open_log is not None:
            open_log(studio, path)
            return True
    if opener == "qa" and kind is FileKind.QA and path.endswith(".json"):
        return show_qa(studio) is not None
    if opener == "browser":
        view = show_view("context.browser")
        return bool(view is not None and view.reveal(path))
    how = "hex" if opener == "hex" else "edit"
    return open_in_editor(studio, path, how) is not None


def open_in_editor(studio: Studio, path: str, how: str = "edit") -> Any:
    view = show_view("context.editor")
    if view is None:
        return None
    return view.open_path(path, hex_view=how == "hex")


def pin_paths(studio: Studio, paths: list[str]) -> None:
    pins = context_service(studio).pins
    for path in paths:
        try:
            pins.add(path)
        except PinStoreError as exc:
            post_message(str(exc))
    view = show_view("context.pins", switch=False)
    if view is not None:
        view.refresh()


def _dialog_parent() -> QWidget | None:
    return _window()


def open_file(studio: Studio) -> Any:
    dialog = QFileDialog(_dialog_parent(), "Open File", str(studio.context.path))
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    dialog.fileSelected.connect(lambda path: present(studio, "open", path))
    dialog.open()
    return dialog


def open_hex(studio: Studio) -> Any:
    dialog = QFileDialog(_dialog_parent(), "Open in Hex View", str(studio.context.path))
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    dialog.fileSelected.connect(lambda path: open_in_editor(studio, path, "hex"))
    dialog.open()
    return dialog


def add_root(studio: Studio) -> Any:
    dialog = QFileDialog(_dialog_parent(), "Add Folder to Browser", os.path.expanduser("~"))
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)

    def chosen(path: str) -> None:
        try:
            context_service(studio).add_root(path)
        except ValueError as exc:
            post_message(str(exc))

    dialog.fileSelected.connect(chosen)
    dialog.open()
    return dialog


def export_pins(studio: Studio) -> Any:
    dialog = QFileDialog(_dialog_parent(), "Export Selected Context",
                         str(Path.home() / "selected_context.txt"))
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)

    def chosen(path: str) -> None:
        try:
            context_service(studio).pins.export(path)
            post_message(f"Wrote the selected context to {path}")
        except OSError as exc:
            post_message(f"{path}: {exc.strerror or exc}")

    dialog.fileSelected.connect(chosen)
    dialog.open()
    return dialog


def show_qa(studio: Studio) -> Any:
    return show_view("context.qa")


# -- a model's files (the Models list's actions; Models is optional) -----------------------

def _with_model_files(studio: Studio, model_id: str | None,
                      then: Any) -> Background | None:
    """Find ``model_id``'s files off the GUI thread, then call ``then(files)`` on it."""
    window = _window()
    if model_id is None or window is None:
        return None
    background = Background(window)

    def done(files: ModelFiles | None, error: Exception | None) -> None:
        background.deleteLater()
        if error is not None:
            post_message(str(error))
        elif files is not None:
            then(files)

    background.run(lambda: model_files(studio, model_id), done)
    return background


def reveal_model(studio: Studio, model_id: str | None) -> Background | None:
    """Show a registered model's folder (or file) in the context browser."""
    def show(files: ModelFiles) -> None:
        present(studio, "reveal", str(files.location))

    return _with_model_files(studio, model_id, show)


def open_model_gguf(studio: Studio, model_id: str | None) -> Background | None:
    """Open a registered model's GGUF (the F16 first) in the hex and structure view."""
    def show(files: ModelFiles) -> None:
        if not files.ggufs:
            post_message(f"Model {files.model_id!r} has no GGUF in {files.folder}: convert it "
                         "first (Models → Convert)")
            return
        open_in_editor(studio, str(files.ggufs[0]), "hex")

    return _with_model_files(studio, model_id, show)
