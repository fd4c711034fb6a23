"""Charts of any metric of the selected runs (pyqtgraph), a thin view over ``chartdata``.

Raw and EMA-smoothed curves, log scale, x axis step / epoch / relative time / wall time,
several runs overlaid with a legend, start-aligned steps for resumed runs, a crosshair with
values, PNG/SVG/CSV export. Only the visible, per-pixel downsampled points are handed to
pyqtgraph (see :mod:`studio.plugins.training.chartdata`), so a 1M-point series pans and zooms
smoothly; new data is drawn when the monitor publishes it (every 0.5 s at most).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pyqtgraph
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.api import atomic_write_text
from studio.plugins.training.api import RunsUpdated
from studio.plugins.training.chartdata import (
    X_AXES,
    PreparedSeries,
    prepare_series,
    series_csv,
    visible_indices,
)
from studio.plugins.training.present import format_loss
from studio.plugins.training.runs import LOSS_NAMES
from studio.plugins.training.widgets.bridge import TrainingBridge
from studio.shell.api import current_chart_colors, icon, style_plot

__all__ = ["ChartView"]


class _Curve:
    """One run's raw and smoothed curves plus its prepared full-resolution data."""

    def __init__(self, plot: Any, color: str, label: str) -> None:
        faint = pyqtgraph.mkColor(color)
        faint.setAlpha(70)
        self.raw = plot.plot([], [], pen=pyqtgraph.mkPen(color, width=1.5), name=label)
        self.smooth = plot.plot([], [], pen=pyqtgraph.mkPen(color, width=2))
        self.faint_pen = pyqtgraph.mkPen(faint, width=1)
        self.full_pen = pyqtgraph.mkPen(color, width=1.5)
        self.data: PreparedSeries | None = None
        self.key: tuple[Any, ...] | None = None

    def remove(self, plot: Any) -> None:
        plot.removeItem(self.raw)
        plot.removeItem(self.smooth)


