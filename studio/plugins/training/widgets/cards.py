"""Dashboard cards: active runs with progress and ETA; GPU utilization."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from studio.plugins.training.api import RunStatus, RunsUpdated, TelemetrySample
from studio.plugins.training.present import format_eta, format_loss, format_step
from studio.plugins.training.widgets.bridge import TrainingBridge
from studio.shell.api import icon

__all__ = ["ActiveRunsCard", "GpuCard"]

MAX_ROWS = 4


class ActiveRunsCard(QWidget):
    def __init__(self, context: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.bridge = TrainingBridge(context, self)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 4, 0, 0)
        self.rows = QVBoxLayout()
        self.layout_.addLayout(self.rows)
        self.note = QLabel("Looking for training runs…")
        self.note.setProperty("role", "muted")
        self.note.setWordWrap(True)
        self.layout_.addWidget(self.note)
        button = QPushButton(icon("mdi6.chart-line"), "Open Training")
        button.clicked.connect(lambda: context.run_command("workbench.workspace.training"))
        self.layout_.addWidget(button, 0, Qt.AlignmentFlag.AlignLeft)
        self.bridge.runs.connect(self.render)
        self.render(self.bridge.snapshot())

    def render(self, event: RunsUpdated) -> None:
        while self.rows.count():
            item = self.rows.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        active = [run for run in event.runs if run.status is RunStatus.RUNNING]
        for run in active[:MAX_ROWS]:
            title = QLabel(f"<b>{run.name}</b> · {run.origin}")
            title.setTextFormat(Qt.TextFormat.RichText)
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setValue(int((run.fraction or 0) * 1000))
            bar.setFormat(f"{format_step(run.global_step, run.max_steps)}   ETA "
                          f"{format_eta(run.eta_seconds)}   loss {format_loss(run.loss)}")
            bar.setTextVisible(True)
            self.rows.addWidget(title)
            self.rows.addWidget(bar)
        others = len(event.runs) - len(active)
        if not event.runs:
            self.note.setText("No training runs found yet." if event.scanned
                              else "Looking for training runs…")
        elif not active:
            self.note.setText(f"No run is training now ({others} finished or idle).")
        else:
            more = len(active) - MAX_ROWS
            self.note.setText((f"{more} more running · " if more > 0 else "")
                              + f"{others} other run{'s' * (others != 1)}")


class GpuCard(QWidget):
    def __init__(self, context: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = TrainingBridge(context, self, telemetry=True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        self.body = QLabel("Waiting for the first sample…")
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setWordWrap(True)
        layout.addWidget(self.body)
        self.latest: dict[str, TelemetrySample] = {}
        self.bridge.telemetry.connect(self.render)
        latest = self.bridge.service.telemetry.latest
        if latest is not None:
            self.render(latest)

    def render(self, sample: TelemetrySample) -> None:
        self.latest[sample.source] = sample
        lines = []
        for source, latest in sorted(self.latest.items(), key=lambda i: (i[0] != "local", i[0])):
            lines += self._gpu_lines(source, latest)
        local = self.latest.get("local")
        if local is None or not local.gpus:
            state = local.gpu_state if local is not None else "no sample yet"
            lines.append(f"{state[:1].upper()}{state[1:]} on this machine.")
        if local is not None and local.system is not None:
            lines.append(f"CPU {local.system.cpu_percent:.0f} % · memory "
                         f"{local.system.memory_percent:.0f} %")
        self.body.setText("<br>".join(lines))

    @staticmethod
    def _gpu_lines(source: str, sample: TelemetrySample) -> list[str]:
        where = "" if source == "local" else f"{source.removeprefix('host:')} "
        lines = []
        for gpu in sample.gpus:
            memory = "—" if gpu.memory_percent is None else f"{gpu.memory_percent:.0f} %"
            util = "—" if gpu.utilization is None else f"{gpu.utilization:.0f} %"
            temperature = "" if gpu.temperature_c is None else f" · {gpu.temperature_c:.0f} °C"
            lines.append(f"<b>{where}{gpu.label}</b><br><span style='font-size:18pt'>{util}"
                         f"</span> utilization · memory {memory}{temperature}")
        return lines
