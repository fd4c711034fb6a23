"""The runs list: name, source, status, progress, step/max, epoch, ETA, last update, loss."""

from __future__ import annotations

import math
import time
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSortFilterProxyModel,
    Qt,
    QTimer,
)
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.plugins.training.api import RunSummary, RunsUpdated
from studio.plugins.training.present import (
    STATUS_COLORS,
    format_eta,
    format_loss,
    format_origin,
    format_step,
    time_ago,
)
from studio.plugins.training.widgets.bridge import TrainingBridge
from studio.shell.api import icon

__all__ = ["COLUMNS", "RunsTableModel", "RunsView"]

COLUMNS = ("Run", "Source", "Status", "Progress", "Step", "Epoch", "ETA", "Updated", "Loss",
           "Best loss")
PROGRESS = COLUMNS.index("Progress")
SORT_ROLE = Qt.ItemDataRole.UserRole + 1


class RunsTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.runs: list[RunSummary] = []
        self.now = time.time()

    def set_runs(self, runs: tuple[RunSummary, ...]) -> None:
        self.now = time.time()
        ids = [run.id for run in runs]
        if ids == [run.id for run in self.runs]:
            self.runs = list(runs)  # same rows: repaint in place (keeps selection and scroll)
            if runs:
                self.dataChanged.emit(self.index(0, 0),
                                      self.index(len(runs) - 1, len(COLUMNS) - 1))
            return
        self.beginResetModel()
        self.runs = list(runs)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.runs)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        run = self.runs[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(run, column)
        if role == SORT_ROLE:
            return self._sort_key(run, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == COLUMNS.index("Status"):
            return QColor(STATUS_COLORS[run.status])
        if role == Qt.ItemDataRole.ToolTipRole:
            parts = [run.name, f"{run.status.value}: {run.status_reason}",
                     run.folder or run.log_file or "", *run.errors]
            return "\n".join(p for p in parts if p)
        if role == Qt.ItemDataRole.UserRole:
            return run
        return None

    def _text(self, run: RunSummary, column: int) -> str:
        name = COLUMNS[column]
        if name == "Run":
            return run.name
        if name == "Source":
            return format_origin(run.origin)
        if name == "Status":
            return run.status.value
        if name == "Progress":
            return "" if run.fraction is None else f"{run.fraction:.0%}"
        if name == "Step":
            return format_step(run.global_step, run.max_steps)
        if name == "Epoch":
            return "—" if run.epoch is None else f"{run.epoch:.2f}"
        if name == "ETA":
            return format_eta(run.eta_seconds)
        if name == "Updated":
            return time_ago(run.last_update, self.now)
        if name == "Loss":
            return format_loss(run.loss)
        return format_loss(run.best_loss)

    def _sort_key(self, run: RunSummary, column: int) -> Any:
        name = COLUMNS[column]
        numbers = {"Progress": run.fraction, "Step": run.global_step, "Epoch": run.epoch,
                   "ETA": run.eta_seconds, "Updated": run.last_update, "Loss": run.loss,
                   "Best loss": run.best_loss}
        if name in numbers:
            value = numbers[name]
            return -1e300 if value is None or math.isnan(value) else float(value)
        return self._text(run, column).lower()


class ProgressDelegate(QStyledItemDelegate):
    """A thin progress bar with the percentage, coloured by status."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        run: RunSummary | None = index.data(Qt.ItemDataRole.UserRole)
        super().paint(painter, option, index) if run is None or run.fraction is None else None
        if run is None or run.fraction is None:
            return
        rect: QRect = option.rect.adjusted(4, 6, -4, -6)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        track = QColor(option.palette.mid().color())
        track.setAlpha(90)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(track)
        painter.drawRoundedRect(rect, 3, 3)
        filled = QRect(rect)
        filled.setWidth(max(2, int(rect.width() * run.fraction)))
        painter.setBrush(QColor(STATUS_COLORS[run.status]))
        painter.drawRoundedRect(filled, 3, 3)
        painter.setPen(option.palette.text().color())
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"{run.fraction:.0%}")
        painter.restore()


class RunsView(QWidget):
    def __init__(self, context: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingRuns")
        self.context = context
        self.bridge = TrainingBridge(context, self)
        self.model = RunsTableModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        bar = QHBoxLayout()
        self.summary = QLabel("Looking for training runs…")
        self.summary.setProperty("role", "muted")
        bar.addWidget(self.summary, 1)
        for command, glyph, tip in (
                ("training.demo", "mdi6.play-circle-outline", "Start a demo training run"),
                ("training.stop", "mdi6.stop-circle-outline", "Stop the selected run…"),
                ("training.open-folder", "mdi6.folder-open-outline", "Open the run's folder"),
                ("training.add-folder", "mdi6.folder-plus-outline", "Watch a run folder…"),
                ("training.refresh", "mdi6.refresh", "Refresh now")):
            button = QToolButton()
            button.setIcon(icon(glyph))
            button.setToolTip(tip)
            button.setAutoRaise(True)
            button.clicked.connect(lambda _=False, c=command: context.run_command(c))
            bar.addWidget(button)
        layout.addLayout(bar)
        self.alert = QLabel()
        self.alert.setProperty("role", "error")
        self.alert.setWordWrap(True)
        self.alert.hide()
        layout.addWidget(self.alert)

        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COLUMNS.index("Updated"), Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setItemDelegateForColumn(PROGRESS, ProgressDelegate(self.table))
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in zip(COLUMNS, (170, 60, 78, 96, 100, 60, 78, 84, 66, 70),
                                 strict=True):
            header.resizeSection(COLUMNS.index(column), width)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._menu)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        layout.addWidget(self.table, 1)

        self.bridge.runs.connect(self.show_runs)
        self.bridge.alert.connect(self._show_alert)
        self.show_runs(self.bridge.snapshot())
        # "Updated 12 s ago" ages even when nothing changes.
        self._clock = QTimer(self)
        self._clock.timeout.connect(lambda: self.show_runs(self.bridge.snapshot()))
        self._clock.start(5000)

    def show_runs(self, event: RunsUpdated) -> None:
        selected = set(self.selected_ids())
        self.model.set_runs(event.runs)
        counts: dict[str, int] = {}
        for run in event.runs:
            counts[run.status.value] = counts.get(run.status.value, 0) + 1
        if event.runs:
            self.summary.setText(" · ".join(f"{n} {s.lower()}" for s, n in sorted(counts.items())))
        elif event.scanned:
            self.summary.setText("No training runs yet: start a demo run (▶) or watch a folder")
        if selected and not self.selected_ids():
            self._select(selected)
        if not selected and event.runs and not self.bridge.service.selected:
            self.table.selectRow(0)

    def _select(self, ids: set[str]) -> None:
        selection = self.table.selectionModel()
        for row in range(self.proxy.rowCount()):
            run = self.proxy.index(row, 0).data(Qt.ItemDataRole.UserRole)
            if run is not None and run.id in ids:
                selection.select(self.proxy.index(row, 0),
                                 selection.SelectionFlag.Select | selection.SelectionFlag.Rows)

    def selected_ids(self) -> list[str]:
        rows = self.table.selectionModel().selectedRows()
        runs = [row.data(Qt.ItemDataRole.UserRole) for row in rows]
        return [run.id for run in runs if run is not None]

    def _selection_changed(self, *_: Any) -> None:
        ids = tuple(self.selected_ids())
        if ids:
            self.bridge.service.select(ids)

    def _show_alert(self, alert: Any) -> None:
        self.alert.setText(f"{alert.title}: {alert.message}")
        self.alert.show()
        QTimer.singleShot(30000, self.alert.hide)

    def _menu(self, position: Any) -> None:
        menu = QMenu(self)
        for command, title in (("training.stop", "Stop Run…"),
                               ("training.open-folder", "Open Folder"),
                               ("training.refresh", "Refresh")):
            action = menu.addAction(title)
            action.triggered.connect(lambda _=False, c=command: self.context.run_command(c))
        menu.exec(self.table.viewport().mapToGlobal(position))
