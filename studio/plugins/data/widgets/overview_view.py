"""Data Overview: acceptance, rejections, quality scores, trends, coverage, training runs."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.plugins.data import analytics
from studio.plugins.data.analytics import Table
from studio.plugins.data.dataset import Dataset
from studio.plugins.data.quality_files import QualityFiles
from studio.plugins.data.widgets.common import ChartBox, DataListener, bars, muted, state_of
from studio.shell.api import ViewContext, current_theme

__all__ = ["OverviewView"]


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def draw_domain_bars(plot: Any, table: Table, colors: dict[str, Any]) -> None:
    bars(plot, table.column(table.columns[0]),
         [(name, table.column(name)) for name in table.columns[1:3]], colors)
    plot.setLabel("left", "samples")


def draw_rate_bars(plot: Any, table: Table, colors: dict[str, Any]) -> None:
    rates = [100 * (r or 0.0) for r in table.column("acceptance_rate")]
    bars(plot, table.column(table.columns[0]), [("acceptance %", rates)], colors)
    plot.setYRange(0, 100)
    plot.setLabel("left", "acceptance %")


def draw_reasons(plot: Any, table: Table, colors: dict[str, Any]) -> None:
    series = [("this dataset", table.column("rejected"))]
    if "all_generators" in table.columns:
        series.append(("all generators (quality_feedback.json)", table.column("all_generators")))
    bars(plot, table.column("reason"), series, colors, horizontal=True)
    plot.setLabel("bottom", "rejected samples")
    plot.getPlotItem().invertY(True)


def draw_histogram(plot: Any, table: Table, colors: dict[str, Any]) -> None:
    import pyqtgraph

    starts, ends = table.column("bin_start"), table.column("bin_end")
    width = (ends[0] - starts[0]) if starts else 0.05
    plot.addLegend(offset=(10, 10))
    for number, name in enumerate(("accepted", "rejected")):
        item = pyqtgraph.BarGraphItem(
            x=[s + width * (0.25 + 0.5 * number) for s in starts], width=width * 0.5,
            height=table.column(name), brush=colors["series"][number], pen=None, name=name)
        plot.addItem(item)
    for label, value in table.marks:
        line = pyqtgraph.InfiniteLine(pos=value, angle=90, label=label,
                                      pen=pyqtgraph.mkPen(current_theme()["warning"], width=2,
                                                          style=Qt.PenStyle.DashLine),
                                      labelOpts={"position": 0.9, "color":
                                                 colors["foreground"], "rotateAxis": (1, 0)})
        plot.addItem(line)
    plot.setXRange(0, 1)
    plot.setLabel("bottom", "quality score")
    plot.setLabel("left", "samples")


def draw_line(plot: Any, table: Table, colors: dict[str, Any]) -> None:
    import pyqtgraph

    plot.plot(table.column(table.columns[0]), table.column(table.columns[1]),
              pen=pyqtgraph.mkPen(colors["series"][0], width=2), symbol="o", symbolSize=6,
              symbolBrush=colors["series"][0])
    plot.setLabel("bottom", table.columns[0])
    plot.setLabel("left", table.columns[1])


def draw_regions(plot: Any, table: Table, colors: dict[str, Any]) -> None:
    import pyqtgraph

    counts = table.column("samples")
    sparse = table.column("sparse")
    brushes = [current_theme()["warning"] if s else colors["series"][0] for s in sparse]
    plot.addItem(pyqtgraph.BarGraphItem(x=list(range(len(counts))), width=0.8, height=counts,
                                        brushes=brushes, pen=None))
    mean = sum(counts) / len(counts)
    plot.addItem(pyqtgraph.InfiniteLine(pos=mean, angle=0, label=f"average {mean:.1f}",
                                        pen=pyqtgraph.mkPen(colors["foreground"],
                                                            style=Qt.PenStyle.DashLine),
                                        labelOpts={"color": colors["foreground"]}))
    plot.setLabel("bottom", "region")
    plot.setLabel("left", "samples")


def draw_loss_vs_samples(plot: Any, table: Table, colors: dict[str, Any]) -> None:
    import pyqtgraph

    done = [r for r in table.rows if r[3] is not None and r[4] is not None]
    scatter = pyqtgraph.ScatterPlotItem(x=[r[3] for r in done], y=[r[4] for r in done], size=10,
                                        brush=colors["series"][1], pen=None)
    plot.addItem(scatter)
    for row in done:
        text = pyqtgraph.TextItem(row[1], color=colors["foreground"], anchor=(0, 1))
        text.setPos(row[3], row[4])
        plot.addItem(text)
    plot.setLabel("bottom", "samples")
    plot.setLabel("left", "final loss")


def draw_effectiveness(plot: Any, table: Table, colors: dict[str, Any]) -> None:
    bars(plot, table.column("domain"), [("effectiveness", table.column("effectiveness"))],
         colors)
    plot.setLabel("left", "loss improvement")


class OverviewView(QWidget):
    """Charts of the open dataset and of hafs's context-level quality files."""

    def __init__(self, context: ViewContext) -> None:
        super().__init__()
        self.context = context
        self.state = state_of(context)
        self.header = QLabel("Open a dataset in the Datasets view.")
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.tabs = QTabWidget()
        self.charts: dict[str, ChartBox] = {}
        self.tabs.addTab(self._page(
            ("domains", ChartBox("Accepted and rejected per domain", draw_domain_bars)),
            ("generators", ChartBox("Acceptance per generator (quality_feedback.json)",
                                    draw_rate_bars)),
            ("sources", ChartBox("Acceptance per source", draw_rate_bars))), "Acceptance")
        self.tabs.addTab(self._page(("reasons", ChartBox("Rejection reasons", draw_reasons))),
                         "Rejections")
        self.tabs.addTab(self._page(("scores", ChartBox("Quality scores", draw_histogram))),
                         "Quality")
        self.trends_table = QTableWidget(0, 5)
        self.trends_table.setHorizontalHeaderLabels(["domain", "metric", "values", "mean",
                                                     "direction"])
        self.trends_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.trends_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.trends_table.itemSelectionChanged.connect(self._show_trend)
        self.tabs.addTab(self._page(("trend", ChartBox("Selected trend", draw_line)),
                                    extra=self.trends_table), "Trends")
        self.coverage_label = muted()
        self.tabs.addTab(self._page(("regions", ChartBox("Embedding regions (active_learning"
                                                         ".json)", draw_regions)),
                                    extra=self.coverage_label), "Coverage")
        self.tabs.addTab(self._page(
            ("runs", ChartBox("Training runs: final loss vs samples", draw_loss_vs_samples)),
            ("effectiveness", ChartBox("Domain effectiveness", draw_effectiveness))), "Training")
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.tabs, 1)
        self._trends: list[analytics.Trend] = []
        self.listener = DataListener(context, self)
        self.listener.dataset.connect(lambda e: self.show_dataset(e.dataset, e.error))
        self.listener.quality.connect(lambda e: self.show_quality(e.files))
        self.listener.theme.connect(self._restyle)
        if self.state.dataset is not None:
            self.show_dataset(self.state.dataset)
        self.show_quality(self.state.quality)
        self.state.reload_quality()

    def _page(self, *charts: tuple[str, ChartBox], extra: QWidget | None = None) -> QWidget:
        inner = QWidget()
        layout = QVBoxLayout(inner)
        if extra is not None:
            layout.addWidget(extra)
        for name, chart in charts:
            self.charts[name] = chart
            layout.addWidget(chart)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        return scroll

    def _restyle(self) -> None:
        for chart in self.charts.values():
            chart.redraw()

    # -- rendering ---------------------------------------------------------------------------
    def show_dataset(self, dataset: Dataset | None, error: str = "") -> None:
        if dataset is None:
            if error:
                self.header.setText(f"<b>Could not load the dataset:</b> {error}")
            return
        counts = dataset.counts
        reasons = counts.reasons.most_common(1)
        top = f"{reasons[0][0]} ({reasons[0][1]:,})" if reasons else "—"
        malformed = dataset.malformed_count
        self.header.setText(
            f"<b>{dataset.name}</b> · {counts.accepted:,} accepted · {counts.rejected:,} "
            f"rejected · acceptance <b>{_percent(counts.acceptance_rate)}</b> · top rejection "
            f"reason {top}" + (f" · <span style='color:{current_theme()['error']}'>"
                               f"{malformed:,} malformed lines</span>" if malformed else ""))
        self.charts["domains"].set_table(analytics.acceptance_by_domain(counts))
        self.charts["sources"].set_table(analytics.acceptance_by_source(counts))
        self._draw_with_quality(dataset, self.state.quality)

    def _draw_with_quality(self, dataset: Dataset | None, files: QualityFiles) -> None:
        if dataset is None:
            return
        counts = dataset.counts
        feedback = files.quality if files.audit["quality_feedback.json"].loaded_at else None
        self.charts["reasons"].set_table(analytics.rejection_reasons(counts, feedback))
        domains = sorted(counts.domains_of(("train", "val", "test", "rejected")))
        self.charts["scores"].set_table(analytics.score_histogram(
            counts, marks=analytics.quality_thresholds(feedback, domains)))

    def show_quality(self, files: QualityFiles | None) -> None:
        if files is None:
            return
        self.charts["generators"].set_table(analytics.acceptance_by_generator(files.quality))
        self._trends = analytics.quality_trends(files.quality)
        self.trends_table.setRowCount(len(self._trends))
        for row, trend in enumerate(self._trends):
            for column, value in enumerate((trend.domain, trend.metric, len(trend.values),
                                            f"{trend.mean:.3f}", trend.direction)):
                self.trends_table.setItem(row, column, QTableWidgetItem(str(value)))
        self.trends_table.setToolTip(analytics.trends_table(self._trends).note)
        if self._trends and not self.trends_table.selectedItems():
            self.trends_table.selectRow(0)
        coverage = analytics.coverage(files.active)
        self.charts["regions"].set_table(analytics.coverage_regions(files.active))
        self.coverage_label.setText(
            "No regions in active_learning.json." if not coverage.num_regions else
            f"{coverage.total_samples:,} samples in {coverage.num_regions} regions "
            f"(configured: {coverage.configured_regions}) · coverage score "
            f"{coverage.coverage_score:.2f} (1 - std/mean) · {coverage.sparse_regions} below "
            f"the average, {coverage.very_sparse_regions} below half of it (orange), "
            f"{coverage.small_regions} under 20 samples")
        self.charts["runs"].set_table(analytics.training_runs(files.training))
        self.charts["effectiveness"].set_table(analytics.domain_effectiveness(files.training))
        self._draw_with_quality(self.state.dataset, files)

    def _show_trend(self) -> None:
        rows = {index.row() for index in self.trends_table.selectedIndexes()}
        if not rows:
            return
        trend = self._trends[min(rows)]
        self.charts["trend"].title.setText(f"<b>{trend.domain} · {trend.metric}</b> "
                                           f"({trend.direction})")
        self.charts["trend"].set_table(Table(
            f"{trend.domain} {trend.metric}", ("entry", trend.metric),
            list(enumerate(trend.values, 1)),
            note="rejection_history entries of this domain in file order"))
