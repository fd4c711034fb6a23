"""The browser's tree: roots, lazily listed folders, live updates of the expanded ones.

A folder is listed only when the view first asks (``fetchMore`` on expand), on a worker thread,
in batches as the directory yields them (:func:`~studio.plugins.context.listing.stream_folder`).
Each folder's rows are a :class:`~studio.plugins.context.folder_rows.FolderRows`: a sorted
window that shows the first batch at once, takes later entries in at their rows, and grows as
the view scrolls (``canFetchMore`` / ``fetchMore``) or a filter needs every name.

Expanded folders are watched with the platform's folder watch, created by the listing worker
after the listing (the watch lists the folder itself, which must not happen on the GUI
thread). Names that changed between the listing and the watch's own listing are reconciled
(only when the folder's mtime moved meanwhile); then each reported change is applied row by
row, so selection and expansion survive. A folder collapsed stops being watched; expanded
again, it is listed again in the background while its rows stay, and the difference applied.
"""

from __future__ import annotations

import contextlib
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

from studio.api import FolderChange
from studio.plugins.context.folder_rows import Changes, FolderRows
from studio.plugins.context.kinds import FileKind, FolderMark, kind_info
from studio.plugins.context.listing import (
    FIRST_BATCH,
    Entry,
    entries_named,
    folder_signature,
    format_size,
    stream_folder,
)
from studio.plugins.context.service import ContextService, FolderWatch, Root
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


