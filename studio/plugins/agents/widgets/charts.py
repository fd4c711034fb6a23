"""Per-minute charts of one agent from agents.jsonl: throughput, latency, failures."""

from __future__ import annotations

import math

from PySide6.QtWidgets import QVBoxLayout, QWidget

from studio.plugins.agents.api import ChartSeries
from studio.plugins.agents.widgets.common import muted
from studio.shell.api import current_theme

__all__ = ["AgentCharts"]


class AgentCharts(QWidget):
    """Three stacked plots sharing a time axis (pyqtgraph, imported on first use)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        import pyqtgraph

        from studio.shell.api import current_chart_colors

        colors = current_chart_colors()
        self.series: ChartSeries | None = None
        self.plots = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        first = None
        for key, title, unit in (("throughput", "Tasks done per minute", ""),
                                 ("latency", "Mean latency", "ms"),
                                 ("failures", "Failures per minute", "")):
            axis = pyqtgraph.DateAxisItem(orientation="bottom")
            plot = pyqtgraph.PlotWidget(background=colors["background"],
                                        axisItems={"bottom": axis})
            plot.setObjectName(f"agentChart-{key}")
            plot.setMinimumHeight(110)
            plot.setMaximumHeight(170)
            plot.showGrid(x=True, y=True, alpha=0.25)
            plot.setTitle(title, size="9pt")
            plot.setLabel("left", unit)
            plot.setMouseEnabled(x=True, y=False)
            plot.getAxis("left").setWidth(52)  # aligned plots share one time axis position
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            layout.addWidget(plot)
            self.plots[key] = plot
        self.note = muted()
        layout.addWidget(self.note)

    def show_series(self, series: ChartSeries | None) -> None:
        if series == self.series:
            return
        self.series = series
        import pyqtgraph

        from studio.shell.api import current_chart_colors, style_plot

        colors = current_chart_colors()
        for plot in self.plots.values():
            plot.clear()
        if series is None or not series.minutes:
            self.note.setText("No task events for this agent in agents.jsonl: the charts fill "
                              "in as it reports start/success/failure lines.")
            return
        self.note.setText(f"{len(series.minutes)} minutes with task events, "
                          f"{sum(series.successes):,} done, {sum(series.failures):,} failed")
        xs = [x + 30.0 for x in series.minutes]  # bars centred on their minute
        width = 50.0  # seconds: a little narrower than the minute, so bars stay apart
        theme = current_theme()
        self.plots["throughput"].addItem(pyqtgraph.BarGraphItem(
            x=xs, height=list(series.successes), width=width, brush=theme["success"], pen=None))
        latency = [(x, y) for x, y in zip(xs, series.mean_latency_ms, strict=True)
                   if not math.isnan(y)]
        if latency:
            lx, ly = zip(*latency, strict=True)
            self.plots["latency"].plot(list(lx), list(ly),
                                       pen=pyqtgraph.mkPen(colors["accent"], width=2),
                                       symbol="o" if len(latency) < 40 else None, symbolSize=5,
                                       symbolBrush=colors["accent"], symbolPen=None)
        self.plots["failures"].addItem(pyqtgraph.BarGraphItem(
            x=xs, height=list(series.failures), width=width, brush=theme["error"], pen=None))
        for plot in self.plots.values():
            style_plot(plot, colors, recolor_series=False)
            plot.enableAutoRange(axis="y")
        # One shared time range (the x axes are linked): from the first to the last minute.
        self.plots["throughput"].setXRange(series.minutes[0] - 30, series.minutes[-1] + 90,
                                           padding=0)

    def restyle(self) -> None:
        from studio.shell.api import style_plot

        for plot in self.plots.values():
            style_plot(plot, recolor_series=False)
        series, self.series = self.series, None
        self.show_series(series)