class ChartView(QWidget):
    def __init__(self, context: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingCharts")
        self.context = context
        self.bridge = TrainingBridge(context, self)
        self.service = self.bridge.service
        self.run_ids: tuple[str, ...] = self.service.selected
        self.curves: dict[str, _Curve] = {}
        self.redraws = 0
        self._layout: tuple[Any, ...] = ()

        self.metric = QComboBox()
        self.metric.setMinimumContentsLength(14)
        self.metric.setToolTip("Metric to chart (any numeric key the runs log)")
        self.x_axis = QComboBox()
        for key, title in X_AXES.items():
            self.x_axis.addItem(title, key)
        self.align = QCheckBox("Align starts")
        self.align.setToolTip("Start every run at step 0 (overlay runs resumed from a "
                              "checkpoint on fresh ones)")
        self.log_scale = QCheckBox("Log")
        self.smoothing = QSlider(Qt.Orientation.Horizontal)
        self.smoothing.setRange(0, 99)
        self.smoothing.setValue(60)
        self.smoothing.setFixedWidth(110)
        self.smoothing_label = QLabel()
        self.smoothing_label.setProperty("role", "muted")
        export = QToolButton()
        export.setIcon(icon("mdi6.export"))
        export.setToolTip("Export the chart (PNG, SVG) or its data (CSV)")
        export.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(export)
        for kind in ("png", "svg", "csv"):
            menu.addAction(f"Export {kind.upper()}…").triggered.connect(
                lambda _=False, k=kind: self._export_dialog(k))
        export.setMenu(menu)

        controls = QHBoxLayout()
        for widget in (QLabel("Metric"), self.metric, QLabel("x"), self.x_axis, self.align,
                       self.log_scale, QLabel("Smoothing"), self.smoothing,
                       self.smoothing_label):
            controls.addWidget(widget)
        controls.addStretch(1)
        controls.addWidget(export)

        colors = current_chart_colors()
        self.plot = pyqtgraph.PlotWidget(background=colors["background"])
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.addLegend(offset=(-10, 10))
        self.plot.setClipToView(True)
        self.crosshair = pyqtgraph.InfiniteLine(angle=90, movable=False,
                                                pen=pyqtgraph.mkPen(colors["grid"], width=1))
        self.crosshair.hide()
        self.plot.addItem(self.crosshair, ignoreBounds=True)
        self.readout = QLabel(" ")
        self.readout.setProperty("role", "mono")
        self.empty = QLabel("Select one or more runs in Training Runs to chart them.")
        self.empty.setProperty("role", "muted")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(controls)
        layout.addWidget(self.readout)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.empty)

        self._range_timer = QTimer(self)
        self._range_timer.setSingleShot(True)
        self._range_timer.setInterval(0)
        self._range_timer.timeout.connect(self._update_visible)
        self.plot.getViewBox().sigRangeChanged.connect(lambda *_: self._range_timer.start())
        self._mouse = pyqtgraph.SignalProxy(self.plot.scene().sigMouseMoved, rateLimit=60,
                                            slot=self._mouse_moved)
        for signal in (self.metric.currentTextChanged, self.x_axis.currentIndexChanged,
                       self.align.toggled, self.smoothing.valueChanged):
            signal.connect(lambda *_: self.rebuild())
        self.log_scale.toggled.connect(self._set_log)
        self.bridge.runs.connect(self._on_runs)
        self.bridge.selection.connect(self.show_runs)
        theme = context.bus.subscribe("theme.changed", lambda *_: self._restyle(),
                                      owner="training")
        self.destroyed.connect(lambda *_: theme.unsubscribe())
        self._update_smoothing_label()
        self.show_runs(self.run_ids)

    # -- data ------------------------------------------------------------------------------
    @property
    def smoothing_weight(self) -> float:
        return self.smoothing.value() / 100.0

    def show_runs(self, run_ids: tuple[str, ...]) -> None:
        self.run_ids = tuple(run_ids)
        self._refresh_metrics()
        self.rebuild()

    def _on_runs(self, event: RunsUpdated) -> None:
        if not self.run_ids and self.service.selected:
            self.run_ids = self.service.selected
        if set(self.run_ids) & event.changed or not self.curves:
            self._refresh_metrics()
            self.rebuild(only_changed=True)

    def _runs(self) -> list[Any]:
        monitor = self.service.monitor
        return [run for run in (monitor.run(run_id) for run_id in self.run_ids) if run]

    def _refresh_metrics(self) -> None:
        names: set[str] = set()
        for run in self._runs():
            names.update(run.metric_names())
        current = self.metric.currentText()
        ordered = sorted(names, key=lambda n: (
            LOSS_NAMES.index(n) if n in LOSS_NAMES else len(LOSS_NAMES), n))
        if ordered == [self.metric.itemText(i) for i in range(self.metric.count())]:
            return
        self.metric.blockSignals(True)
        self.metric.clear()
        self.metric.addItems(ordered)
        if current in names:
            self.metric.setCurrentText(current)
        self.metric.blockSignals(False)

    def rebuild(self, *, only_changed: bool = False) -> None:
        """Re-prepare each run's series (only those whose data or options changed)."""
        self._update_smoothing_label()
        metric = self.metric.currentText()
        runs = self._runs() if metric else []
        colors = current_chart_colors()["series"]
        wanted = {run.source.id for run in runs}
        for run_id in [r for r in self.curves if r not in wanted]:
            self.curves.pop(run_id).remove(self.plot)
        x_axis = self.x_axis.currentData() or "step"
        self._set_axis(x_axis)
        for number, run in enumerate(runs):
            view = run.series(metric)
            curve = self.curves.get(run.source.id)
            if curve is None:
                curve = self.curves[run.source.id] = _Curve(
                    self.plot, colors[number % len(colors)], run.source.name)
            key = (metric, x_axis, self.align.isChecked(), self.smoothing_weight,
                   0 if view is None else len(view), run.version)
            if only_changed and curve.key == key:
                continue
            curve.key = key
            curve.data = None if view is None else prepare_series(
                view, label=run.source.name, x_axis=x_axis, align_start=self.align.isChecked(),
                smoothing=self.smoothing_weight)
        self.plot.setLabel("bottom", X_AXES[x_axis])
        has_data = any(c.data is not None and len(c.data) for c in self.curves.values())
        self.empty.setVisible(not has_data)
        self.empty.setText("Select one or more runs in Training Runs to chart them."
                           if not self.run_ids else f"No '{metric}' data in the selected runs"
                           if metric else "The selected runs have no metrics yet.")
        layout = (metric, x_axis, self.align.isChecked(), tuple(self.curves))
        if layout != self._layout:
            self._layout = layout
            self.plot.enableAutoRange()  # a new chart; new data keeps the user's zoom
        self._update_visible()

    def _set_axis(self, x_axis: str) -> None:
        item = self.plot.getPlotItem()
        wants_dates = x_axis == "wall"
        if isinstance(item.getAxis("bottom"), pyqtgraph.DateAxisItem) != wants_dates:
            axis = pyqtgraph.DateAxisItem(orientation="bottom") if wants_dates \
                else pyqtgraph.AxisItem(orientation="bottom")
            item.setAxisItems({"bottom": axis})
            style_plot(self.plot, recolor_series=False)

    def _set_log(self, enabled: bool) -> None:
        self.plot.setLogMode(y=enabled)
        self._update_visible()

    # -- drawing ---------------------------------------------------------------------------
    def _update_visible(self) -> None:
        """Hand pyqtgraph only the visible points, at most two per pixel column."""
        view_box = self.plot.getViewBox()
        (x_min, x_max), _ = view_box.viewRange()
        pixels = max(64, int(view_box.width()) or 800)
        if self.plot.getPlotItem().ctrl.logXCheck.isChecked():
            x_min, x_max = 10**x_min, 10**x_max
        smoothing = self.smoothing_weight > 0
        autoranging = bool(view_box.autoRangeEnabled()[0])
        for curve in self.curves.values():
            data = curve.data
            if data is None or not len(data):
                curve.raw.setData([], [])
                curve.smooth.setData([], [])
                continue
            if autoranging:
                lo, hi = float(data.x[0]), float(data.x[-1])
            else:
                lo, hi = x_min, x_max
            index = visible_indices(data.x, data.y, lo, hi, pixels)
            curve.raw.setPen(curve.faint_pen if smoothing else curve.full_pen)
            curve.raw.setData(data.x[index], data.y[index])
            if smoothing and data.smoothed is not None:
                curve.smooth.setData(data.x[index], data.smoothed[index])
            else:
                curve.smooth.setData([], [])
        self.redraws += 1

    def _mouse_moved(self, event: Any) -> None:
        position = event[0]
        if not self.plot.sceneBoundingRect().contains(position) or not self.curves:
            return
        point = self.plot.getViewBox().mapSceneToView(position)
        x = point.x()
        self.crosshair.setPos(x)
        self.crosshair.show()
        self.readout.setText(self.values_at(x))

    def values_at(self, x: float) -> str:
        """The crosshair's text: the metric, then each run's point nearest ``x``."""
        parts = []
        nearest_x = None
        for curve in self.curves.values():
            found = curve.data.value_at(x) if curve.data is not None else None
            if found is None:
                continue
            nearest_x, raw, smooth = found
            text = f"{curve.data.label}: {format_loss(raw)}"
            if smooth is not None and self.smoothing_weight > 0:
                text += f" (smoothed {format_loss(smooth)})"
            parts.append(text)
        if not parts:
            return " "
        axis = X_AXES[self.x_axis.currentData() or "step"].split(" (")[0].lower()
        where = f"{nearest_x:g}" if axis != "wall time" else \
            datetime.fromtimestamp(nearest_x).strftime("%H:%M:%S")
        return f"{self.metric.currentText()} @ {axis} {where} — " + " · ".join(parts)

    def _update_smoothing_label(self) -> None:
        weight = self.smoothing_weight
        self.smoothing_label.setText("off" if weight == 0 else f"{weight:.2f}")

    def _restyle(self) -> None:
        style_plot(self.plot, recolor_series=False)

    # -- export ----------------------------------------------------------------------------
    def _export_dialog(self, kind: str) -> None:
        filters = {"png": "PNG image (*.png)", "svg": "SVG image (*.svg)",
                   "csv": "CSV data (*.csv)"}
        path, _ = QFileDialog.getSaveFileName(self, f"Export {kind.upper()}",
                                              f"{self.metric.currentText() or 'chart'}.{kind}",
                                              filters[kind])
        if path:
            self.export_to(Path(path), kind)

    def export_to(self, path: Path, kind: str) -> Path:
        """Write the chart as PNG/SVG, or every plotted point (full resolution) as CSV."""
        if kind == "csv":
            series = [c.data for c in self.curves.values() if c.data is not None]
            atomic_write_text(path, series_csv(series, self.x_axis.currentData() or "step"))
            return path
        temporary = path.with_name(f".{path.name}.partial{path.suffix}")
        try:
            if kind == "png":
                from pyqtgraph import exporters

                exporters.ImageExporter(self.plot.getPlotItem()).export(str(temporary))
            else:
                # Qt's own SVG generator: pyqtgraph's SVGExporter fails on the paths Qt 6
                # writes ("M x y" without commas).
                from PySide6.QtCore import QRect
                from PySide6.QtGui import QPainter
                from PySide6.QtSvg import QSvgGenerator

                generator = QSvgGenerator()
                generator.setFileName(str(temporary))
                generator.setSize(self.plot.size())
                generator.setViewBox(QRect(0, 0, self.plot.width(), self.plot.height()))
                generator.setTitle(self.metric.currentText())
                painter = QPainter(generator)
                self.plot.render(painter)
                painter.end()
            temporary.replace(path)
        finally:
            temporary.unlink(missing_ok=True)
        return path
