"""Command handlers of the Data plugin that need the GUI (file dialogs, the export dialog)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QWidget,
)

from studio.plugins.data.api import data_state
from studio.plugins.data.export import FORMATS
from studio.plugins.data.records import FieldMapping, MappingError
from studio.shell.api import current_shell

__all__ = ["analyse", "compare", "export", "open_dataset_folder", "open_jsonl_file",
           "reload_quality"]


def _parent() -> QWidget | None:
    shell = current_shell()
    return getattr(shell, "main_window", None) if shell is not None else None


def open_dataset_folder(studio: Any) -> None:
    state = data_state(studio)
    path = QFileDialog.getExistingDirectory(_parent(), "Open hafs Dataset Folder",
                                            str(state.datasets_folder))
    if path:
        state.open_dataset(path)


def open_jsonl_file(studio: Any) -> None:
    state = data_state(studio)
    path, _ = QFileDialog.getOpenFileName(_parent(), "Open JSONL Dataset",
                                          str(state.datasets_folder), "JSONL (*.jsonl *.json)")
    if not path:
        return
    text, ok = QInputDialog.getText(
        _parent(), "Field Mapping",
        "Where the fields are, if not hafs's names (e.g. instruction=prompt,output=completion,"
        "domain=meta.topic). Leave empty for hafs's layout:")
    if not ok:
        return
    try:
        mapping = FieldMapping.parse(text)
    except MappingError as exc:
        QMessageBox.warning(_parent(), "Field Mapping", str(exc))
        return
    state.open_dataset(path, mapping)


def analyse(studio: Any) -> None:
    data_state(studio).analyse()
    shell = current_shell()
    if shell is not None:
        shell.main_window.show_view("data.diversity")


def compare(studio: Any) -> None:
    shell = current_shell()
    if shell is not None:
        shell.main_window.show_view("data.compare")


def reload_quality(studio: Any) -> None:
    data_state(studio).reload_quality()


class ExportDialog(QDialog):
    """Where to, which form, and whether to use the review's current filter."""

    def __init__(self, parent: QWidget | None, filter_text: str) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export Samples")
        self.path = QLineEdit()
        self.form = QComboBox()
        self.form.addItems(list(FORMATS))
        self.use_filter = QCheckBox(f"Only the samples Sample Review shows ({filter_text})")
        self.use_filter.setChecked(True)
        self.metadata = QCheckBox("Add hafs's _metadata (sample_id, domain, source, score)")
        self.edits = QCheckBox("Export edited copies instead of the originals")
        self.edits.setChecked(True)
        layout = QFormLayout(self)
        layout.addRow("File", self.path)
        layout.addRow("Format", self.form)
        for box in (self.use_filter, self.metadata, self.edits):
            layout.addRow(box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addRow(buttons)


def export(studio: Any) -> None:
    from studio.plugins.data.export import export_samples
    from studio.plugins.data.filters import SampleFilter

    state = data_state(studio)
    dataset, session = state.dataset, state.review
    if dataset is None:
        return
    shell = current_shell()
    review = shell.main_window.show_view("data.review") if shell is not None else None
    chosen = review.current_filter() if review is not None else SampleFilter()
    dialog = ExportDialog(_parent(), ", ".join(f"{k}={v}" for k, v in
                                               chosen.describe().items()) or "no filter")
    path, _ = QFileDialog.getSaveFileName(_parent(), "Export Samples",
                                          str(dataset.folder / "export.jsonl"), "JSONL (*.jsonl)")
    if not path:
        return
    dialog.path.setText(path)
    if not dialog.exec():
        return
    notes = session.annotations() if session is not None else {}
    state.submit(f"Export {dataset.name}", lambda ctx: export_samples(
        dataset, dialog.path.text(), form=dialog.form.currentText(),
        sample_filter=chosen if dialog.use_filter.isChecked() else SampleFilter(),
        annotations=notes, use_edits=dialog.edits.isChecked(),
        include_metadata=dialog.metadata.isChecked(), overwrite=True, ctx=ctx))