@dataclass(eq=False, slots=True)  # slots: a 100k-file folder makes 100k of them
class Node:
    path: str
    entry: Entry | None  # None for a root
    parent: Node | None
    label: str = ""
    hafs_root: Path | None = None  # for a root node: itself when hafs writes there
    children: list[Node] = field(default_factory=list)
    _rows: FolderRows | None = field(default=None, repr=False)
    state: LoadState = LoadState.NOT_LOADED
    error: str = ""
    expanded: bool = False  # read by the listing worker: watch the folder afterwards?
    watch: FolderWatch | None = None
    generation: int = 0  # listing requests: an older answer is dropped

    @property
    def rows(self) -> FolderRows:
        """The folder's rows, made on first use (the files of a 100k-file folder need none)."""
        if self._rows is None:
            self._rows = FolderRows(FIRST_BATCH)
        return self._rows

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
    # (node, generation, entries)
    batch = Signal(object, int, object)
    # (node, generation, every name listed or None, error)
    listed = Signal(object, int, object, str)
    # (node, generation, entries fresh, names gone)
    changed = Signal(object, int, object, object)
    # (node, generation, the folder's watch or None)
    watched = Signal(object, int, object)


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
        self._bridge.listed.connect(self._on_listed)
        self._bridge.changed.connect(self._on_changed)
        self._bridge.watched.connect(self._on_watched)
        # Watches are made, and what they report is read, on one thread, in order: a change
        # is never applied before the reconciliation that precedes it.
        self._changes = ThreadPoolExecutor(max_workers=1, thread_name_prefix="context-changes")
        self._nodes_by_path: dict[str, Node] = {}
        self._loading = 0
        self._closed = False
        self.set_roots(service.roots())

    # -- roots -------------------------------------------------------------------------------
    def set_roots(self, roots: list[Root]) -> None:
        self.beginResetModel()
        for node in self._root.children:
            self._forget(node)
        self._nodes_by_path.clear()
        self._root.children = []
        for root in roots:
            node = Node(os.path.normpath(root.path), None, self._root, label=root.label,
                        hafs_root=Path(root.path) if root.is_hafs else None)
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
            return bool(node.children or node.rows.waiting)
        return True

    def canFetchMore(self, parent: Index) -> bool:
        node = self.node(parent)
        if not node.is_dir or node is self._root:
            return False
        return node.state is LoadState.NOT_LOADED or bool(node.rows.waiting)

    def fetchMore(self, parent: Index) -> None:
        node = self.node(parent)
        if node.state is LoadState.NOT_LOADED:
            self._list(node)
        elif node.rows.waiting:
            self._take(node, FETCH_STEP)

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
            elif node.rows.waiting:
                text += f" ({node.rows.waiting:,} more…)"
            return text
        return kind_info(entry.kind).label

    def _icon_name(self, node: Node) -> str:
        entry = node.entry
        if entry is None:
            return "mdi6.folder-home-outline"
        if entry.is_dir:
            return _MARK_ICONS.get(entry.mark, "mdi6.folder-outline")
        return kind_info(entry.kind).icon

    # -- listing ---------------------------------------------------------------------------
    def _visible(self, entry: Entry) -> bool:
        return self.show_hidden or not entry.name.startswith(".")

    def _list(self, node: Node) -> None:
        """List ``node``'s folder in the background (again, when it has rows: they stay and
        the difference is applied), then watch it if it is expanded."""
        if node.state is not LoadState.LOADING:
            self._set_loading(+1)
        node.state = LoadState.LOADING
        node.generation += 1
        generation = node.generation
        path, root, bridge = node.path, self._hafs_root(node), self._bridge

        def work() -> None:
            before = folder_signature(path)
            names: set[str] = set()
            try:
                for chunk in stream_folder(path, root, cancelled=lambda: self._closed):
                    names.update(e.name for e in chunk)
                    bridge.batch.emit(node, generation, chunk)
            except OSError as exc:
                bridge.listed.emit(node, generation, None, exc.strerror or str(exc))
                return
            bridge.listed.emit(node, generation, names, "")
            self._submit_change(self._watch, node, generation, names, before)

        self._pool.submit(work)
        self._emit_row_changed(node)

    def _watch(self, node: Node, generation: int, names: set[str], before: Any) -> None:
        """(changes thread) Watch the listed folder if it is still expanded; names that
        changed between the listing and the watch's own listing are reported first."""
        watch = None
        if node.expanded and not self._closed and not self.service.closed:
            watch = self.service.watch_folder(node.path, self._change_reporter(node, generation),
                                              entries=len(names))
            if folder_signature(node.path) != before:  # names changed while listing
                now = {p.name for p in watch.entries()}
                fresh, _gone = entries_named(node.path, sorted(now - names),
                                             self._hafs_root(node))
                self._bridge.changed.emit(node, generation, fresh, sorted(names - now))
        self._bridge.watched.emit(node, generation, watch)

    def _submit_change(self, fn: Any, *args: Any) -> None:
        if not self._closed:
            with contextlib.suppress(RuntimeError):  # shut down meanwhile
                self._changes.submit(fn, *args)

    def _change_reporter(self, node: Node, generation: int) -> Any:
        """The watch callback (watcher thread): the entries are read on the changes thread."""
        bridge, root = self._bridge, self._hafs_root(node)

        def read(change: FolderChange) -> None:
            names = sorted({p.name for p in (*change.added, *change.modified)})
            fresh, vanished = entries_named(node.path, names, root)
            bridge.changed.emit(node, generation, fresh,
                                [p.name for p in change.removed] + vanished)

        return lambda change: self._submit_change(read, change)

    def _hafs_root(self, node: Node) -> Path | None:
        """The hafs root above ``node`` (its hafs folders are marked), None in other roots."""
        while node.parent is not None and node.parent is not self._root:
            node = node.parent
        return node.hafs_root

    def _on_batch(self, node: Node, generation: int, entries: list[Entry]) -> None:
        if generation != node.generation or self._closed:
            return
        self._apply(node, node.rows.add(e for e in entries if self._visible(e)))

    def _on_listed(self, node: Node, generation: int, names: set[str] | None,
                   error: str) -> None:
        if generation != node.generation or self._closed:
            return
        self._set_loading(-1)
        if names is None:
            node.state, node.error = LoadState.ERROR, error
        else:
            self._apply(node, node.rows.keep_only(names))  # a listing again: gone ones go
            node.state, node.error = LoadState.LOADED, ""
        self._emit_row_changed(node)

    def _on_watched(self, node: Node, generation: int, watch: FolderWatch | None) -> None:
        if generation != node.generation or self._closed or not node.expanded:
            if watch is not None:
                watch.cancel()
            return
        if watch is None:
            if not self.service.closed:
                self._list(node)  # expanded again after the worker looked: list and watch
            return
        if node.watch is not None:
            node.watch.cancel()
        node.watch = watch

    def _on_changed(self, node: Node, generation: int, fresh: list[Entry],
                    gone: list[str]) -> None:
        if generation != node.generation or self._closed:
            return
        if gone:
            self._apply(node, node.rows.remove(gone))
        if fresh:
            self._apply(node, node.rows.add(e for e in fresh if self._visible(e)))

    def _apply(self, node: Node, changes: Changes) -> None:
        """Mirror one :class:`Changes` of ``node.rows`` in the Qt model, in its order."""
        if not changes:
            return
        parent = self.index_of(node)
        for row in changes.removed:
            self.beginRemoveRows(parent, row, row)
            self._forget(node.children.pop(row))
            self.endRemoveRows()
        for update in changes.updates:
            child = node.children[update.row]
            child.entry = update.entry
            self.dataChanged.emit(self.index(update.row, 0, parent),
                                  self.index(update.row, len(COLUMNS) - 1, parent))
        for insert in changes.inserts:
            self._insert_nodes(node, insert.row, insert.entries)
        if changes.trim_from is not None and changes.trim_from < len(node.children):
            start, end = changes.trim_from, len(node.children) - 1
            self.beginRemoveRows(parent, start, end)
            for child in node.children[start:]:
                self._forget(child)
            del node.children[start:]
            self.endRemoveRows()
        self._emit_row_changed(node)

    def _insert_nodes(self, node: Node, row: int, entries: tuple[Entry, ...] | list[Entry]
                      ) -> None:
        if not entries:
            return
        self.beginInsertRows(self.index_of(node), row, row + len(entries) - 1)
        children = [Node(entry.path, entry, node) for entry in entries]
        node.children[row:row] = children
        for child in children:
            if child.is_dir:
                self._nodes_by_path[child.path] = child
        self.endInsertRows()

    def _take(self, node: Node, count: int) -> None:
        self._insert_nodes(node, len(node.children), node.rows.take(count))
        self._emit_row_changed(node)

    def flush_pending(self, node: Node | None = None) -> None:
        """Show every listed row (a filter must see all names)."""
        nodes = [node] if node else list(self._nodes_by_path.values())
        for item in nodes:
            if item.rows.waiting:
                self._take(item, item.rows.waiting)

    def pending_nodes(self) -> list[Node]:
        return [n for n in self._nodes_by_path.values() if n.rows.waiting]

    def _set_loading(self, delta: int) -> None:
        self._loading += delta
        if not self._closed:  # closing: the view may be half destroyed
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
        row = node.rows.row_of(name)
        if row is None and node.rows.get(name) is not None:
            self.flush_pending(node)
            row = node.rows.row_of(name)
        return node.children[row] if row is not None else None

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
        """Expanded folders are watched (from the end of their listing); collapsed ones not."""
        node = self.node(index)
        if not node.is_dir or node is self._root:
            return
        node.expanded = expanded
        if not expanded and node.watch is not None:
            node.watch.cancel()
            node.watch = None
        elif expanded and node.watch is None and node.state in (LoadState.LOADED,
                                                                LoadState.ERROR):
            self._list(node)  # changes while it was collapsed were not watched

    def watched_paths(self) -> list[str]:
        return [n.path for n in self._nodes_by_path.values() if n.watch is not None]

    def _forget(self, node: Node) -> None:
        """``node`` left the tree: its watch ends and answers on their way are dropped."""
        if node.watch is not None:
            node.watch.cancel()
            node.watch = None
        if node.state is LoadState.LOADING:
            node.state = LoadState.NOT_LOADED
            self._set_loading(-1)
        node.generation += 1
        self._nodes_by_path.pop(node.path, None)
        for child in node.children:
            self._forget(child)

    def close(self) -> None:
        self._closed = True
        for node in self._root.children:
            self._forget(node)
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._changes.shutdown(wait=False, cancel_futures=True)


def kind_of(index: Index) -> FileKind | None:
    entry = index.data(ENTRY_ROLE)
    return entry.kind if entry is not None else None
