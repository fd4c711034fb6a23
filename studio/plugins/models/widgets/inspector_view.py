"""GGUF inspector: metadata (long arrays summarized), tensors, totals by type, size estimates.

Files open from a model, the Open button or drag-and-drop; the header is parsed from a memory
map on a worker thread (a multi-GB file shows in a fraction of a second).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.plugins.models.widgets.common import Background
from studio.shell.api import ViewContext, icon, setup_record_table

__all__ = ["InspectorView", "RowsModel"]

Index = QModelIndex | QPersistentModelIndex


class RowsModel(QAbstractTableModel):
    """A read-only table of precomputed rows; ``sort_values`` keep numbers sortable."""

    def __init__(self, headers: tuple[str, ...], numeric: tuple[int, ...] = (),
                 parent: Any = None) -> None:
        super().__init__(parent)
        self.headers = headers
        self.numeric = numeric
        self.rows: list[tuple[str, ...]] = []
        self.sort_values: list[tuple[Any, ...]] = []

    def set_rows(self, rows: list[tuple[str, ...]], sort_values: list[tuple[Any, ...]]) -> None:
        self.beginResetModel()
        self.rows, self.sort_values = rows, sort_values
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None

    def data(self, index: Index, role: int = 0) -> Any:
        if not index.isValid():
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.UserRole:
            return self.sort_values[index.row()][index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in self.numeric:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return None


def _table(model: RowsModel, filterable: bool = True) -> tuple[QTableView, Any]:
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setSortRole(Qt.ItemDataRole.UserRole)
    proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    proxy.setFilterKeyColumn(-1 if filterable else 0)
    view = QTableView()
    view.setModel(proxy)
    proxy.setParent(view)
    view.setSortingEnabled(True)
    view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
    header = setup_record_table(view, row_height=24, single_selection=False)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    return view, proxy


class InspectorView(QWidget):
    """Open a .gguf and browse its header."""

    def __init__(self, context: ViewContext | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ggufInspector")
        self.setAcceptDrops(True)
        self.info: Any = None
        self.path: Path | None = None
        self._background = Background(self)

        open_button = QToolButton()
        open_button.setIcon(icon("mdi6.folder-open-outline"))
        open_button.setText("Open…")
        open_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        open_button.clicked.connect(self.choose_file)
        self.file_label = QLabel("Drop a .gguf file here, open one, or use Inspect on a model.")
        self.file_label.setWordWrap(True)
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter keys and tensors…")
        self.filter.setClearButtonEnabled(True)
        self.filter.setMaximumWidth(260)
        top = QHBoxLayout()
        top.setContentsMargins(6, 4, 6, 0)
        top.addWidget(open_button)
        top.addWidget(self.file_label, 1)
        top.addWidget(self.filter)
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)
        self.summary.setContentsMargins(8, 0, 8, 0)

        self.metadata_model = RowsModel(("Key", "Type", "Value"), parent=self)
        self.tensor_model = RowsModel(("Name", "Shape", "Type", "Elements", "Bytes", "Offset"),
                                      numeric=(3, 4, 5), parent=self)
        self.totals_model = RowsModel(("Type", "Tensors", "Elements", "Bytes", "Share"),
                                      numeric=(1, 2, 3, 4), parent=self)
        self.metadata_view, metadata_proxy = _table(self.metadata_model)
        self.tensor_view, tensor_proxy = _table(self.tensor_model)
        self.totals_view, _ = _table(self.totals_model, filterable=False)
        self.metadata_view.horizontalHeader().resizeSection(0, 300)
        self.tensor_view.horizontalHeader().resizeSection(0, 260)
        self.filter.textChanged.connect(metadata_proxy.setFilterFixedString)
        self.filter.textChanged.connect(tensor_proxy.setFilterFixedString)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.metadata_view, "Metadata")
        self.tabs.addTab(self.tensor_view, "Tensors")
        self.tabs.addTab(self.totals_view, "Totals by type")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)

    # -- opening -------------------------------------------------------------------------
    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open GGUF file",
                                              str(self.path.parent) if self.path else "",
                                              "GGUF (*.gguf);;All files (*)")
        if path:
            self.open_file(path)

    def open_file(self, path: str | Path) -> None:
        from studio.plugins.models.gguf_info import read_gguf_info

        self.path = Path(path)
        self.file_label.setText(f"Reading {self.path}…")
        self._background.run(lambda: read_gguf_info(self.path), self._loaded)

    def dragEnterEvent(self, event: Any) -> None:
        if any(url.toLocalFile().lower().endswith(".gguf") for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: Any) -> None:
        for url in event.mimeData().urls():
            if url.toLocalFile().lower().endswith(".gguf"):
                self.open_file(url.toLocalFile())
                event.acceptProposedAction()
                return

    # -- showing -------------------------------------------------------------------------
    def _loaded(self, info: Any, error: Exception | None) -> None:
        from studio.api import format_bytes
        from studio.plugins.models.gguf_info import ArraySummary

        if error is not None:
            self.info = None
            self.file_label.setText(f"<span>Cannot read {self.path}: {error}</span>")
            self.summary.clear()
            for model in (self.metadata_model, self.tensor_model, self.totals_model):
                model.set_rows([], [])
            return
        self.info = info
        self.file_label.setText(str(info.path))
        ctx = info.arch_value("context_length", "?")
        self.summary.setText(
            f"<b>{info.architecture or '?'}</b> · GGUF v{info.version} · "
            f"<b>{info.parameter_count:,}</b> parameters · {len(info.tensors)} tensors · "
            f"file {format_bytes(info.file_size)} · estimated RAM "
            f"<b>{format_bytes(info.estimated_ram_bytes())}</b> (weights + F16 KV cache, "
            f"context {min(int(ctx), 4096) if str(ctx).isdigit() else '?'})")
        metadata_rows, metadata_sort = [], []
        for key, value in info.metadata.items():
            if isinstance(value, ArraySummary):
                kind = f"array[{value.item_type}] x {value.count:,}"
            elif isinstance(value, list):
                kind = f"array x {len(value)}"
            else:
                kind = type(value).__name__
            text = str(value)
            text = text if len(text) <= 400 else text[:400] + f"… ({len(text):,} characters)"
            metadata_rows.append((key, kind, text))
            metadata_sort.append((key, kind, text))
        self.metadata_model.set_rows(metadata_rows, metadata_sort)
        tensor_rows, tensor_sort = [], []
        for t in info.tensors:
            tensor_rows.append((t.name, " x ".join(map(str, t.shape)), t.type,
                                f"{t.n_elements:,}", format_bytes(t.n_bytes), f"{t.offset:,}"))
            tensor_sort.append((t.name, t.shape, t.type, t.n_elements, t.n_bytes, t.offset))
        self.tensor_model.set_rows(tensor_rows, tensor_sort)
        total = info.tensor_bytes or 1
        totals_rows, totals_sort = [], []
        for type_name, row in info.totals_by_type().items():
            share = row["bytes"] / total
            totals_rows.append((type_name, f"{row['tensors']:,}", f"{row['elements']:,}",
                                format_bytes(row["bytes"]), f"{share:.1%}"))
            totals_sort.append((type_name, row["tensors"], row["elements"], row["bytes"], share))
        self.totals_model.set_rows(totals_rows, totals_sort)
