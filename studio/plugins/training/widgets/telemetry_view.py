"""GPU and system telemetry charts of the last 10-60 minutes (1 Hz samples)."""

from __future__ import annotations

import time
from typing import Any

import pyqtgraph
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from studio.plugins.training.api import TelemetrySample
from studio.plugins.training.telemetry import series_label, sources_text
from studio.plugins.training.widgets.bridge import TrainingBridge
from studio.shell.api import current_chart_colors, style_plot

__all__ = ["PANELS", "TelemetryView"]

# (title, unit, series suffix or system key, y range)
PANELS = (
    ("GPU utilization", "%", ".util", (0, 100)),
    ("GPU memory", "% used", ".memory", (0, 100)),
    ("GPU temperature", "°C", ".temperature", None),
    ("GPU power", "W", ".power", None),
    ("CPU and memory", "%", "system", (0, 100)),
)
WINDOWS = ((10, "Last 10 min"), (30, "Last 30 min"), (60, "Last 60 min"))


class TelemetryView(QWidget):
    def __init__(self, context: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingTelemetry")
        self.bridge = TrainingBridge(context, self, telemetry=True)
        self.history = self.bridge.service.telemetry.history
        self.window = QComboBox()
        for minutes, title in WINDOWS:
            self.window.addItem(title, minutes)
        self.window.currentIndexChanged.connect(lambda *_: self.redraw())
        self.state = QLabel("Waiting for the first sample…")
        self.state.setProperty("role", "muted")
        self.state.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.state, 1)
        top.addWidget(self.window)
        grid = QGridLayout()
        colors = current_chart_colors()
        self.plots: list[tuple[Any, str, Any]] = []
        for number, (title, unit, key, y_range) in enumerate(PANELS):
            plot = pyqtgraph.PlotWidget(background=colors["background"],
                                        axisItems={"bottom": pyqtgraph.DateAxisItem()})
            plot.setTitle(title, color=colors["foreground"], size="9pt")
            plot.setLabel("left", unit)
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setMinimumHeight(120)
            plot.setMouseEnabled(x=False, y=False)
            if y_range:
                plot.setYRange(*y_range, padding=0.02)
            plot.addLegend(offset=(-5, 5))  # which GPU: this machine's, or a host's
            grid.addWidget(plot, number // 3, number % 3)
            self.plots.append((plot, key, y_range))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addLayout(grid, 1)
        self.latest: dict[str, TelemetrySample] = {}
        self.bridge.telemetry.connect(self.show_sample)
        theme = context.bus.subscribe("theme.changed", lambda *_: self._restyle(),
                                      owner="training")
        self.destroyed.connect(lambda *_: theme.unsubscribe())
        latest = self.bridge.service.telemetry.latest
        if latest is not None:
            self.show_sample(latest)

    def show_sample(self, sample: TelemetrySample) -> None:
        self.latest[sample.source] = sample  # this machine and each remote host
        self.state.setText(sources_text(self.latest) + ". Sampled every second.")
        self.redraw()

    def redraw(self) -> None:
        seconds = 60.0 * (self.window.currentData() or 10)
        now = time.time()
        colors = current_chart_colors()
        series_colors = colors["series"]
        keys = self.history.keys()
        for plot, suffix, _ in self.plots:
            plot.clear()
            if suffix == "system":
                wanted = [("cpu", "CPU"), ("memory", "Memory")]
            else:
                wanted = [(k, series_label(k)) for k in keys if k.endswith(suffix)]
            for number, (key, label) in enumerate(wanted):
                times, values = self.history.window(key, seconds, now)
                plot.plot(times, values, pen=pyqtgraph.mkPen(
                    series_colors[number % len(series_colors)], width=1.5), name=label,
                    connect="finite")
            plot.setXRange(now - seconds, now, padding=0)

    def _restyle(self) -> None:
        for plot, _, _ in self.plots:
            style_plot(plot, recolor_series=False)
        self.redraw()

    def sizeHint(self) -> Any:
        hint = super().sizeHint()
        hint.setHeight(max(hint.height(), 320))
        return hint

