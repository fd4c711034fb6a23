"""Diversity: figures per scope, near-duplicate clusters, lengths and the embedding map."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.plugins.data.analysis import DiversityResult
from studio.plugins.data.analytics import Table
from studio.plugins.data.widgets.common import ChartBox, DataListener, bars, muted, state_of
from studio.shell.api import ViewContext, icon

__all__ = ["DiversityView"]

_MAX_MAP_POINTS = 50_000  # drawn; the projection itself covers every sample


def draw_lengths(plot: Any, table: Table, colors: dict[str, Any]) -> None:
    starts = table.column("bin_start")
    ends = table.column("bin_end")
    labels = [f"{s:,.0f}" for s in starts]
    bars(plot, labels, [("samples", table.column("samples"))], colors)
    axis = plot.getAxis("bottom")
    axis.setTicks([[(i, labels[i]) for i in range(0, len(labels), max(1, len(labels) // 6))]])
    plot.setLabel("bottom", f"length ({table.title.split('(')[-1].rstrip(')')}), "
                            f"up to {ends[-1]:,.0f}")


class DiversityView(QWidget):
    def __init__(self, context: ViewContext) -> None:
        super().__init__()
        self.context = context
        self.state = state_of(context)
        self.result: DiversityResult | None = None
        self.analyse_button = QPushButton(icon("mdi6.chart-scatter-plot"), "Analyse")
        self.analyse_button.clicked.connect(self.state.analyse)
        self.status = muted("Open a dataset, then Analyse (embeddings are cached per file).")
        top = QHBoxLayout()
        top.addWidget(self.analyse_button)
        top.addWidget(self.status, 1)
        self.figures = self._table(["scope", "samples", "distinct-1", "distinct-2",
                                    "mean cos dist", "Vendi"])
        self.clusters = self._table(["cluster", "size", "Jaccard", "split", "line", "domain",
                                     "instruction"])
        self.clusters.itemActivated.connect(self._open_cluster_row)
        self.clusters.itemDoubleClicked.connect(self._open_cluster_row)
        self.colour_by = QComboBox()
        self.colour_by.addItem("Colour by domain", "domain")
        self.colour_by.addItem("Colour by accepted / rejected", "split")
        self.colour_by.currentIndexChanged.connect(lambda _i: self._draw_map())
        self.map = ChartBox("Embedding map", self._draw_map_into, height=320)
        self.map_note = muted("Click a point to open that sample in Sample Review.")
        self.lengths = {field: ChartBox(f"{field.title()} length", draw_lengths)
                        for field in ("instruction", "output")}
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.addLayout(top)
        layout.addWidget(QLabel("<b>Diversity</b>"))
        layout.addWidget(self.figures)
        layout.addWidget(QLabel("<b>Near-duplicate clusters</b> (double-click a row to open "
                                "the sample)"))
        layout.addWidget(self.clusters)
        layout.addWidget(self.colour_by)
        layout.addWidget(self.map)
        layout.addWidget(self.map_note)
        for chart in self.lengths.values():
            layout.addWidget(chart)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self._scatter: Any = None
        self._shown: list[int] = []
        self.listener = DataListener(context, self)
        self.listener.diversity.connect(lambda e: self.show_result(e.result, e.error))
        self.listener.dataset.connect(lambda _e: self._dataset_changed())
        self.listener.theme.connect(self._restyle)
        if self.state.diversity is not None:
            self.show_result(self.state.diversity)

    def _table(self, headers: list[str]) -> QTableWidget:
        table = QTableWidget(0, len(headers))
        table.setHorizontalHeaderLabels(headers)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setStretchLastSection(True)
        table.setMinimumHeight(140)
        return table

    def _restyle(self) -> None:
        self.map.redraw()
        for chart in self.lengths.values():
            chart.redraw()

    def _dataset_changed(self) -> None:
        self.result = None
        self.status.setText("Dataset loaded: press Analyse for diversity, duplicates and the map.")

    def show_result(self, result: DiversityResult | None, error: str = "") -> None:
        if result is None:
            if error:
                self.status.setText(f"Analysis failed: {error}")
            return
        self.result = result
        duplicates = result.duplicates
        self.status.setText(
            f"{result.embedder} · {result.cached_files} file(s) from the cache"
            + (f" · {result.embedder_note}" if result.embedder_note else "")
            + f" · {len(duplicates.clusters):,} near-duplicate clusters, "
              f"{duplicates.removable:,} removable (Jaccard ≥ {duplicates.threshold})")
        self.figures.setRowCount(len(result.figures))
        for row, f in enumerate(result.figures):
            for column, value in enumerate((f.scope, f"{f.samples:,}", _f(f.distinct_1),
                                            _f(f.distinct_2), _f(f.mean_cosine_distance),
                                            _f(f.vendi, 1))):
                self.figures.setItem(row, column, QTableWidgetItem(value))
        table = result.clusters_table()
        self.clusters.setRowCount(len(table.rows))
        for row, values in enumerate(table.rows):
            number, size, jaccard, split, line, domain, key, instruction = values
            for column, value in enumerate((number, size, f"{jaccard:.2f}", split, line, domain,
                                            instruction)):
                item = QTableWidgetItem(str(value))
                item.setData(Qt.ItemDataRole.UserRole, key)
                self.clusters.setItem(row, column, item)
        for field, chart in self.lengths.items():
            chart.set_table(result.lengths.histogram(field), note=result.lengths.tokenizer)
        self._draw_map()

    def _open_cluster_row(self, item: QTableWidgetItem) -> None:
        self.state.open_sample(item.data(Qt.ItemDataRole.UserRole))

    # -- the map -----------------------------------------------------------------------------
    def _draw_map(self) -> None:
        result = self.result
        if result is None:
            return
        samples = result.dataset.samples
        points = result.projection.points
        step = max(1, len(samples) // _MAX_MAP_POINTS)
        self._shown = list(range(0, len(samples), step))
        x = points[self._shown, 0].tolist()
        y = points[self._shown, 1].tolist()
        mode = self.colour_by.currentData()
        names = [samples[i].domain if mode == "domain" else
                 ("accepted" if samples[i].accepted else "rejected") for i in self._shown]
        self.map.set_table(Table("Embedding map", ("x", "y", "group", "key"),
                                 [(x[i], y[i], names[i], samples[j].key)
                                  for i, j in enumerate(self._shown)]),
                           note=self._map_note(result))

    def _map_note(self, result: DiversityResult) -> str:
        projection = result.projection
        axes = ", ".join(f"{100 * e:.1f} %" for e in projection.explained)
        text = f"{projection.method.upper()}" + (f" (variance explained: {axes})" if axes else "")
        if projection.note:
            text += f" · {projection.note}"
        if len(self._shown) < len(result.dataset.samples):
            text += f" · every {len(result.dataset.samples) // len(self._shown)}th sample drawn"
        return text + " · click a point to open the sample"

    def _draw_map_into(self, plot: Any, table: Table, colors: dict[str, Any]) -> None:
        import pyqtgraph

        groups = sorted(set(table.column("group")))
        palette = {g: colors["series"][i % len(colors["series"])] for i, g in enumerate(groups)}
        plot.addLegend(offset=(-10, 10))
        for group in groups:
            rows = [r for r in table.rows if r[2] == group]
            scatter = pyqtgraph.ScatterPlotItem(
                x=[r[0] for r in rows], y=[r[1] for r in rows], data=[r[3] for r in rows],
                size=7, pen=None, brush=pyqtgraph.mkBrush(palette[group]), name=group,
                hoverable=True)
            scatter.sigClicked.connect(self._point_clicked)
            plot.addItem(scatter)
        plot.setLabel("bottom", "component 1")
        plot.setLabel("left", "component 2")

    def _point_clicked(self, _item: Any, points: Any, *_: Any) -> None:
        if len(points):
            self.state.open_sample(str(points[0].data()))


def _f(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"
