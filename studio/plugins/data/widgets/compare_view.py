"""Compare Datasets: the open dataset next to another (sizes, rates, diversity, overlap)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.plugins.data.analytics import Table
from studio.plugins.data.compare import Comparison
from studio.plugins.data.widgets.common import ChartBox, DataListener, bars, muted, state_of
from studio.shell.api import ViewContext, icon

__all__ = ["CompareView"]


def draw_domains(plot: Any, table: Table, colors: dict[str, Any]) -> None:
    bars(plot, table.column("domain"), [(name, table.column(name)) for name in table.columns[1:]],
         colors)
    plot.setLabel("left", "accepted samples")


class CompareView(QWidget):
    def __init__(self, context: ViewContext) -> None:
        super().__init__()
        self.context = context
        self.state = state_of(context)
        self.other = QComboBox()
        self.other.setEditable(True)
        self.other.setMinimumContentsLength(30)
        browse = QPushButton(icon("mdi6.folder-open-outline"), "Browse…")
        browse.clicked.connect(self._browse)
        self.compare_button = QPushButton(icon("mdi6.compare-horizontal"), "Compare")
        self.compare_button.clicked.connect(self.compare)
        top = QHBoxLayout()
        top.addWidget(muted("Compare the open dataset with"))
        top.addWidget(self.other, 1)
        top.addWidget(browse)
        top.addWidget(self.compare_button)
        self.status = muted()
        self.summary = self._table()
        self.pairs = self._table()
        self.domains = ChartBox("Accepted samples per domain", draw_domains)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        split = QHBoxLayout()
        split.addWidget(self.summary, 1)
        split.addWidget(self.domains, 1)
        layout.addLayout(split, 2)
        layout.addWidget(muted("Near-duplicates between them"))
        layout.addWidget(self.pairs, 1)
        self.listener = DataListener(context, self)
        self.listener.comparison.connect(lambda e: self.show_comparison(e.comparison, e.error))
        self.listener.dataset.connect(lambda _e: self._fill_choices())
        self.listener.theme.connect(self.domains.redraw)
        self._fill_choices()

    def _table(self) -> QTableWidget:
        table = QTableWidget(0, 0)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setStretchLastSection(True)
        return table

    def _fill_choices(self) -> None:
        current = self.state.dataset.path if self.state.dataset is not None else None
        text = self.other.currentText()
        self.other.clear()
        for entry in self.state.datasets():
            if entry.path != current:
                self.other.addItem(entry.name, str(entry.path))
        if text:
            self.other.setEditText(text)

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Dataset Folder to Compare With",
                                                str(self.state.datasets_folder))
        if path:
            self.other.setEditText(path)

    def target(self) -> str:
        index = self.other.findText(self.other.currentText())
        return self.other.itemData(index) if index >= 0 else self.other.currentText().strip()

    def compare(self) -> None:
        if self.state.dataset is None:
            self.status.setText("Open a dataset first.")
            return
        if not self.target():
            self.status.setText("Choose a dataset folder to compare with.")
            return
        self.status.setText("Comparing…")
        self.state.compare_with(self.target())

    def show_comparison(self, comparison: Comparison | None, error: str = "") -> None:
        if comparison is None:
            self.status.setText(f"Comparison failed: {error}")
            return
        self.status.setText(f"{comparison.left.name} vs {comparison.right.name}")
        _fill(self.summary, comparison.summary())
        _fill(self.pairs, comparison.pairs())
        self.domains.set_table(comparison.domains())


def _fill(widget: QTableWidget, table: Table) -> None:
    widget.setColumnCount(len(table.columns))
    widget.setHorizontalHeaderLabels(list(table.columns))
    widget.setRowCount(len(table.rows))
    for row, values in enumerate(table.rows):
        for column, value in enumerate(values):
            text = "—" if value is None else (f"{value:.3f}" if isinstance(value, float)
                                              else str(value))
            widget.setItem(row, column, QTableWidgetItem(text))
