"""Two models side by side: all 36 registry fields, the differing ones highlighted."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.plugins.models.api import FieldComparison
from studio.plugins.models.present import format_value, title_of
from studio.plugins.models.schema import FIELDS
from studio.plugins.models.state import RegistrySnapshot, models_state
from studio.plugins.models.widgets.common import StateListener, muted_label
from studio.shell.api import ViewContext, current_theme

__all__ = ["CompareView"]


class CompareView(QWidget):
    """Pick two models; the table lists every field with differences marked."""

    def __init__(self, context: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelsCompare")
        self.state = models_state(context.studio)
        self.rows: list[FieldComparison] = []
        self.left = QComboBox()
        self.right = QComboBox()
        for combo in (self.left, self.right):
            combo.setMinimumContentsLength(24)
            combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.only_diff = QCheckBox("Only differences")
        self.only_diff.toggled.connect(lambda _on: self.refresh())
        self.summary = muted_label(wrap=False)
        pickers = QHBoxLayout()
        pickers.setContentsMargins(6, 4, 6, 0)
        pickers.addWidget(QLabel("A"))
        pickers.addWidget(self.left, 1)
        pickers.addWidget(QLabel("B"))
        pickers.addWidget(self.right, 1)
        pickers.addWidget(self.only_diff)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Field", "A", "B"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        layout.addLayout(pickers)
        layout.addWidget(self.table, 1)
        status = QHBoxLayout()
        status.setContentsMargins(6, 0, 6, 0)
        status.addWidget(self.summary)
        layout.addLayout(status)
        self.listener = StateListener(self.state, self)
        self.listener.snapshot.connect(self.apply_snapshot)
        self.apply_snapshot(self.state.snapshot)

    def apply_snapshot(self, snapshot: RegistrySnapshot) -> None:
        keep = (self.left.currentData(), self.right.currentData())
        ids = [(title_of(m), m["model_id"]) for m in snapshot.models]
        for combo, previous in zip((self.left, self.right), keep, strict=True):
            combo.blockSignals(True)
            combo.clear()
            for title, model_id in ids:
                combo.addItem(f"{title}  ({model_id})" if title != model_id else model_id,
                              model_id)
            index = combo.findData(previous)
            combo.setCurrentIndex(index if index >= 0 else -1)
            combo.blockSignals(False)
        if self.left.currentIndex() < 0 and ids:
            self.left.setCurrentIndex(0)
        if self.right.currentIndex() < 0 and len(ids) > 1:
            self.right.setCurrentIndex(1)
        self.refresh()

    def set_pair(self, left: str | None, right: str | None) -> None:
        """Preselect models (e.g. the list's selection as A); unknown ids are ignored."""
        for combo, model_id in ((self.left, left), (self.right, right)):
            if model_id is not None and combo.findData(model_id) >= 0:
                combo.setCurrentIndex(combo.findData(model_id))
        if right is None and self.left.currentData() == self.right.currentData():
            other = next((i for i in range(self.right.count())
                          if self.right.itemData(i) != self.left.currentData()), -1)
            self.right.setCurrentIndex(other)
        self.refresh()

    def refresh(self) -> None:
        snapshot = self.state.snapshot
        left, right = snapshot.get(self.left.currentData() or ""), \
            snapshot.get(self.right.currentData() or "")
        if left is None or right is None:
            self.rows = []
            self.table.setRowCount(0)
            self.summary.setText("Choose two models to compare." if len(snapshot.models) > 1
                                 else "Compare needs two registered models.")
            return
        self.rows = [FieldComparison(key, left[key], right[key]) for key in FIELDS]
        shown = [r for r in self.rows if r.differs or not self.only_diff.isChecked()]
        theme = current_theme()
        highlight = QColor(theme["warning"])
        highlight.setAlphaF(0.22)
        bold = QFont()
        bold.setBold(True)
        self.table.setRowCount(len(shown))
        for row, comparison in enumerate(shown):
            values = (("≠ " if comparison.differs else "") + comparison.field,
                      format_value(comparison.left), format_value(comparison.right))
            for column, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if comparison.differs:
                    item.setBackground(QBrush(highlight))
                    item.setFont(bold)
                self.table.setItem(row, column, item)
        self.table.resizeRowsToContents()
        differing = sum(r.differs for r in self.rows)
        self.summary.setText(f"{differing} of {len(self.rows)} fields differ")

    def differing_fields(self) -> list[str]:
        return [r.field for r in self.rows if r.differs]

    def cell(self, row: int, column: int) -> Any:
        item = self.table.item(row, column)
        return item.text() if item else None
