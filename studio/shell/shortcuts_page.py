"""The Keyboard Shortcuts page of Preferences: rebind any command, conflicts shown.

Overrides are written to ``keybindings.conf`` (atomically) and re-read, so every window
rebinds at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.core.atomic import atomic_write_text
from studio.core.keys import normalize_shortcut
from studio.shell.cheatsheet import SHORTCUT_ROLE, KeycapDelegate, theme_colour
from studio.shell.icons import icon

if TYPE_CHECKING:
    from studio.core.app import Studio


from studio.shell.settings_page import PAGE_MARGINS

__all__ = ["ShortcutsPage"]

log = logging.getLogger(__name__)


class _ShortcutDelegate(KeycapDelegate):
    """Edits a shortcut cell with a one-chord QKeySequenceEdit, committed on the first chord."""

    def __init__(self, page: ShortcutsPage) -> None:
        super().__init__(page.table)
        self.page = page

    def createEditor(
        self,
        parent: QWidget,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> QWidget:
        editor = QKeySequenceEdit(parent)
        editor.setMaximumSequenceLength(1)
        editor.setClearButtonEnabled(True)
        editor.editingFinished.connect(lambda: self._finish(editor))
        return editor

    def _finish(self, editor: QKeySequenceEdit) -> None:
        self.commitData.emit(editor)
        self.closeEditor.emit(editor)

    def setEditorData(self, editor: QWidget, index: QModelIndex | QPersistentModelIndex) -> None:
        assert isinstance(editor, QKeySequenceEdit)
        editor.setKeySequence(QKeySequence(index.data(SHORTCUT_ROLE) or ""))

    def setModelData(
        self,
        editor: QWidget,
        model: QAbstractItemModel,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        assert isinstance(editor, QKeySequenceEdit)
        text = editor.keySequence().toString(QKeySequence.SequenceFormat.PortableText)
        command_id = model.index(index.row(), 0).data(Qt.ItemDataRole.UserRole)
        self.page.set_shortcut(command_id, text)


class ShortcutsPage(QWidget):
    """Every command's shortcut, editable; conflicts flagged; saved to ``keybindings.conf``."""

    COLUMNS = ("Command", "Category", "Shortcut", "Source")
    shortcut_changed = Signal(str, str)

    def __init__(self, studio: Studio, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        title = QLabel("Keyboard Shortcuts")
        title.setProperty("role", "heading")
        hint = QLabel(
            "Double-click a shortcut (or press F2) and type the new keys. "
            "Saved to keybindings.conf.",
            wordWrap=True,
        )
        hint.setProperty("role", "muted")
        self.filter_edit = QLineEdit(placeholderText="Filter commands or keys…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.addAction(icon("mdi6.magnify"), QLineEdit.ActionPosition.LeadingPosition)
        self.filter_edit.textChanged.connect(self._apply_filter)
        self.banner = QLabel(wordWrap=True)
        self.banner.setProperty("role", "warning")
        self.banner.hide()

        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.table.setItemDelegateForColumn(2, _ShortcutDelegate(self))
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, width in ((1, 110), (2, 170), (3, 80)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
        self.table.verticalHeader().setDefaultSectionSize(30)

        reset = QPushButton(icon("mdi6.restore"), "Reset to default")
        reset.clicked.connect(lambda: self._on_selected(lambda cid: self.set_shortcut(cid, None)))
        remove = QPushButton(icon("mdi6.close-circle-outline"), "Remove shortcut")
        remove.clicked.connect(lambda: self._on_selected(lambda cid: self.set_shortcut(cid, "")))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(reset)
        buttons.addWidget(remove)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(*PAGE_MARGINS)
        layout.setSpacing(8)
        layout.addWidget(title)
        layout.addWidget(hint)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.banner)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.refresh()

    def refresh(self) -> None:
        commands = self.studio.commands
        conflicts = commands.conflicts()
        selected = self.selected_command()
        self.table.setRowCount(0)
        for spec in commands.all():
            shortcut = commands.shortcut(spec.id)
            default = normalize_shortcut(spec.shortcut) if spec.shortcut else ""
            row = self.table.rowCount()
            self.table.insertRow(row)
            name = QTableWidgetItem(icon(spec.icon or "mdi6.console-line"), spec.title)
            name.setData(Qt.ItemDataRole.UserRole, spec.id)
            name.setToolTip(f"{spec.description or spec.title}\n{spec.id}")
            key = QTableWidgetItem("" if shortcut else "—")
            key.setData(SHORTCUT_ROLE, shortcut)
            source = "Default" if shortcut == default else "User"
            cells = [name, QTableWidgetItem(spec.category), key, QTableWidgetItem(source)]
            if shortcut in conflicts:
                others = ", ".join(c for c in conflicts[shortcut] if c != spec.id)
                name.setIcon(icon("mdi6.alert", color=theme_colour("warning")))
                for cell in cells:
                    cell.setToolTip(f"{shortcut} is also bound to {others}")
            for column, cell in enumerate(cells):
                if column != 2:
                    cell.setFlags(cell.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(row, column, cell)
        self._show_conflicts(conflicts)
        self._apply_filter(self.filter_edit.text())
        if selected:
            self.select_command(selected)

    def _show_conflicts(self, conflicts: dict[str, list[str]]) -> None:
        if not conflicts:
            self.banner.hide()
            return
        commands = self.studio.commands
        lines = [
            f"{key}: {', '.join(commands.get(cid).title for cid in ids)}"
            for key, ids in sorted(conflicts.items())
        ]
        self.banner.setText(
            "Shortcuts bound to several commands (only one will work):\n" + "\n".join(lines)
        )
        self.banner.show()

    def _apply_filter(self, text: str) -> None:
        terms = text.lower().split()
        for row in range(self.table.rowCount()):
            haystack = " ".join(
                [self.table.item(row, c).text() for c in (0, 1)]
                + [
                    self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) or "",
                    self.table.item(row, 2).data(SHORTCUT_ROLE) or "",
                ]
            ).lower()
            self.table.setRowHidden(row, not all(term in haystack for term in terms))

    # -- editing -----------------------------------------------------------------------------
    def set_shortcut(self, command_id: str, shortcut: str | None) -> bool:
        """Bind ``command_id`` to ``shortcut`` ('' unbinds, None restores the default) and save.

        Returns False (and shows why) if the keys are not a valid shortcut.
        """
        commands = self.studio.commands
        try:
            spec = commands.get(command_id)
            if shortcut is not None:
                shortcut = normalize_shortcut(shortcut)
                default = normalize_shortcut(spec.shortcut) if spec.shortcut else ""
                if shortcut == default:
                    shortcut = None  # keep the file minimal: only real overrides
            commands.set_override(command_id, shortcut)
        except ValueError as exc:  # CommandError is a RuntimeError, handled by the caller
            self.banner.setText(str(exc))
            self.banner.show()
            return False
        path = self.studio.paths.keybindings_file
        try:
            atomic_write_text(path, commands.keybindings_text())
        except OSError as exc:
            self.banner.setText(f"Cannot save {path}: {exc}")
            self.banner.show()
            return False
        # Re-reading publishes commands.keybindings, so every window rebinds now.
        commands.load_keybindings(path)
        self.refresh()
        self.shortcut_changed.emit(command_id, commands.shortcut(command_id))
        return True

    def selected_command(self) -> str | None:
        row = self.table.currentRow()
        item = self.table.item(row, 0) if row >= 0 else None
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def select_command(self, command_id: str) -> int:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) == command_id:
                self.table.setCurrentCell(row, 2)
                return row
        return -1

    def _on_selected(self, action: Callable[[str], Any]) -> None:
        command_id = self.selected_command()
        if command_id:
            action(command_id)
