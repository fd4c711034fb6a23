"""The browser's tree: roots, lazily listed folders, live updates of the expanded ones.

A folder is listed only when the view first asks (``fetchMore`` on expand), on a worker thread,
in batches (:func:`~studio.plugins.context.listing.iter_folder`): the first batch is inserted
at once, later ones wait in ``pending`` until the view scrolls near them (``canFetchMore`` /
``fetchMore`` again) or a filter needs every name. Expanded folders are watched
(:meth:`ContextService.watch_folder`); a change re-lists that folder off the UI thread and the
difference is applied row by row, so selection and expansion survive.
"""

from __future__ import annotations

import enum
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QUrl,
    Signal,
)

from studio.plugins.context.folderwatch import FolderWatch
from studio.plugins.context.kinds import FileKind, FolderMark, kind_info
from studio.plugins.context.listing import Entry, format_size, iter_folder
from studio.plugins.context.service import ContextService, Root
from studio.plugins.context.widgets.common import colour, icon

__all__ = ["ENTRY_ROLE", "PATH_ROLE", "BrowserModel", "Node"]

Index = QModelIndex | QPersistentModelIndex
PATH_ROLE = Qt.ItemDataRole.UserRole + 1
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 2
FETCH_STEP = 1000
COLUMNS = ("Name", "Kind", "Size")
_MARK_ICONS = {
    FolderMark.HAFS: "mdi6.folder-cog-outline",
    FolderMark.CONTEXT: "mdi6.folder-star-outline",
    FolderMark.DATASET: "mdi6.folder-table-outline",
    FolderMark.RUN: "mdi6.folder-play-outline",
}


class LoadState(enum.Enum):
    NOT_LOADED = 0
    LOADING = 1
    LOADED = 2
    ERROR = 3


@dataclass(eq=False)
class Node:
    path: str
    entry: Entry | None  # None for a root
    parent: Node | None
    label: str = ""
    children: list[Node] = field(default_factory=list)
    pending: list[Entry] = field(default_factory=list)
    state: LoadState = LoadState.NOT_LOADED
    error: str = ""
    watch: FolderWatch | None = None
    generation: int = 0  # listing requests: an older answer is dropped

    @property
    def is_dir(self) -> bool:
        return self.entry is None or self.entry.is_dir

    @property
    def name(self) -> str:
        return self.label or (self.entry.name if self.entry else self.path)

    def row(self) -> int:
        siblings = self.parent.children if self.parent else []
        return siblings.index(self)


class _Bridge(QObject):
    # (node id, generation, entries, final, error)
    batch = Signal(object, int, object, bool, object)
    # (node id, generation, entries or None, error)
    relisted = Signal(object, int, object, object)
    changed = Signal(str)


