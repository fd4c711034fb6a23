"""The model list as a Qt item model (one row per entry) and its filter/sort proxy."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QFont

from studio.plugins.models.present import (
    backends_text,
    format_loss,
    formats_text,
    locations_text,
    samples_text,
    title_of,
)
from studio.plugins.models.schema import ModelEntry
from studio.shell.api import current_theme

__all__ = ["COLUMNS", "ENTRY_ROLE", "ModelsFilterProxy", "ModelsTableModel"]

COLUMNS = ("Model", "Role", "Base", "Final loss", "Best loss", "Samples", "Formats",
           "Locations", "Deployed")
(NAME, ROLE, BASE, FINAL, BEST, SAMPLES, FORMATS, LOCATIONS, DEPLOYED) = range(len(COLUMNS))
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
Index = QModelIndex | QPersistentModelIndex


def _number(value: Any) -> float:
    return math.inf if value is None else float(value)


class ModelsTableModel(QAbstractTableModel):
    """Registry entries; :meth:`set_models` swaps the whole list, :meth:`sort` reorders it.

    Sorting happens here in Python (one ``sorted`` over precomputed keys) rather than in
    QSortFilterProxyModel, whose comparisons would call back into Python ``data()`` about
    n·log n times: 10,000 models took seconds that way, milliseconds this way.
    """

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.models: list[ModelEntry] = []
        self.haystacks: list[str] = []  # casefolded id, name, role, base for the text filter
        self._sort: tuple[int, Qt.SortOrder] | None = None

    def set_models(self, models: list[ModelEntry] | tuple[ModelEntry, ...]) -> None:
        self.beginResetModel()
        self.models = list(models)
        if self._sort is not None:
            self.models = self._sorted(self.models, *self._sort)
        self.haystacks = [_haystack(m) for m in self.models]
        self.endResetModel()

    def _sorted(self, models: list[ModelEntry], column: int, order: Qt.SortOrder
                ) -> list[ModelEntry]:
        return sorted(models, key=lambda m: self._sort_key(m, column),
                      reverse=order == Qt.SortOrder.DescendingOrder)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if column < 0:
            self._sort = None
            return
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        before = self.persistentIndexList()
        ids_before = [self.models[i.row()]["model_id"] for i in before]
        self.models = self._sorted(self.models, column, order)
        self.haystacks = [_haystack(m) for m in self.models]
        row_of = {m["model_id"]: n for n, m in enumerate(self.models)}
        self.changePersistentIndexList(
            before, [self.index(row_of[model_id], i.column())
                     for i, model_id in zip(before, ids_before, strict=True)])
        self.layoutChanged.emit()

    def row_of(self, model_id: str) -> int:
        return next((n for n, m in enumerate(self.models) if m["model_id"] == model_id), -1)

    # -- Qt model API ----------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.models)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = 0) -> Any:
        if not index.isValid():
            return None
        entry = self.models[index.row()]
        column = index.column()
        if role == ENTRY_ROLE:
            return entry
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(entry, column)
        if role == SORT_ROLE:
            return self._sort_key(entry, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == NAME:
                return f"{entry['model_id']}\n{entry.get('notes') or ''}".strip()
            if column == LOCATIONS:
                return locations_text(entry, with_paths=True)
            return self._text(entry, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (FINAL, BEST, SAMPLES):
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.FontRole and column == NAME:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and column == DEPLOYED and \
                not entry.get("deployed_backends"):
            return QColor(current_theme()["text.muted"])
        return None

    @staticmethod
    def _text(entry: ModelEntry, column: int) -> str:
        match column:
            case 0:
                return title_of(entry)
            case 1:
                return entry.get("role") or ""
            case 2:
                return entry.get("base_model") or "—"
            case 3:
                return format_loss(entry.get("final_loss"))
            case 4:
                return format_loss(entry.get("best_loss"))
            case 5:
                return samples_text(entry)
            case 6:
                return formats_text(entry)
            case 7:
                return locations_text(entry)
            case _:
                return backends_text(entry)

    @classmethod
    def _sort_key(cls, entry: ModelEntry, column: int) -> Any:
        if column == FINAL:
            return _number(entry.get("final_loss"))
        if column == BEST:
            return _number(entry.get("best_loss"))
        if column == SAMPLES:
            return float(entry.get("train_samples") or 0)
        return cls._text(entry, column).casefold()


def _haystack(entry: ModelEntry) -> str:
    return "\n".join((entry["model_id"], entry.get("display_name") or "",
                      entry.get("role") or "", entry.get("base_model") or "")).casefold()


class ModelsFilterProxy(QSortFilterProxyModel):
    """Text (id, name, role, base), role, location and backend filters, as hafs' list does.

    Sorting is delegated to the source model (see :class:`ModelsTableModel`).
    """

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.text = ""
        self.role: str | None = None
        self.location: str | None = None
        self.backend: str | None = None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        source = self.sourceModel()
        if source is not None:
            source.sort(column, order)

    def set_filters(self, *, text: str | None = None, role: str | None = "",
                    location: str | None = "", backend: str | None = "") -> None:
        """Change some filters ("" leaves one unchanged, None clears it)."""
        if text is not None:
            self.text = text.casefold().strip()
        if role != "":
            self.role = role
        if location != "":
            self.location = location
        if backend != "":
            self.backend = backend
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.9; invalidateRowsFilter is deprecated
            self.beginFilterChange()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        entry: ModelEntry = model.models[source_row]
        if self.role and entry.get("role") != self.role:
            return False
        if self.location and self.location not in (entry.get("locations") or {}):
            return False
        if self.backend and self.backend not in (entry.get("deployed_backends") or []):
            return False
        return not self.text or self.text in model.haystacks[source_row]
