"""Forms of the Models actions: Register, Convert, Quantize, Pull, Notes and tags.

Each dialog only collects choices; the work runs as a studio job (see ``actions.py``). Slow
look-ups a form needs (detecting a folder, estimating a quantized size) run on a worker thread
through :class:`~studio.plugins.models.widgets.common.Background`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.api import format_bytes
from studio.plugins.models.detect import Detection
from studio.plugins.models.ids import InvalidModelIdError, validate_model_id
from studio.plugins.models.quant_types import QUANT_TYPES
from studio.plugins.models.schema import LOCATIONS, ModelEntry
from studio.plugins.models.widgets.common import Background, muted_label

__all__ = ["ConvertDialog", "NotesDialog", "PullDialog", "QuantizeDialog", "RegisterDialog"]

ROLES = ("asm", "debug", "general", "yaze")
OUTTYPES = {
    "f16": "F16: half precision, full quality; what llama.cpp quantizes from (recommended)",
    "bf16": "BF16: bfloat16, lossless for BF16-trained weights",
    "f32": "F32: full precision, twice the size of F16",
    "q8_0": "Q8_0: 8-bit, practically lossless, half of F16 (quantize needs F16/F32 input)",
}


def _buttons(dialog: QDialog, ok_text: str) -> QDialogButtonBox:
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                               | QDialogButtonBox.StandardButton.Cancel)
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


def _path_row(edit: QLineEdit, browse: Any) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit, 1)
    button = QPushButton("Browse…")
    button.clicked.connect(browse)
    layout.addWidget(button)
    return row


class RegisterDialog(QDialog):
    """Pick a folder or GGUF, see what was detected, correct it, register."""

    def __init__(self, parent: QWidget | None = None, existing_ids: set[str] | None = None
                 ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Register model")
        self.setMinimumWidth(620)
        self.existing_ids = existing_ids or set()
        self.detection: Detection | None = None
        self._background = Background(self)

        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("HF checkpoint folder, LoRA adapter folder or .gguf")
        self.path_edit.editingFinished.connect(lambda: self.detect(self.path_edit.text()))
        self.detected = muted_label("Choose a model to see what the studio finds in it.")
        self.id_edit = QLineEdit()
        self.id_edit.textChanged.connect(self._validate)
        self.name_edit = QLineEdit()
        self.base_edit = QLineEdit()
        self.role_combo = QComboBox()
        self.role_combo.setEditable(True)
        self.role_combo.addItems(ROLES)
        self.role_combo.setCurrentText("general")
        self.location_combo = QComboBox()
        self.location_combo.addItems(LOCATIONS)
        self.problem = QLabel()
        self.problem.setProperty("role", "error")
        self.problem.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Path", _path_row(self.path_edit, self._browse))
        form.addRow("Detected", self.detected)
        form.addRow("Model id", self.id_edit)
        form.addRow("Display name", self.name_edit)
        form.addRow("Base model", self.base_edit)
        form.addRow("Role", self.role_combo)
        form.addRow("Location", self.location_combo)
        self.buttons = _buttons(self, "Register")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self._validate()

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Model folder", self.path_edit.text())
        if folder:
            self.path_edit.setText(folder)
            self.detect(folder)

    def detect(self, path: str) -> None:
        """Detect ``path`` on a worker thread; the form fills in when it answers."""
        from studio.plugins.models.detect import detect_model

        if not path.strip():
            return
        self.detected.setText("Detecting…")
        self._background.run(lambda: detect_model(path.strip()), self._detected)

    def _detected(self, detection: Detection | None, error: Exception | None) -> None:
        self.detection = detection
        if error is not None or detection is None:
            self.detected.setText(str(error))
            self._validate()
            self.adjustSize()
            return
        fields = detection.fields
        kinds = {"hf": "Hugging Face checkpoint", "lora": "LoRA adapter", "gguf": "GGUF file"}
        params = f"{detection.parameter_count:,} parameters" if detection.parameter_count else ""
        found = [kinds[detection.kind], detection.architecture or "", params,
                 ", ".join(fields.get("formats") or [])]
        if fields.get("final_loss") is not None:
            found.append(f"final loss {fields['final_loss']:.4f}")
        sources = ", ".join(Path(s).name for s in detection.sources)
        self.detected.setText(" · ".join(p for p in found if p) + f"\nfrom {sources}")
        # hafs's register default: the folder's name as it is (spaces are fine in an id).
        self.id_edit.setText(detection.path.stem if detection.kind == "gguf"
                             else detection.path.name)
        self.name_edit.setText(fields.get("display_name") or "")
        self.base_edit.setText(fields.get("base_model") or "")
        if fields.get("role"):
            self.role_combo.setCurrentText(fields["role"])
        self._validate()
        self.adjustSize()  # the wrapped "Detected" text needs its full height

    def _validate(self) -> None:
        problem = ""
        model_id = self.id_edit.text().strip()
        try:
            validate_model_id(model_id)
            if model_id in self.existing_ids:
                problem = f"A model with id {model_id!r} is already registered."
        except InvalidModelIdError as exc:
            problem = str(exc).capitalize() if model_id else ""
        if self.detection is None:
            problem = problem or ""
        self.problem.setText(problem)
        self.problem.setVisible(bool(problem))
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(self.detection is not None and bool(model_id) and not problem)

    def choices(self) -> dict[str, Any]:
        assert self.detection is not None
        return {"path": str(self.detection.path), "model_id": self.id_edit.text().strip(),
                "name": self.name_edit.text().strip() or None,
                "base": self.base_edit.text().strip() or None,
                "role": self.role_combo.currentText().strip() or None,
                "location": self.location_combo.currentText()}


class ConvertDialog(QDialog):
    """Output type and file of an HF → GGUF conversion."""

    def __init__(self, entry: ModelEntry | None, source: Path | None, default_outtype: str,
                 parent: QWidget | None = None, llama_cpp_script: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Convert to GGUF")
        self.setMinimumWidth(560)
        self.entry, self.source = entry, source
        self.outtype = QComboBox()
        for key, text in OUTTYPES.items():
            self.outtype.addItem(text, key)
        self.outtype.setCurrentIndex(max(0, list(OUTTYPES).index(default_outtype)
                                         if default_outtype in OUTTYPES else 0))
        self.out_edit = QLineEdit()
        self.out_edit.setPlaceholderText("default: next to the model folder, <id>-<TYPE>.gguf")
        form = QFormLayout(self)
        title = entry["model_id"] if entry else str(source)
        form.addRow("Model", QLabel(title))
        form.addRow("Folder", muted_label(str(source) if source else "no local copy"))
        # The converter choice exists only when a llama.cpp checkout was found.
        self.converter: QComboBox | None = None
        if llama_cpp_script is not None:
            self.converter = QComboBox()
            self.converter.addItem("Built-in (llama, mistral, qwen2; no torch)", "builtin")
            self.converter.addItem("llama.cpp convert_hf_to_gguf.py (needs torch)", "llama.cpp")
            self.converter.setToolTip(str(llama_cpp_script))
            form.addRow("Converter", self.converter)
        form.addRow("Output type", self.outtype)
        form.addRow("Output file", _path_row(self.out_edit, self._browse))
        self.overwrite = _overwrite_box()
        form.addRow("", self.overwrite)
        form.addRow(muted_label("Runs as a job: progress and Cancel are in the Models list and "
                                "the Jobs view. No partial file is left on cancel."))
        form.addRow(_buttons(self, "Convert"))

    def _browse(self) -> None:
        file, _ = QFileDialog.getSaveFileName(self, "GGUF file", self.out_edit.text(),
                                              "GGUF (*.gguf)")
        if file:
            self.out_edit.setText(file)

    def choices(self) -> dict[str, Any]:
        choice = {"outtype": self.outtype.currentData(),
                  "out": self.out_edit.text().strip() or None,
                  "overwrite": self.overwrite.isChecked()}
        if self.converter is not None:
            choice["converter"] = self.converter.currentData()
        return choice


class QuantizeDialog(QDialog):
    """llama.cpp type list with bits/weight, estimated size and a quality note."""

    def __init__(self, sources: list[tuple[str, str]], default_type: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Quantize GGUF")
        self.setMinimumSize(720, 560)
        self._background = Background(self)
        self.estimates: dict[str, int] = {}
        self.source = QComboBox()
        self.source.setEditable(True)
        for label, path in sources:
            self.source.addItem(label, path)
        self.source.currentIndexChanged.connect(lambda _i: self._estimate())
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        source_row = QHBoxLayout()
        source_row.addWidget(self.source, 1)
        source_row.addWidget(browse)

        self.table = QTableWidget(len(QUANT_TYPES), 4)
        self.table.setHorizontalHeaderLabels(["Type", "Bits/weight", "Estimated size",
                                              "Quality"])
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        for row, quant in enumerate(QUANT_TYPES.values()):
            for column, text in enumerate((quant.name, f"{quant.bits_per_weight:.2f}", "…",
                                           quant.quality)):
                item = QTableWidgetItem(text)
                if column in (1, 2):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        names = list(QUANT_TYPES)
        self.table.selectRow(names.index(default_type) if default_type in names else 0)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.out_edit = QLineEdit()
        self.out_edit.setPlaceholderText("default: <name>-<TYPE>.gguf next to the source")
        self.note = muted_label("llama.cpp quantizes from an F32/F16/BF16 GGUF. Runs as a job "
                                "in a child process; Cancel stops it and leaves no file.")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.addRow("Source GGUF", source_row)
        form.addRow("Output file", self.out_edit)
        self.overwrite = _overwrite_box()
        form.addRow("", self.overwrite)
        layout.addLayout(form)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note)
        layout.addWidget(_buttons(self, "Quantize"))
        self._estimate()

    def _browse(self) -> None:
        file, _ = QFileDialog.getOpenFileName(self, "GGUF to quantize", "", "GGUF (*.gguf)")
        if file:
            self.source.addItem(Path(file).name, file)
            self.source.setCurrentIndex(self.source.count() - 1)

    def source_path(self) -> str:
        return str(self.source.currentData() or self.source.currentText()).strip()

    def _estimate(self) -> None:
        from studio.plugins.models.quantize import estimate_quantized_size

        path = self.source_path()
        if not path:
            return

        def work() -> dict[str, int]:
            return {name: estimate_quantized_size(path, name) for name in QUANT_TYPES}

        self._background.run(work, self._estimated)

    def _estimated(self, estimates: dict[str, int] | None, error: Exception | None) -> None:
        self.estimates = estimates or {}
        for row, name in enumerate(QUANT_TYPES):
            size = self.estimates.get(name)
            self.table.item(row, 2).setText(format_bytes(size) if size else "—")
        if error is not None:
            self.note.setText(f"Cannot read the source: {error}")

    def selected_type(self) -> str:
        row = self.table.currentRow()
        return list(QUANT_TYPES)[max(row, 0)]

    def choices(self) -> dict[str, Any]:
        return {"source": self.source_path(), "type_name": self.selected_type(),
                "out": self.out_edit.text().strip() or None,
                "overwrite": self.overwrite.isChecked()}


class PullDialog(QDialog):
    """Shows where a pull comes from, how, and where it goes; lets the user change the folder."""

    def __init__(self, entry: ModelEntry, plan: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Pull {entry['model_id']}")
        self.setMinimumWidth(560)
        self.plan = plan
        via = (f"mount {plan.mount_path}" if plan.method == "mount" else
               f"SSH/SFTP {plan.host.username}@{plan.host.hostname}:{plan.host.port} "
               f"(host {plan.host.name}, known_hosts checked)")
        self.dest_edit = QLineEdit(str(plan.dest))
        form = QFormLayout(self)
        form.addRow("From", QLabel(f"{plan.source}: {plan.remote_path}"))
        form.addRow("Via", muted_label(via))
        form.addRow("To", self.dest_edit)
        form.addRow(muted_label("Resumable: an interrupted pull continues where it stopped. "
                                "Every file is verified by size and sha256, then recorded as "
                                "the model's mac location."))
        form.addRow(_buttons(self, "Pull"))

    def choices(self) -> dict[str, Any]:
        return {"dest": self.dest_edit.text().strip() or None}


class NotesDialog(QDialog):
    """Edit a model's notes and tags (the only hand-edited registry fields)."""

    def __init__(self, entry: ModelEntry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Notes and tags: {entry['model_id']}")
        self.setMinimumWidth(520)
        self.notes = QPlainTextEdit(entry.get("notes") or "")
        self.tags = QLineEdit(" ".join(entry.get("tags") or []))
        self.tags.setPlaceholderText("space-separated, e.g. best rom-hack v2")
        form = QFormLayout(self)
        form.addRow("Notes", self.notes)
        form.addRow("Tags", self.tags)
        form.addRow(_buttons(self, "Save"))

    def choices(self) -> dict[str, Any]:
        tags = [t.lstrip("#") for t in self.tags.text().replace(",", " ").split()]
        return {"notes": self.notes.toPlainText(), "tags": tags}


def _overwrite_box() -> QCheckBox:
    box = QCheckBox("Replace the output file if it exists")
    box.setToolTip("Off: an existing file is kept and the job stops with a message, so a "
                   "model is never overwritten by accident")
    return box
