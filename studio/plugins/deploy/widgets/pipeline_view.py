"""The Deploy panel's guided pipeline for one model.

Source format → GGUF (converted if needed) → quantization (size, bits per weight, quality) →
backend (each with its availability and reason) → Deploy (a job: progress, cancel) → Test.
Every read (the registry, the plan, availability) runs on a worker thread; the deploy runs as
a studio job, so the window never waits.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from studio.api import JobUpdated, format_bytes
from studio.plugins.deploy.api import (
    DeployOptions,
    GenerationParams,
    GenerationRequest,
)
from studio.plugins.deploy.widgets.backend_choice import BackendChoice
from studio.plugins.deploy.widgets.common import (
    DeployEvents,
    OpenChat,
    label,
    manager_of,
)
from studio.plugins.models.api import QUANT_TYPES
from studio.shell.api import Background, ViewContext, icon

__all__ = ["PipelineView"]

KEEP = "Keep as is"
COMPUTE_TYPES = {"int8": "1 byte/weight; fastest on CPU", "int8_float32": "int8 weights, "
                 "float32 activations", "float16": "2 bytes/weight (CPU computes in float32)",
                 "float32": "4 bytes/weight; exact"}
TEST_PROMPT = "Write a simple NOP instruction in 65816 assembly:"
STEP_TITLES = {"gguf": "Use the existing", "convert": "Convert:", "quantize": "Quantize"}


class _JobSignals(QObject):
    updated = Signal(object)  # JobUpdated


class PipelineView(QWidget):
    """One model, one backend, one button; every step explains itself."""

    def __init__(self, context: ViewContext) -> None:
        super().__init__()
        self.context = context
        self.studio = context.studio
        self.manager = manager_of(context)
        self.plan: Any = None
        self.job: Any = None
        self.deployment: Any = None
        self._availability: dict[str, Any] = {}
        self._plan_reader = Background(self)
        self._readers = Background(self)
        self._availability_readers: dict[str, Background] = {}  # one per backend
        self._tester = Background(self)
        self._build()
        self.events = DeployEvents(self.studio, self)
        self.events.model_selected.connect(self._follow_selection)
        self._jobs = _JobSignals(self)
        self._jobs.updated.connect(self._on_job)
        subscription = self.studio.bus.subscribe(JobUpdated.topic, self._jobs.updated.emit,
                                                 owner="deploy")
        self.destroyed.connect(lambda *_: subscription.unsubscribe())
        self.reload_models()

    # -- layout --------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        outer.addWidget(scroll)
        body = QWidget()
        scroll.setWidget(body)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(10)
        layout.addWidget(label("Deploy a model", "heading"))

        row = QHBoxLayout()
        self.model_box = QComboBox()
        self.model_box.setObjectName("deploy-model")
        self.model_box.setMinimumContentsLength(18)
        self.model_box.currentIndexChanged.connect(lambda *_: self.refresh_plan())
        row.addWidget(self.model_box, 1)
        browse = QPushButton(icon("mdi6.folder-open-outline"), "")
        browse.setToolTip("Deploy a GGUF file or model folder that is not registered")
        browse.clicked.connect(self._browse)
        row.addWidget(browse)
        layout.addLayout(row)

        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(8)
        self.source_text = self._step(grid, 0, "1", "Source")
        self.gguf_text = self._step(grid, 1, "2", "Weights")
        quant_row = QHBoxLayout()
        self.quant_box = QComboBox()
        self.quant_box.setObjectName("deploy-quant")
        self.quant_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.quant_box.currentIndexChanged.connect(lambda *_: self.refresh_plan())
        quant_row.addWidget(self.quant_box)
        quant_row.addStretch(1)
        self.quant_text = self._step(grid, 2, "3", "Quantization", quant_row)
        self.backends = BackendChoice(self, self._backend_toggled)
        self.backend_box, self.backend_group = self.backends.layout, self.backends.group
        self._step(grid, 3, "4", "Backend", self.backend_box)
        layout.addLayout(grid)

        actions = QHBoxLayout()
        self.deploy_button = QPushButton(icon("mdi6.rocket-launch-outline"), "Deploy")
        self.deploy_button.setProperty("role", "primary")
        self.deploy_button.clicked.connect(self.start_deploy)
        self.deploy_button.setEnabled(False)  # until a plan is read
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_deploy)
        self.cancel_button.setEnabled(False)
        actions.addWidget(self.deploy_button)
        actions.addWidget(self.cancel_button)
        actions.addStretch(1)
        layout.addLayout(actions)
        self.progress = QProgressBar()
        self.progress.setProperty("role", "slim")
        self.progress.setTextVisible(False)
        self.progress.hide()
        layout.addWidget(self.progress)
        self.status = label("", "muted")
        layout.addWidget(self.status)

        test_row = QHBoxLayout()
        self.test_button = QPushButton(icon("mdi6.flask-outline"), "Test")
        self.test_button.setToolTip(f"Send “{TEST_PROMPT}” and measure tokens/s")
        self.test_button.clicked.connect(self.run_test)
        self.chat_button = QPushButton(icon("mdi6.chat-processing-outline"), "Open in Chat")
        self.chat_button.clicked.connect(self._open_chat)
        for button in (self.test_button, self.chat_button):
            button.setEnabled(False)
            test_row.addWidget(button)
        test_row.addStretch(1)
        layout.addLayout(test_row)
        self.test_text = label("", "mono")
        self.test_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.test_text)
        layout.addStretch(1)

    def _step(self, grid: QGridLayout, row: int, number: str, title: str,
              extra: Any = None) -> Any:
        badge = label(number, "badge", wrap=False)
        badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        badge.setFixedWidth(22)
        grid.addWidget(badge, row, 0, Qt.AlignmentFlag.AlignTop)
        column = QVBoxLayout()
        column.setSpacing(4)
        column.addWidget(label(title, "subheading"))
        if extra is not None:
            column.addLayout(extra)
        text = label("", "muted")
        column.addWidget(text)
        grid.addLayout(column, row, 1)
        return text

    # -- models and backends -------------------------------------------------------------
    def reload_models(self) -> None:
        """Models first (a file read), backends' availability separately (imports, network)."""
        self._readers.run(lambda: [(e["model_id"], e["display_name"] or e["model_id"])
                                   for e in self.manager.models.list_models()],
                          self._models_read)
        self._fill_backends()
        # Each backend checked on its own: a slow import (CTranslate2) or a network probe
        # (Ollama) does not hold the others' answers.
        for backend in self.manager.backends.items():
            reader = self._availability_readers.setdefault(backend.id, Background(self))
            reader.run(lambda b=backend.id: self.manager.availability_of(b),
                       lambda result, error, b=backend.id: self._availability_read(
                           b, result, error))

    def _availability_read(self, backend_id: str, availability: Any,
                           error: Exception | None) -> None:
        if error is None:
            self._availability[backend_id] = availability
            self._fill_backends()

    def _models_read(self, models: Any, error: Exception | None) -> None:
        if error is not None:
            self.status.setText(f"Cannot read the model registry: {error}")
            return
        current = self.model_box.currentData()
        self.model_box.blockSignals(True)
        self.model_box.clear()
        for model_id, name in models:
            self.model_box.addItem(icon("mdi6.cube-outline"), name, model_id)
        if not models:
            self.model_box.addItem("No registered models: open a GGUF or folder", None)
        self.model_box.blockSignals(False)
        self.select_model(current)

    def _fill_backends(self) -> None:
        self.backends.fill(self.manager.backends.items(), self._availability, (
            self.studio.settings.get("deploy", "default_backend")
            if "deploy" in self.studio.settings.sections else "llama.cpp"))

    def backend_id(self) -> str | None:
        return self.backends.backend_id()

    def _backend_toggled(self, _backend_id: str) -> None:
        self._fill_quant_choices()
        self.refresh_plan()

    def _fill_quant_choices(self) -> None:
        backend_id = self.backend_id()
        hf = backend_id is not None and self.manager.backend(backend_id).artifact == "hf"
        settings = self.studio.settings if "deploy" in self.studio.settings.sections else None
        chosen = self.quant_box.currentText() if self.quant_box.count() else None
        self.quant_box.blockSignals(True)
        self.quant_box.clear()
        if hf:
            for name, note in COMPUTE_TYPES.items():
                self.quant_box.addItem(name, name)
                self.quant_box.setItemData(self.quant_box.count() - 1, note,
                                           Qt.ItemDataRole.ToolTipRole)
            preferred = settings.get("deploy", "ct2_compute_type") if settings else "int8"
        else:
            self.quant_box.addItem(KEEP, None)
            for name, quant in QUANT_TYPES.items():
                self.quant_box.addItem(f"{name}  ({quant.bits_per_weight:g} bpw)", name)
            preferred = settings.get("deploy", "default_quant") if settings else "Q4_K_M"
        index = self.quant_box.findText(chosen) if chosen is not None else -1
        if index < 0:  # a new kind of backend: its default
            index = self.quant_box.findData(preferred)
        self.quant_box.setCurrentIndex(max(index, 0))
        self.quant_box.blockSignals(False)

    def select_model(self, model: str | None) -> None:
        index = self.model_box.findData(model) if model else -1
        if index < 0 and model:
            self.model_box.addItem(icon("mdi6.file-outline"), model, model)
            index = self.model_box.count() - 1
        self.model_box.setCurrentIndex(max(index, 0))
        self.refresh_plan()

    def _follow_selection(self, model_id: str | None) -> None:
        if model_id and self.job is None:
            self.select_model(model_id)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Deploy a GGUF file", "",
                                              "GGUF models (*.gguf);;All files (*)")
        if path:
            self.select_model(path)

    # -- plan ----------------------------------------------------------------------------
    def refresh_plan(self) -> None:
        model, backend_id = self.model_box.currentData(), self.backend_id()
        quant = self.quant_box.currentData()
        self.deploy_button.setEnabled(False)
        if not model or backend_id is None:
            self.source_text.setText("Choose a model, or open a GGUF file or model folder.")
            return
        self.source_text.setText("Reading…")
        self._plan_reader.run(lambda: self.manager.plan(model, backend_id, quant),
                              self._show_plan)

    def _show_plan(self, plan: Any, error: Exception | None) -> None:
        self.plan = plan
        self._set_role(self.source_text, "error" if error is not None else "muted")
        if error is not None:  # the plan's own message: what is missing, which file
            self.source_text.setText(str(error).strip("'\""))
            self.gguf_text.setText("")
            self.quant_text.setText("")
            return
        source = plan.source
        params = f" · {source.parameter_count / 1e6:.1f} M parameters" \
            if source.parameter_count else ""
        architecture = f" · {source.architecture}" if source.architecture else ""
        self.source_text.setText(f"{source.label}{architecture}{params}\n{source.path}")
        self.gguf_text.setText("\n".join(f"{STEP_TITLES.get(step, step)} {what}"
                                         for step, what in plan.steps if step != "deploy"))
        self.quant_text.setText(self._quant_note(plan))
        self.deploy_button.setEnabled(self.job is None)

    @staticmethod
    def _set_role(widget: QWidget, role: str) -> None:
        widget.setProperty("role", role)
        widget.style().polish(widget)

    def _quant_note(self, plan: Any) -> str:
        size = (f"≈ {format_bytes(plan.estimated_bytes)}" if plan.estimated_bytes
                else "size unknown")
        if plan.artifact_kind == "hf":
            return f"{size} · {COMPUTE_TYPES.get(plan.quant or 'int8', '')}"
        quant = QUANT_TYPES.get(plan.quant or "")
        if quant is None:
            kept = plan.reuse.type if plan.reuse else "F16"
            return f"{size} · the GGUF is deployed as it is ({kept})"
        return f"{size} · {quant.bits_per_weight:g} bits/weight · {quant.quality}"

    # -- deploy --------------------------------------------------------------------------
    def start_deploy(self) -> None:
        model, backend_id = self.model_box.currentData(), self.backend_id()
        if not model or backend_id is None:
            return
        settings = self.studio.settings if "deploy" in self.studio.settings.sections else None
        quant = self.quant_box.currentData()
        hf = self.manager.backend(backend_id).artifact == "hf"
        options = DeployOptions(
            quant=None if hf else quant, compute_type=quant if hf else "int8",
            n_ctx=settings.get("deploy", "n_ctx") if settings else 2048,
            n_threads=settings.get("deploy", "n_threads") if settings else 0,
            extra={"host": host} if (host := self.backends.host()) else {})
        self.job = self.manager.submit_deploy(model, backend_id, options)
        self.deploy_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.show()
        self._set_role(self.status, "muted")
        self.status.setText("Starting…")

    def cancel_deploy(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.status.setText("Cancelling…")

    def _on_job(self, event: JobUpdated) -> None:
        if self.job is None or event.job_id != self.job.id:
            return
        if event.fraction is not None:
            self.progress.setValue(int(event.fraction * 1000))
        self.status.setText(event.message)
        if not event.state.finished:
            return
        job, self.job = self.job, None
        self.progress.hide()
        self.cancel_button.setEnabled(False)
        self.deploy_button.setEnabled(self.plan is not None)
        self._set_role(self.status, {"succeeded": "success", "failed": "error"}.get(
            event.state.value, "muted"))
        if event.state.value == "succeeded":
            self.deployment = job.result
            self.status.setText(f"Deployed {self.deployment.label}: {self.deployment.endpoint}")
            self.test_button.setEnabled(True)
            self.chat_button.setEnabled(True)
            self.refresh_plan()  # the produced GGUF is reused next time
        elif event.state.value == "failed":
            self.status.setText(f"Deploy failed: {job.error}")
        else:
            self.status.setText("Cancelled; nothing was recorded.")

    # -- test ----------------------------------------------------------------------------
    def run_test(self) -> None:
        deployment = self.deployment
        if deployment is None:
            return
        self.test_button.setEnabled(False)
        self.test_text.setText("Testing…")

        def test() -> Any:
            request = GenerationRequest.chat([{"role": "user", "content": TEST_PROMPT}])
            return self.manager.generate(deployment, request,
                                         GenerationParams(max_tokens=64)).run()

        self._tester.run(test, self._tested)

    def _tested(self, result: Any, error: Exception | None) -> None:
        self.test_button.setEnabled(True)
        if error is not None:
            self.test_text.setText(f"Test failed: {error}")
            return
        self.test_text.setText(f"{result.text.strip()[:400]}\n\n{result.stats.summary()}")

    def _open_chat(self) -> None:
        if self.deployment is not None:
            self.context.show_view("deploy.chat")
            self.studio.bus.publish(OpenChat(deployment_id=self.deployment.id))

