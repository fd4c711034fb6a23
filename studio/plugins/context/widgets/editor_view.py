"""The Editor view: one tab per open file, each the right kind of tab for the file.

Text up to the edit limit opens editable (:class:`TextTab`); bigger text opens read-only by
pages (:class:`PagerTab`); binary files, GGUF and safetensors open in the hex and structure
viewer (:class:`HexTab`), as does any file on request.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QMessageBox, QStackedWidget, QTabWidget, QVBoxLayout, QWidget

from studio.plugins.context.kinds import FileKind, classify, classify_by_magic
from studio.plugins.context.widgets.common import ViewContext, muted_label
from studio.plugins.context.widgets.hex_tab import HexTab
from studio.plugins.context.widgets.pager_tab import PagerTab
from studio.plugins.context.widgets.text_tab import TextTab

__all__ = ["EditorView"]

_BINARY_KINDS = (FileKind.GGUF, FileKind.SAFETENSORS, FileKind.BINARY)


class EditorView(QWidget):
    def __init__(self, context: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("contextEditor")
        self.context = context
        self.studio = context.studio
        self.tabs = QTabWidget()
        self.tabs.setObjectName("editorTabs")
        self.tabs.setTabsClosable(True)
        self.tabs.setMovable(True)
        self.tabs.setDocumentMode(True)
        self.tabs.tabCloseRequested.connect(self.request_close)
        empty = muted_label("Open a file: double-click it in the Context Browser, or "
                            "Context ▸ Open File… (Ctrl+Alt+O). Text opens in the editor, "
                            "binary files (GGUF, safetensors) in the hex and structure view.")
        empty.setContentsMargins(16, 16, 16, 16)
        self.stack = QStackedWidget()
        self.stack.addWidget(empty)
        self.stack.addWidget(self.tabs)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

    # -- opening -----------------------------------------------------------------------------
    def edit_limit(self) -> int:
        try:
            mb = int(self.studio.settings.get("context", "edit_limit_mb"))
        except Exception:  # the settings section is not registered
            mb = 8
        return mb * 1024 * 1024

    def find_tab(self, path: str | Path, kind: type | None = None) -> QWidget | None:
        target = os.path.normpath(os.path.abspath(path))
        for index in range(self.tabs.count()):
            tab = self.tabs.widget(index)
            if os.path.normpath(os.path.abspath(tab.path)) == target and (
                    kind is None or isinstance(tab, kind)):
                return tab
        return None

    def open_path(self, path: str | Path, *, hex_view: bool = False) -> QWidget:
        """Open (or focus) ``path``; returns its tab."""
        path = Path(path).expanduser()
        wanted = HexTab if hex_view else None
        existing = self.find_tab(path, wanted)
        if existing is not None and (hex_view or not isinstance(existing, HexTab)):
            self._focus(existing)
            return existing
        if hex_view or self._is_binary(path):
            tab: QWidget = HexTab(self.studio, path)
        elif path.exists() and path.stat().st_size > self.edit_limit():
            tab = PagerTab(self.studio, path, self.edit_limit())
        else:
            tab = TextTab(self.studio, path, limit=self.edit_limit())
            tab.loaded.connect(lambda t=tab: self._text_loaded(t))
            tab.dirty_changed.connect(lambda _d, t=tab: self._retitle(t))
        self._add(tab, path.name)
        return tab

    def open_edit_copy(self, copy: str | Path, original: Path) -> HexTab:
        tab = HexTab(self.studio, copy, writable=True, original=original)
        self._add(tab, f"{Path(copy).name} [edit]")
        return tab

    def _is_binary(self, path: Path) -> bool:
        kind = classify(path.name, parent=path.parent.name)
        if kind in _BINARY_KINDS or kind is FileKind.TEXT:
            try:
                with open(path, "rb") as handle:
                    kind = classify_by_magic(handle.read(16), kind)
            except OSError:
                return False
        return kind in _BINARY_KINDS

    def _text_loaded(self, tab: TextTab) -> None:
        if tab.document is None and "binary content" in tab.error:
            index = self.tabs.indexOf(tab)
            replacement = HexTab(self.studio, tab.path)
            self.tabs.removeTab(index)
            tab.deleteLater()
            self._add(replacement, tab.path.name, index)

    def _add(self, tab: QWidget, title: str, index: int | None = None) -> None:
        if index is None:
            index = self.tabs.addTab(tab, title)
        else:
            index = self.tabs.insertTab(index, tab, title)
        self.tabs.setTabToolTip(index, str(tab.path))
        self.stack.setCurrentWidget(self.tabs)
        self._focus(tab)

    def _focus(self, tab: QWidget) -> None:
        self.tabs.setCurrentWidget(tab)
        tab.setFocus()

    def _retitle(self, tab: TextTab) -> None:
        index = self.tabs.indexOf(tab)
        if index >= 0:
            self.tabs.setTabText(index, ("• " if tab.dirty else "") + tab.path.name)

    def current(self) -> QWidget | None:
        return self.tabs.currentWidget()

    # -- closing -----------------------------------------------------------------------------
    def request_close(self, index: int) -> Any:
        tab = self.tabs.widget(index)
        if isinstance(tab, TextTab) and tab.dirty:
            box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved changes",
                              f"{tab.path.name} has unsaved changes.",
                              QMessageBox.StandardButton.Save
                              | QMessageBox.StandardButton.Discard
                              | QMessageBox.StandardButton.Cancel, self)

            def answered(button: int) -> None:
                choice = box.standardButton(box.clickedButton())
                if choice == QMessageBox.StandardButton.Discard:
                    self.close_tab(tab)
                elif choice == QMessageBox.StandardButton.Save:
                    tab.saved.connect(lambda _p: self.close_tab(tab))
                    tab.save()

            box.finished.connect(answered)
            box.open()
            return box
        self.close_tab(tab)
        return None

    def close_tab(self, tab: QWidget) -> None:
        index = self.tabs.indexOf(tab)
        if index < 0:
            return
        closer = getattr(tab, "close_file", None)
        if closer is not None:
            closer()
        self.tabs.removeTab(index)
        tab.deleteLater()
        if not self.tabs.count():
            self.stack.setCurrentIndex(0)
