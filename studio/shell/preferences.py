"""The Preferences dialog, generated from the settings sections plugins register.

One page per section: a form with an editor per field type (check box, spin box, combo box,
line edit, path with a Browse button), the field's help as a muted line and a tooltip, and an
inline error under a field whose value was rejected (the value is then not saved). Changes apply
at once through :meth:`SettingsStore.set`, which saves the file and publishes
``settings.changed``. A last page edits keyboard shortcuts: the user's overrides are saved to
``keybindings.conf`` and re-read, so every window rebinds immediately.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.atomic import atomic_write_text
from studio.core.contributions import SettingField, SettingsSectionSpec
from studio.core.keys import normalize_shortcut
from studio.core.settings import SettingsError
from studio.shell.cheatsheet import SHORTCUT_ROLE, KeycapDelegate, theme_colour
from studio.shell.icons import icon

if TYPE_CHECKING:
    from studio.core.app import Studio

__all__ = ["FieldEditor", "PreferencesDialog", "SectionPage", "ShortcutsPage"]

log = logging.getLogger(__name__)

INT_LIMIT = 2**31 - 1  # QSpinBox holds a C int
PAGE_MARGINS = (20, 16, 20, 16)


def _repolish(widget: QWidget) -> None:
    # A dynamic property only restyles after the style re-reads it.
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class FieldEditor(QWidget):
    """The editor for one setting plus its help text and inline error.

    ``apply(value)`` is given by the page; it raises :class:`SettingsError` on a rejected value.
    """

    def __init__(
        self, field: SettingField, value: Any, apply: Callable[[Any], Any],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.field = field
        self._apply = apply
        self.setObjectName(f"setting-{field.key}")
        self.input = self._make_input(field)
        self.set_value(value)
        self._connect_input()

        self.error_label = QLabel(wordWrap=True)
        self.error_label.setProperty("role", "error")
        self.error_label.hide()
        self.help_label = QLabel(field.help, wordWrap=True)
        self.help_label.setProperty("role", "muted")
        self.help_label.setVisible(bool(field.help) and field.type != "bool")

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(self.input, 1)
        if field.type == "path":
            browse = QToolButton()
            browse.setIcon(icon("mdi6.folder-open-outline"))
            browse.setToolTip("Browse…")
            browse.clicked.connect(self._browse)
            row.addWidget(browse)
        if field.type in ("int", "float", "choice"):
            row.addStretch(1)  # compact editors look odd stretched across the page
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.error_label)
        if field.type == "bool":
            self.help_label.setContentsMargins(24, 0, 0, 0)  # align under the check box's text
            self.help_label.setVisible(bool(field.help))
        layout.addWidget(self.help_label)
        if field.help:
            self.input.setToolTip(field.help)

    # -- input widgets -------------------------------------------------------------------
    def _make_input(self, field: SettingField) -> QWidget:
        if field.type == "bool":
            return QCheckBox(field.label or field.key)
        if field.type == "int":
            spin = QSpinBox()
            spin.setRange(
                int(field.minimum) if field.minimum is not None else -INT_LIMIT,
                int(field.maximum) if field.maximum is not None else INT_LIMIT,
            )
            return _tidy_spin(spin)
        if field.type == "float":
            double = QDoubleSpinBox()
            double.setDecimals(_decimals_for(field))
            double.setRange(
                field.minimum if field.minimum is not None else -1e12,
                field.maximum if field.maximum is not None else 1e12,
            )
            double.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
            return _tidy_spin(double)
        if field.type == "choice":
            combo = QComboBox()
            combo.addItems([str(choice) for choice in field.choices])
            combo.setMinimumContentsLength(12)
            return combo
        line = QLineEdit()
        line.setClearButtonEnabled(True)
        if field.type == "path":
            line.setPlaceholderText("A file or folder path")
        return line

    def _connect_input(self) -> None:
        widget = self.input
        if isinstance(widget, QCheckBox):
            widget.toggled.connect(self.commit)
        elif isinstance(widget, (QSpinBox, QDoubleSpinBox)):
            widget.valueChanged.connect(self.commit)
        elif isinstance(widget, QComboBox):
            widget.currentTextChanged.connect(self.commit)
        elif isinstance(widget, QLineEdit):
            # Text is saved when the user is done with it (Enter or leaving the field),
            # not per keystroke: a half-typed path is not a setting.
            widget.editingFinished.connect(self.commit)

    def value(self) -> Any:
        widget = self.input
        if isinstance(widget, QCheckBox):
            return widget.isChecked()
        if isinstance(widget, (QSpinBox, QDoubleSpinBox)):
            return widget.value()
        if isinstance(widget, QComboBox):
            return widget.currentText()
        assert isinstance(widget, QLineEdit)
        return widget.text()

    def set_value(self, value: Any) -> None:
        """Show ``value`` without saving it (after a reset or a change made elsewhere)."""
        widget = self.input
        widget.blockSignals(True)
        try:
            if isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            elif isinstance(widget, QSpinBox):
                widget.setValue(int(value))
            elif isinstance(widget, QDoubleSpinBox):
                widget.setValue(float(value))
            elif isinstance(widget, QComboBox):
                widget.setCurrentText(str(value))
            elif isinstance(widget, QLineEdit):
                widget.setText(str(value))
        finally:
            widget.blockSignals(False)

    # -- saving --------------------------------------------------------------------------
    def commit(self, *_: Any) -> bool:
        """Save the editor's value; show the reason inline and return False if rejected."""
        try:
            self._apply(self.value())
        except SettingsError as exc:
            self.show_error(_without_prefix(str(exc)))
            return False
        self.show_error("")
        return True

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.setVisible(bool(message))
        self.input.setProperty("role", "error" if message else None)
        _repolish(self.input)

    def _browse(self) -> None:
        current = self.value() or ""
        if _looks_like_folder(self.field):
            chosen = QFileDialog.getExistingDirectory(self, self.field.label or "Choose a folder",
                                                      current)
        else:
            chosen, _ = QFileDialog.getOpenFileName(self, self.field.label or "Choose a file",
                                                    current)
        if chosen:
            assert isinstance(self.input, QLineEdit)
            self.input.setText(chosen)
            self.commit()


