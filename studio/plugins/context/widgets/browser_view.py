"""Context Browser: the context root and the user's folders, hafs's files recognised.

Double-click (or Enter) opens a file where it belongs (:func:`actions.open_entry`); the context
menu offers the editor, the hex view, pinning and copying the path. The filter box shows the
loaded names matching every typed word (with their folders).
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMenu,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from studio.api import FILE_SELECTION
from studio.plugins.context.api import context_service
from studio.plugins.context.listing import matches_filter
from studio.plugins.context.widgets.common import ViewContext, icon, muted_label
from studio.plugins.context.widgets.tree_model import ENTRY_ROLE, PATH_ROLE, BrowserModel, Node
from studio.shell.api import add_command_actions

__all__ = ["BrowserView"]


class _FilterProxy(QSortFilterProxyModel):
    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.text = ""
        self.setRecursiveFilteringEnabled(True)

    def set_text(self, text: str) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt 6.9+: invalidateFilter is deprecated
            self.beginFilterChange()
            self.text = text.strip()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.text = text.strip()
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex) -> bool:
        if not self.text:
            return True
        model = self.sourceModel()
        index = model.index(source_row, 0, source_parent)
        if not source_parent.isValid():
            return True  # roots always show
        return matches_filter(str(index.data(Qt.ItemDataRole.DisplayRole) or ""), self.text)


class BrowserView(QWidget):
    def __init__(self, context: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("contextBrowser")
        self.context = context
        self.studio = context.studio
        self.service = context_service(self.studio)
        self.model = BrowserModel(self.service, self)
        self.proxy = _FilterProxy(self)
        self.proxy.setSourceModel(self.model)

        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter loaded names…")
        self.filter.setClearButtonEnabled(True)
        self._filter_timer = QTimer(self, singleShot=True, interval=150)
        self._filter_timer.timeout.connect(self._apply_filter)
        self.filter.textChanged.connect(lambda _t: self._filter_timer.start())
        add_root = QToolButton()
        add_root.setIcon(icon("mdi6.folder-plus-outline"))
        add_root.setToolTip("Add a folder to browse (saved in Preferences ▸ Context)")
        add_root.clicked.connect(lambda: context.run_command("context.add-root"))
        refresh = QToolButton()
        refresh.setIcon(icon("mdi6.refresh"))
        refresh.setToolTip("Reload the roots")
        refresh.clicked.connect(self.reload_roots)
        bar = QHBoxLayout()
        bar.addWidget(self.filter, 1)
        bar.addWidget(add_root)
        bar.addWidget(refresh)

        self.tree = QTreeView()
        self.tree.setObjectName("contextTree")
        self.tree.setModel(self.proxy)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setDragEnabled(True)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._menu)
        self.tree.activated.connect(self._activated)
        self.tree.expanded.connect(lambda i: self._expanded(i, True))
        self.tree.collapsed.connect(lambda i: self._expanded(i, False))
        self.tree.verticalScrollBar().valueChanged.connect(self._maybe_fetch)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.resizeSection(1, 230)  # "hafs: daemon and training logs" whole
        self.status = muted_label("")
        self.model.loading_changed.connect(self._loading)
        QShortcut(QKeySequence("Ctrl+F"), self, self.filter.setFocus,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(bar)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.status)
        context.subscribe("settings.changed", self._on_setting)
        self.destroyed.connect(lambda *_: self.model.close())
        self.tree.expand(self.proxy.index(0, 0))

    # -- roots and settings ------------------------------------------------------------------
    def reload_roots(self) -> None:
        self.model.show_hidden = bool(self.service.setting("show_hidden", False))
        self.model.set_roots(self.service.roots())
        self.tree.expand(self.proxy.index(0, 0))

    def _on_setting(self, event: object) -> None:
        if getattr(event, "section", "") == "context" and getattr(event, "key", "") in (
                "roots", "show_hidden"):
            self.reload_roots()

    # -- filter, loading ---------------------------------------------------------------------
    def _apply_filter(self) -> None:
        text = self.filter.text()
        if text.strip():
            self.model.flush_pending()  # the filter must see every listed name
        self.proxy.set_text(text)
        if text.strip():
            self.tree.expandAll() if self._small_tree() else None

    def _small_tree(self) -> bool:
        return len(self.model.watched_paths()) < 50

    def _loading(self, count: int) -> None:
        self.status.setText(f"Listing {count} folder{'s' if count != 1 else ''}…" if count
                            else "")

    def _maybe_fetch(self, value: int) -> None:
        bar = self.tree.verticalScrollBar()
        if value < bar.maximum() - bar.pageStep():
            return
        for node in self.model.pending_nodes():
            if node.watch is not None:  # expanded
                self.model.fetchMore(self.model.index_of(node))

    def _expanded(self, proxy_index: QModelIndex, expanded: bool) -> None:
        self.model.set_expanded(self.proxy.mapToSource(proxy_index), expanded)

    # -- actions -----------------------------------------------------------------------------
    def selected_paths(self) -> list[str]:
        rows = self.tree.selectionModel().selectedRows(0)
        return [str(i.data(PATH_ROLE)) for i in rows if i.data(PATH_ROLE)]

    def _activated(self, index: QModelIndex) -> None:
        entry = index.data(ENTRY_ROLE)
        if entry is None or entry.is_dir:
            self.tree.setExpanded(index, not self.tree.isExpanded(index))
            return
        from studio.plugins.context.widgets import actions

        actions.open_entry(self.studio, entry.path, entry.kind)

    def _menu(self, position: object) -> None:
        menu = self.menu_for(self.tree.indexAt(position))
        if menu is not None:
            menu.popup(self.tree.viewport().mapToGlobal(position))

    def menu_for(self, index: QModelIndex) -> QMenu | None:
        """The context menu of a row (of the proxy model); None for no row."""
        if not index.isValid():
            return None
        path = str(index.data(PATH_ROLE))
        entry = index.data(ENTRY_ROLE)
        from studio.plugins.context.widgets import actions

        menu = QMenu(self)
        if entry is not None and not entry.is_dir:
            menu.addAction(icon("mdi6.open-in-app"), "Open",
                           lambda: actions.open_entry(self.studio, path, entry.kind))
            menu.addAction(icon("mdi6.file-edit-outline"), "Open in Editor",
                           lambda: actions.open_in_editor(self.studio, path, "edit"))
            menu.addAction(icon("mdi6.hexadecimal"), "Open in Hex View",
                           lambda: actions.open_in_editor(self.studio, path, "hex"))
            self._add_file_commands(menu, path)
            menu.addSeparator()
        paths = self.selected_paths() or [path]
        menu.addAction(icon("mdi6.pin-outline"), "Pin to Selected Context",
                       lambda: actions.pin_paths(self.studio, paths))
        menu.addAction(icon("mdi6.content-copy"), "Copy Path",
                       lambda: QGuiApplication.clipboard().setText("\n".join(paths)))
        if index.parent().isValid() is False and entry is None:
            extra = [r for r in self.service.roots() if not r.is_context_root
                     and os.path.normpath(r.path) == os.path.normpath(path)]
            if extra:
                menu.addAction(icon("mdi6.folder-remove-outline"), "Remove from Browser",
                               lambda: self.service.remove_root(path))
        return menu

    def _add_file_commands(self, menu: QMenu, path: str) -> None:
        """Other plugins' commands on a file selection that accept this file (Models: "Inspect
        in GGUF Inspector" on a .gguf)."""
        commands = self.studio.commands
        offered = [spec.id for spec in commands.all() if spec.selection == FILE_SELECTION
                   and spec.plugin != "context" and commands.is_enabled(spec.id, [path])]
        add_command_actions(menu, self.context, offered, selection=[path])

    # -- reveal ------------------------------------------------------------------------------
    def reveal(self, path: str) -> bool:
        """Expand the tree down to ``path`` and select it (listing folders on the way)."""
        target = os.path.normpath(os.path.abspath(os.path.expanduser(path)))
        if self.filter.text():
            self.filter.clear()
            self._apply_filter()
        root = self.model.root_for(target)
        if root is None:
            parent = str(Path(target).parent)
            self.service.add_root(parent if os.path.isfile(target) else target)
            self.reload_roots()
            root = self.model.root_for(target)
            if root is None:
                return False
        self._pending_reveal = (target, root)
        self._continue_reveal()
        return True

    def _continue_reveal(self) -> None:
        target, node = getattr(self, "_pending_reveal", (None, None))
        if target is None or node is None:
            return
        while True:
            index = self.proxy.mapFromSource(self.model.index_of(node))
            if node.path == target:
                self.tree.setCurrentIndex(index)
                self.tree.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
                self._pending_reveal = (None, None)
                return
            if (node.parent is not None and node.parent.parent is not None) or index.isValid():
                self.tree.expand(index)
            if self.model.canFetchMore(self.model.index_of(node)) and not node.children:
                self.model.fetchMore(self.model.index_of(node))
            rest = os.path.relpath(target, node.path).split(os.sep)[0]
            child = self.model.child_named(node, rest)
            if child is None:
                if node.state.name in ("LOADING", "NOT_LOADED"):
                    self._pending_reveal = (target, node)
                    QTimer.singleShot(20, self._continue_reveal)
                    return
                self._pending_reveal = (None, None)
                return
            node = child

    def current_node(self) -> Node | None:
        index = self.tree.currentIndex()
        if not index.isValid():
            return None
        return self.model.node(self.proxy.mapToSource(index))
