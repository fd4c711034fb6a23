"""The Edit dialog of Sample Review: an edited copy of instruction, input and output."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from studio.plugins.data.widgets.common import muted

__all__ = ["EditDialog"]


class EditDialog(QDialog):
    def __init__(self, texts: tuple[str, str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit a Copy of the Sample")
        self.fields = [QPlainTextEdit(text) for text in texts]
        form = QFormLayout()
        for label, field in zip(("Instruction", "Input", "Output"), self.fields, strict=True):
            form.addRow(label, field)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(muted("The original line stays in its file; the edited copy is kept "
                               "in user_annotations.json (and manually_accepted.jsonl once "
                               "approved)."))
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(760, 560)

    def texts(self) -> tuple[str, str, str]:
        instruction, input_, output = (field.toPlainText() for field in self.fields)
        return instruction, input_, output