class SectionPage(QWidget):
    """The form for one settings section, with "Restore defaults"."""

    def __init__(self, studio: Studio, section: SettingsSectionSpec,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        self.section = section
        self.editors: dict[str, FieldEditor] = {}

        title = QLabel(section.title)
        title.setProperty("role", "heading")
        restore = QPushButton(icon("mdi6.restore"), "Restore defaults")
        restore.setToolTip(f"Reset every setting of {section.title} to its default")
        restore.clicked.connect(self.restore_defaults)
        header = QHBoxLayout()
        header.addWidget(title, 1)
        header.addWidget(restore)

        form = QGridLayout()
        form.setHorizontalSpacing(16)
        form.setVerticalSpacing(14)
        form.setColumnStretch(1, 1)
        values = studio.settings.values(section.id)
        for row, field in enumerate(section.fields):
            editor = FieldEditor(field, values[field.key], self._setter(field.key))
            self.editors[field.key] = editor
            if field.type != "bool":  # a check box carries its own label
                label = QLabel(f"{field.label or field.key}")
                label.setBuddy(editor.input)
                label.setToolTip(f"{section.id}.{field.key}")
                form.addWidget(label, row, 0, Qt.AlignmentFlag.AlignTop)
                label.setContentsMargins(0, 5, 0, 0)  # baseline with the editor's text
                form.addWidget(editor, row, 1)
            else:
                form.addWidget(editor, row, 0, 1, 2)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(*PAGE_MARGINS)
        layout.setSpacing(8)
        layout.addLayout(header)
        if section.description:
            description = QLabel(section.description, wordWrap=True)
            description.setProperty("role", "muted")
            layout.addWidget(description)
        divider = QFrame()  # drawn by the theme's QFrame[role="divider"] rule
        divider.setProperty("role", "divider")
        layout.addWidget(divider)
        layout.addSpacing(4)
        layout.addLayout(form)
        layout.addStretch(1)

    def _setter(self, key: str) -> Callable[[Any], Any]:
        def apply(value: Any) -> Any:
            return self.studio.settings.set(self.section.id, key, value)

        return apply

    def restore_defaults(self) -> None:
        for key, editor in self.editors.items():
            self.studio.settings.reset(self.section.id, key)
            editor.set_value(self.studio.settings.get(self.section.id, key))
            editor.show_error("")

    def show_value(self, key: str, value: Any) -> None:
        """Reflect a change made elsewhere (a command, another window) unless being edited."""
        editor = self.editors.get(key)
        if editor is not None and not editor.input.hasFocus():
            editor.set_value(value)
            editor.show_error("")


class _ShortcutDelegate(KeycapDelegate):
    """Edits a shortcut cell with a one-chord QKeySequenceEdit, committed on the first chord."""

    def __init__(self, page: ShortcutsPage) -> None:
        super().__init__(page.table)
        self.page = page

    def createEditor(
        self, parent: QWidget, option: QStyleOptionViewItem,
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
        self, editor: QWidget, model: QAbstractItemModel,
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
        hint = QLabel("Double-click a shortcut (or press F2) and type the new keys. "
                      "Saved to keybindings.conf.", wordWrap=True)
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
        self.banner.setText("Shortcuts bound to several commands (only one will work):\n"
                            + "\n".join(lines))
        self.banner.show()

    def _apply_filter(self, text: str) -> None:
        terms = text.lower().split()
        for row in range(self.table.rowCount()):
            haystack = " ".join(
                [self.table.item(row, c).text() for c in (0, 1)]
                + [self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) or "",
                   self.table.item(row, 2).data(SHORTCUT_ROLE) or ""]
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


class PreferencesDialog(QDialog):
    """Sections on the left, the selected section's form on the right; changes apply at once."""

    _settings_event = Signal(object)
    _keybindings_event = Signal(object)

    def __init__(self, studio: Studio, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        self.setWindowTitle("Preferences")
        self.setWindowIcon(icon("mdi6.cog-outline"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(880, 600)

        self.sections = QListWidget()
        self.sections.setObjectName("preferencesSections")
        self.sections.setMinimumWidth(170)
        self.sections.setMaximumWidth(240)
        self.pages = QStackedWidget()
        self.section_pages: dict[str, SectionPage] = {}
        for section in sorted(studio.settings.sections.values(), key=lambda s: s.title.lower()):
            page = SectionPage(studio, section)
            self.section_pages[section.id] = page
            self._add_page(section.title, "mdi6.tune-variant", page, scroll=True)
        self.shortcuts_page = ShortcutsPage(studio)
        self._add_page("Keyboard Shortcuts", "mdi6.keyboard-outline", self.shortcuts_page)
        self.sections.currentRowChanged.connect(self.pages.setCurrentIndex)
        self.sections.setCurrentRow(0)

        splitter = QSplitter()
        splitter.addWidget(self.sections)
        splitter.addWidget(self.pages)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)

        note = QLabel("Changes are saved as you make them.")
        note.setProperty("role", "muted")
        close = QPushButton("Close")
        close.setAutoDefault(False)
        close.clicked.connect(self.close)
        footer = QHBoxLayout()
        footer.addWidget(note, 1)
        footer.addWidget(close)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.addWidget(splitter, 1)
        layout.addLayout(footer)

        # Settings and keybindings may change elsewhere (a command, the file watcher's
        # thread): hop to the GUI thread through a signal and refresh what is shown.
        self._settings_event.connect(self._on_setting_changed)
        self._keybindings_event.connect(lambda _event: self.shortcuts_page.refresh())
        bus = studio.bus
        subscriptions = [
            bus.subscribe("settings.changed", self._settings_event.emit, owner="studio"),
            bus.subscribe("commands.keybindings", self._keybindings_event.emit, owner="studio",
                          latest=True),
        ]
        self.destroyed.connect(lambda *_: [s.unsubscribe() for s in subscriptions])

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter confirms a field (and saves it); it must not close the dialog like a
        # default button would. Escape still closes.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()
            return
        super().keyPressEvent(event)

    def _add_page(self, title: str, icon_name: str, page: QWidget, *, scroll: bool = False) -> None:
        if scroll:
            area = QScrollArea()
            area.setWidgetResizable(True)
            area.setFrameShape(QFrame.Shape.NoFrame)
            area.setWidget(page)
            page = area
        self.pages.addWidget(page)
        item = QListWidgetItem(icon(icon_name), title)
        item.setSizeHint(QSize(0, self.fontMetrics().height() + 14))
        self.sections.addItem(item)

    def show_section(self, section_id: str) -> SectionPage:
        """Switch to a section's page (e.g. from a plugin's "Settings…" button)."""
        ids = sorted(self.section_pages, key=lambda s: self.section_pages[s].section.title.lower())
        self.sections.setCurrentRow(ids.index(section_id))
        return self.section_pages[section_id]

    def show_shortcuts(self) -> ShortcutsPage:
        self.sections.setCurrentRow(self.sections.count() - 1)
        return self.shortcuts_page

    def _on_setting_changed(self, event: Any) -> None:
        page = self.section_pages.get(getattr(event, "section", ""))
        if page is not None:
            page.show_value(event.key, self.studio.settings.get(event.section, event.key))


# -- helpers ----------------------------------------------------------------------------------
def _tidy_spin(spin: QAbstractSpinBox) -> QAbstractSpinBox:
    # Save when the user commits (Enter, focus out, arrows), not on every typed digit.
    spin.setKeyboardTracking(False)
    spin.setMinimumWidth(120)
    spin.setAccelerated(True)
    return spin


def _decimals_for(field: SettingField) -> int:
    """Enough decimals to show the default and the bounds (2e-4 needs 6), at most 10."""
    decimals = 2
    for number in (field.default, field.minimum, field.maximum):
        if isinstance(number, (int, float)) and number and math.isfinite(number):
            decimals = max(decimals, 2 - math.floor(math.log10(abs(number))))
    return min(10, decimals)


def _looks_like_folder(field: SettingField) -> bool:
    words = f"{field.key} {field.label}".lower()
    return any(word in words for word in ("dir", "folder", "root", "workspace"))


def _without_prefix(message: str) -> str:
    # SettingsError says "section.key: reason"; under the field itself the reason is enough.
    head, sep, rest = message.partition(": ")
    return rest[:1].upper() + rest[1:] if sep and "." in head and " " not in head else message
