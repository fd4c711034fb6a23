"""Datasets: the dataset folders under the context root, the open one's files, the audit."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.plugins.data.dataset import Dataset
from studio.plugins.data.events import DatasetEntry
from studio.plugins.data.quality_files import QualityFiles
from studio.plugins.data.widgets.common import DataListener, muted, state_of
from studio.shell.api import ViewContext, current_theme, icon

__all__ = ["DatasetsView"]

_STATE_COLORS = {"ok": "success", "error": "error", "not found": "text.muted"}


class DatasetsView(QWidget):
    def __init__(self, context: ViewContext) -> None:
        super().__init__()
        self.context = context
        self.state = state_of(context)
        self.list = QListWidget()
        self.list.itemActivated.connect(self._open_item)
        self.list.itemDoubleClicked.connect(self._open_item)
        self.folder_label = muted(f"Dataset folders in {self.state.datasets_folder}")
        buttons = QHBoxLayout()
        for text, name, command in (("Open", "mdi6.folder-open-outline", "data.open-dataset"),
                                    ("JSONL…", "mdi6.file-document-outline", "data.open-jsonl"),
                                    ("Refresh", "mdi6.refresh", None)):
            button = QPushButton(icon(name), text)
            if command is None:
                button.clicked.connect(self.state.refresh_datasets)
            else:
                button.clicked.connect(lambda _=False, c=command: self.context.run_command(c))
            buttons.addWidget(button)
        self.files = QTreeWidget()
        self.files.setHeaderLabels(["file", "state", "details"])
        self.files.setRootIsDecorated(True)
        self.files.setColumnWidth(0, 170)
        layout = QVBoxLayout(self)
        layout.addWidget(self.folder_label)
        layout.addWidget(self.list, 2)
        layout.addLayout(buttons)
        layout.addWidget(self.files, 3)
        self.listener = DataListener(context, self)
        self.listener.dataset.connect(lambda e: self._show_files(e.dataset, e.error))
        self.listener.quality.connect(lambda e: self._show_files(self.state.dataset))
        # The folder is listed in a job (never on the GUI thread) and again by the folder watch
        # whenever hafs adds, removes or writes into a dataset folder.
        self.listener.datasets.connect(lambda e: self.show_entries(e.entries))
        self._opened_newest = False
        self.list.addItem(QListWidgetItem("Listing dataset folders…"))
        self.state.refresh_datasets()
        self._show_files(self.state.dataset)

    def show_entries(self, entries: Sequence[DatasetEntry]) -> None:
        self.list.clear()
        for entry in entries:
            detail = f"{entry.train:,} train" if entry.train is not None else "no metadata.json"
            item = QListWidgetItem(icon("mdi6.database-outline"), f"{entry.name}\n{detail}"
                                   + (f" · {', '.join(entry.domains)}" if entry.domains else ""))
            item.setData(Qt.ItemDataRole.UserRole, str(entry.path))
            item.setToolTip(str(entry.path))
            self.list.addItem(item)
        if not entries:
            self.list.addItem(QListWidgetItem(
                "No dataset folders yet. Open one, or create the sample workspace."))
        if not self._opened_newest and self.state.dataset is None and entries:
            self.state.open_dataset(entries[0].path)  # the newest, so the views have data
        self._opened_newest = True

    def _open_item(self, item: QListWidgetItem) -> None:
        path = item.data(Qt.ItemDataRole.UserRole)
        if path:
            self.state.open_dataset(path)

    def _show_files(self, dataset: Dataset | None, error: str = "") -> None:
        self.files.clear()
        theme = current_theme()
        if error:
            QTreeWidgetItem(self.files, ["dataset", "error", error])
        if dataset is not None:
            root = QTreeWidgetItem(self.files, [dataset.name, dataset.kind, str(dataset.path)])
            for report in dataset.files.values():
                problems = report.malformed_count + report.repaired_count + report.oversized_count
                state = "error" if report.error else ("problems" if problems else "ok")
                child = QTreeWidgetItem(root, [report.path.name, state, report.error or
                                               f"{report.records:,} samples, {report.lines:,} "
                                               f"lines"])
                for kind in ("malformed", "repaired", "oversized"):
                    for problem in getattr(report, kind)[:200]:
                        QTreeWidgetItem(child, [f"line {problem.line}", kind, problem.reason])
                if problems:
                    child.setForeground(1, _brush(theme["warning"]))
            for name, status in dataset.summaries.items():
                item = QTreeWidgetItem(root, [name, status.state, status.error])
                item.setForeground(1, _brush(theme[_STATE_COLORS[status.state]]))
            root.setExpanded(True)
        self._show_audit(self.state.quality)

    def _show_audit(self, files: QualityFiles) -> None:
        theme = current_theme()
        integrity = files.integrity
        root = QTreeWidgetItem(self.files, [
            "hafs quality files", "" if integrity is None else f"{100 * integrity:.0f} %",
            "data-integrity audit: ok / found"])
        for audit in files.audit.values():
            details = audit.last_error or (f"read {audit.loaded_at}" if audit.loaded_at else
                                           str(audit.path))
            if audit.stale:
                details += f" — showing the data read {audit.loaded_at}"
            item = QTreeWidgetItem(root, [audit.name, audit.state, details])
            item.setToolTip(2, str(audit.path))
            item.setForeground(1, _brush(theme[_STATE_COLORS[audit.state]]))
        root.setExpanded(True)


def _brush(color: str) -> object:
    from PySide6.QtGui import QBrush, QColor

    return QBrush(QColor(color))
