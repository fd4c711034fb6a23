"""Pieces every Data view uses: the bus → Qt bridge, themed charts with PNG/CSV export."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.api import atomic_write_text
from studio.plugins.data.analytics import Table
from studio.plugins.data.api import data_state
from studio.plugins.data.state import (
    ComparisonReady,
    DatasetLoaded,
    DatasetsListed,
    DataState,
    DiversityReady,
    NearDuplicatesFound,
    QualityFilesLoaded,
    ReviewSaved,
    SampleRequested,
)
from studio.shell.api import current_chart_colors, current_theme, icon, style_plot

__all__ = ["ChartBox", "DataListener", "muted", "state_of"]


def state_of(context: Any) -> DataState:
    return data_state(context.studio)


class DataListener(QObject):
    """Re-emits the Data state's bus events as Qt signals on the GUI thread.

    The shell's dispatcher delivers ``thread="main"`` events on the GUI thread; in tests
    without it they arrive on the publishing (job) thread, and the queued signal hop makes
    both safe. Subscriptions end with the owning widget.
    """

    dataset = Signal(object)  # DatasetLoaded
    datasets = Signal(object)  # DatasetsListed
    near_duplicates = Signal(object)  # NearDuplicatesFound
    diversity = Signal(object)  # DiversityReady
    quality = Signal(object)  # QualityFilesLoaded
    comparison = Signal(object)  # ComparisonReady
    open_sample = Signal(str)
    review = Signal(object)  # ReviewSaved
    theme = Signal()

    def __init__(self, context: Any, parent: QObject) -> None:
        super().__init__(parent)
        bus = context.studio.bus
        pairs: list[tuple[str, Callable[[Any], None]]] = [
            (DatasetLoaded.topic, self.dataset.emit), (DiversityReady.topic, self.diversity.emit),
            (DatasetsListed.topic, self.datasets.emit),
            (NearDuplicatesFound.topic, self.near_duplicates.emit),
            (QualityFilesLoaded.topic, self.quality.emit),
            (ComparisonReady.topic, self.comparison.emit),
            (SampleRequested.topic, lambda e: self.open_sample.emit(e.key)),
            (ReviewSaved.topic, self.review.emit), ("theme.changed", lambda _e: self.theme.emit()),
        ]
        self._subscriptions = [bus.subscribe(topic, emit, owner="data")
                               for topic, emit in pairs]
        parent.destroyed.connect(lambda *_: self.close())

    def close(self) -> None:
        for subscription in self._subscriptions:
            subscription.unsubscribe()
        self._subscriptions = []


def muted(text: str = "", wrap: bool = True) -> QLabel:
    label = QLabel(text)
    label.setProperty("role", "muted")
    label.setWordWrap(wrap)
    return label


class ChartBox(QWidget):
    """A titled pyqtgraph chart drawn from a :class:`Table`, exportable to PNG and CSV.

    ``draw(plot, table, colors)`` paints the table; it runs again on every theme change so
    bars, lines and text take the theme's chart colours.
    """

    def __init__(self, title: str, draw: Callable[[Any, Table, dict[str, Any]], None],
                 parent: QWidget | None = None, *, height: int = 240) -> None:
        super().__init__(parent)
        import pyqtgraph

        self._draw = draw
        self.table: Table | None = None
        colors = current_chart_colors()
        self.plot = pyqtgraph.PlotWidget(background=colors["background"])
        self.plot.setMinimumHeight(height)
        self.plot.setMenuEnabled(False)
        self.title = QLabel(f"<b>{title}</b>")
        self.note = muted()
        self.png_button = self._tool("mdi6.image-outline", "Save the chart as PNG…",
                                     self._ask_png)
        self.csv_button = self._tool("mdi6.file-delimited-outline",
                                     "Save the chart's data as CSV…", self._ask_csv)
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.png_button)
        header.addWidget(self.csv_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.addLayout(header)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.note)

    def _tool(self, name: str, tip: str, slot: Callable[[], None]) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon(name))
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        return button

    def set_table(self, table: Table | None, note: str = "") -> None:
        self.table = table
        self.note.setText(note or (table.note if table is not None else ""))
        self.note.setVisible(bool(self.note.text()))
        self.redraw()

    def redraw(self) -> None:
        colors = current_chart_colors()
        self.plot.clear()
        item = self.plot.getPlotItem()
        if item.legend is not None:
            item.legend.clear()
        if self.table is not None and self.table.rows:
            self._draw(self.plot, self.table, dict(colors))
        style_plot(self.plot, colors, recolor_series=False)
        self.plot.showGrid(x=False, y=True, alpha=0.25)
        # Lay the plot out now: its axes have just been resized for the new tick numbers and
        # label, and pyqtgraph's layout would catch up only frames later, so the y label was
        # first drawn over the numbers (and stayed so in `--screenshot` pictures).
        self.plot.getPlotItem().layout.activate()

    # -- export ------------------------------------------------------------------------------
    def export_png(self, path: str | Path) -> None:
        if not self.plot.grab().save(str(path), "PNG"):
            raise OSError(f"cannot write {path}")

    def export_csv(self, path: str | Path) -> None:
        atomic_write_text(path, self.table.to_csv() if self.table is not None else "")

    def _ask_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save Chart as PNG", "chart.png",
                                              "PNG images (*.png)")
        if path:
            self.export_png(path)

    def _ask_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save Chart Data as CSV", "chart.csv",
                                              "CSV files (*.csv)")
        if path:
            self.export_csv(path)


def bars(plot: Any, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]],
         colors: dict[str, Any], *, horizontal: bool = False) -> None:
    """Grouped bars: one group per label, one bar per series (legend when > 1 series)."""
    import pyqtgraph

    count = max(1, len(series))
    width = 0.8 / count
    if len(series) > 1:
        # Groups come largest first, so the corner away from the big bars is free: top right
        # for columns (they shrink to the right), bottom right for rows (they shrink downwards).
        plot.addLegend(offset=(-10, -10) if horizontal else (-10, 10))
    for number, (name, values) in enumerate(series):
        positions = [i - 0.4 + width * (number + 0.5) for i in range(len(labels))]
        brush = pyqtgraph.mkBrush(colors["series"][number % len(colors["series"])])
        if horizontal:
            item = pyqtgraph.BarGraphItem(y=positions, height=width, x0=0, width=list(values),
                                          brush=brush, pen=None, name=name)
        else:
            item = pyqtgraph.BarGraphItem(x=positions, width=width, height=list(values),
                                          brush=brush, pen=None, name=name)
        plot.addItem(item)  # a named item joins the legend by itself
    axis = plot.getAxis("left" if horizontal else "bottom")
    axis.setTicks([list(enumerate(labels))])


def error_color() -> str:
    return str(current_theme()["error"])


def accent_color() -> str:
    return str(current_theme()["accent"])


def label_text(widget: QLabel, text: str) -> None:
    widget.setText(text)
    widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