class BrowserModel(QAbstractItemModel):
    """Roots at the top level; folders listed on demand; expanded folders kept live."""

    loading_changed = Signal(int)  # folders being listed

    def __init__(self, service: ContextService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.show_hidden = bool(service.setting("show_hidden", False))
        self._root = Node("", None, None)
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="context-listing")
        self._bridge = _Bridge(self)
        self._bridge.batch.connect(self._on_batch)
        self._bridge.relisted.connect(self._on_relisted)
        self._bridge.changed.connect(self._on_folder_changed)
        self._nodes_by_path: dict[str, Node] = {}
        self._loading = 0
        self._closed = False
        self.set_roots(service.roots())

    # -- roots -------------------------------------------------------------------------------
    def set_roots(self, roots: list[Root]) -> None:
        self.beginResetModel()
        self._unwatch_all(self._root)
        self._nodes_by_path.clear()
        self._root.children = []
        for root in roots:
            node = Node(os.path.normpath(root.path), None, self._root, label=root.label)
            if not root.exists:
                node.state, node.error = LoadState.ERROR, "folder does not exist"
            self._root.children.append(node)
            self._nodes_by_path[node.path] = node
        self.endResetModel()

    def roots(self) -> list[Node]:
        return list(self._root.children)

    # -- Qt model ----------------------------------------------------------------------------
    def node(self, index: Index) -> Node:
        return index.internalPointer() if index.isValid() else self._root

    def index_of(self, node: Node, column: int = 0) -> QModelIndex:
        if node is self._root or node.parent is None:
            return QModelIndex()
        return self.createIndex(node.row(), column, node)

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        node = self.node(parent)
        if 0 <= row < len(node.children) and 0 <= column < len(COLUMNS):
            return self.createIndex(row, column, node.children[row])
        return QModelIndex()

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        node: Node = index.internalPointer()
        return self.index_of(node.parent) if node.parent is not None else QModelIndex()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self.node(parent).children)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(COLUMNS)

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        node = self.node(parent)
        if not node.is_dir:
            return False
        if node.state is LoadState.LOADED:
            return bool(node.children or node.pending)
        return True

    def canFetchMore(self, parent: Index) -> bool:
        node = self.node(parent)
        if not node.is_dir or node is self._root:
            return False
        return node.state is LoadState.NOT_LOADED or bool(node.pending)

    def fetchMore(self, parent: Index) -> None:
        node = self.node(parent)
        if node.state is LoadState.NOT_LOADED:
            self._list(node)
        elif node.pending:
            self._insert_pending(node, FETCH_STEP)

    def mimeTypes(self) -> list[str]:
        return ["text/uri-list"]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:
        """Dragged rows carry file URLs (drop them on Selected Context, or elsewhere)."""
        data = QMimeData()
        paths = dict.fromkeys(str(i.data(PATH_ROLE)) for i in indexes if i.isValid())
        data.setUrls([QUrl.fromLocalFile(p) for p in paths])
        return data

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsDragEnabled)

    def data(self, index: Index, role: int = 0) -> Any:
        if not index.isValid():
            return None
        node: Node = index.internalPointer()
        column = index.column()
        entry = node.entry
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return node.name
            if column == 1:
                return self._kind_text(node)
            if column == 2:
                return format_size(entry.size) if entry else ""
            return None
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            return icon(self._icon_name(node))
        if role == Qt.ItemDataRole.ToolTipRole:
            parts = [node.path]
            if entry and entry.mark_reason:
                parts.append(entry.mark_reason)
            if node.error or (entry and entry.error):
                parts.append(f"cannot be read: {node.error or entry.error}")
            return "\n".join(parts)
        if role == Qt.ItemDataRole.ForegroundRole and (node.error or (entry and entry.error)):
            return colour("error")
        if role == Qt.ItemDataRole.ForegroundRole and column > 0:
            return colour("text.muted")
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 2:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        if role == PATH_ROLE:
            return node.path
        if role == ENTRY_ROLE:
            return entry
        return None

    def _kind_text(self, node: Node) -> str:
        entry = node.entry
        if entry is None:
            if node.state is LoadState.ERROR:
                return node.error
            return "root" + (" (loading…)" if node.state is LoadState.LOADING else "")
        if entry.is_dir:
            text = entry.mark_reason or "Folder"
            if node.state is LoadState.LOADING:
                text += " (loading…)"
            elif node.state is LoadState.ERROR:
                text = f"cannot be listed: {node.error}"
            elif node.pending:
                text += f" ({len(node.pending)} more…)"
            return text
        return kind_info(entry.kind).label

    def _icon_name(self, node: Node) -> str:
        entry = node.entry
        if entry is None:
            return "mdi6.folder-home-outline"
        if entry.is_dir:
            return _MARK_ICONS.get(entry.mark, "mdi6.folder-outline")
        return kind_info(entry.kind).icon

    # -- listing -----------------------------------------------------------------------------
    def _visible(self, entry: Entry) -> bool:
        return self.show_hidden or not entry.name.startswith(".")

    def _list(self, node: Node) -> None:
        node.state = LoadState.LOADING
        node.generation += 1
        generation = node.generation
        self._set_loading(+1)
        root = self._root_path(node)
        bridge = self._bridge

        def work() -> None:
            try:
                for chunk in iter_folder(node.path, root, cancelled=lambda: self._closed):
                    bridge.batch.emit(node, generation, chunk, False, None)
                bridge.batch.emit(node, generation, [], True, None)
            except OSError as exc:
                bridge.batch.emit(node, generation, [], True, exc.strerror or str(exc))

        self._pool.submit(work)
        self._emit_row_changed(node)

    def _root_path(self, node: Node) -> Path:
        # hafs's own folders are marked only directly under the context root
        return Path(self.service.studio.context.path)

    def _on_batch(self, node: Node, generation: int, entries: list[Entry], final: bool,
                  error: str | None) -> None:
        if generation != node.generation or self._closed:
            return
        visible = [e for e in entries if self._visible(e)]
        node.pending.extend(visible)
        if not node.children and node.pending:
            self._insert_pending(node, len(node.pending))  # the first rows, at once
        if final:
            self._set_loading(-1)
            node.state = LoadState.ERROR if error else LoadState.LOADED
            node.error = error or ""
            self._emit_row_changed(node)

    def _insert_pending(self, node: Node, count: int) -> None:
        take, node.pending = node.pending[:count], node.pending[count:]
        if not take:
            return
        parent = self.index_of(node)
        first = len(node.children)
        self.beginInsertRows(parent, first, first + len(take) - 1)
        for entry in take:
            child = Node(entry.path, entry, node)
            node.children.append(child)
            if entry.is_dir:
                self._nodes_by_path[entry.path] = child
        self.endInsertRows()
        self._emit_row_changed(node)

    def flush_pending(self, node: Node | None = None) -> None:
        """Insert every listed row (a filter must see all names)."""
        nodes = [node] if node else list(self._nodes_by_path.values())
        for item in nodes:
            if item.pending:
                self._insert_pending(item, len(item.pending))

    def pending_nodes(self) -> list[Node]:
        return [n for n in self._nodes_by_path.values() if n.pending]

    def _set_loading(self, delta: int) -> None:
        self._loading += delta
        self.loading_changed.emit(self._loading)

    @property
    def loading(self) -> int:
        return self._loading

    def _emit_row_changed(self, node: Node) -> None:
        if node.parent is None or node is self._root:
            return
        left, right = self.index_of(node, 0), self.index_of(node, len(COLUMNS) - 1)
        self.dataChanged.emit(left, right)

    # -- finding -----------------------------------------------------------------------------
    def node_for_path(self, path: str) -> Node | None:
        return self._nodes_by_path.get(os.path.normpath(path))

    def child_named(self, node: Node, name: str) -> Node | None:
        found = next((c for c in node.children if c.entry and c.entry.name == name), None)
        if found is None and any(e.name == name for e in node.pending):
            self.flush_pending(node)
            found = next((c for c in node.children if c.entry and c.entry.name == name), None)
        return found

    def root_for(self, path: str) -> Node | None:
        norm = os.path.normpath(path)
        best = None
        for root in self._root.children:
            inside = norm == root.path or norm.startswith(root.path.rstrip(os.sep) + os.sep)
            if inside and (best is None or len(root.path) > len(best.path)):
                best = root
        return best

    # -- live updates ------------------------------------------------------------------------
    def set_expanded(self, index: Index, expanded: bool) -> None:
        node = self.node(index)
        if not node.is_dir or node is self._root:
            return
        if expanded and node.watch is None:
            bridge = self._bridge
            node.watch = self.service.watch_folder(
                node.path, lambda _change, path=node.path: bridge.changed.emit(path))
        elif not expanded and node.watch is not None:
            node.watch.cancel()
            node.watch = None

    def watched_paths(self) -> list[str]:
        return [n.path for n in self._nodes_by_path.values() if n.watch is not None]

    def _on_folder_changed(self, path: str) -> None:
        node = self._nodes_by_path.get(path)
        if node is None or self._closed:
            return
        node.generation += 1
        generation = node.generation
        root = self._root_path(node)
        bridge = self._bridge

        def work() -> None:
            try:
                entries = [e for chunk in iter_folder(path, root) for e in chunk]
                bridge.relisted.emit(node, generation, entries, None)
            except OSError as exc:
                bridge.relisted.emit(node, generation, None, exc.strerror or str(exc))

        self._pool.submit(work)

    def _on_relisted(self, node: Node, generation: int, entries: list[Entry] | None,
                     error: str | None) -> None:
        if generation != node.generation or self._closed:
            return
        if entries is None:
            node.state, node.error = LoadState.ERROR, error or "cannot be listed"
            self._emit_row_changed(node)
            return
        node.state, node.error = LoadState.LOADED, ""
        fresh = {e.name: e for e in entries if self._visible(e)}
        parent = self.index_of(node)
        # removed rows, from the bottom so row numbers stay valid
        for row in range(len(node.children) - 1, -1, -1):
            child = node.children[row]
            if child.entry is not None and child.entry.name not in fresh:
                self.beginRemoveRows(parent, row, row)
                removed = node.children.pop(row)
                self._forget(removed)
                self.endRemoveRows()
        node.pending = [e for e in node.pending if e.name in fresh]
        known = {c.entry.name for c in node.children if c.entry} | {e.name for e in node.pending}
        # changed rows
        for row, child in enumerate(node.children):
            new = fresh.get(child.entry.name) if child.entry else None
            if new is not None and new != child.entry:
                child.entry = new
                self.dataChanged.emit(self.index(row, 0, parent),
                                      self.index(row, len(COLUMNS) - 1, parent))
        # added rows, each at its sorted place among the inserted rows
        for entry in entries:
            if entry.name in known or not self._visible(entry):
                continue
            row = self._sorted_row(node, entry)
            self.beginInsertRows(parent, row, row)
            child = Node(entry.path, entry, node)
            node.children.insert(row, child)
            if entry.is_dir:
                self._nodes_by_path[entry.path] = child
            self.endInsertRows()
        self._emit_row_changed(node)

    @staticmethod
    def _sorted_row(node: Node, entry: Entry) -> int:
        key = (not entry.is_dir, entry.name.casefold(), entry.name)
        for row, child in enumerate(node.children):
            other = child.entry
            if other is not None and (not other.is_dir, other.name.casefold(), other.name) > key:
                return row
        return len(node.children)

    def _forget(self, node: Node) -> None:
        if node.watch is not None:
            node.watch.cancel()
            node.watch = None
        self._nodes_by_path.pop(node.path, None)
        for child in node.children:
            self._forget(child)

    def _unwatch_all(self, node: Node) -> None:
        for child in node.children:
            if child.watch is not None:
                child.watch.cancel()
                child.watch = None
            self._unwatch_all(child)

    def close(self) -> None:
        self._closed = True
        self._unwatch_all(self._root)
        self._pool.shutdown(wait=False, cancel_futures=True)


def kind_of(index: Index) -> FileKind | None:
    entry = index.data(ENTRY_ROLE)
    return entry.kind if entry is not None else None
