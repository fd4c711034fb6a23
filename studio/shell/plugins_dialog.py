"""The Plugins dialog: what is installed, where it came from, how it is doing, on or off.

A table of every plugin (built-in, entry point with its distribution, test) with its state
(and why it is disabled: "requires models, which failed to load"), what it requires, load and
activation times, and a details pane with the error, the full traceback (selectable, with a
Copy button) and warnings. The Enabled check box records the user's choice in ``plugins.json``
and applies it at once where the plugin's contributions allow (views, commands, cards,
settings); plugins that require it follow. Where they do not (themes), a banner asks for a
restart. Essential plugins (the shell's own settings and commands) cannot be disabled. The
table follows ``plugins.changed`` events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.core.plugins import ESSENTIAL_PLUGINS, PluginRecord, PluginState
from studio.shell.cheatsheet import theme_colour
from studio.shell.icons import icon
from studio.shell.subscriptions import subscribe_widget
from studio.shell.tables import setup_record_table

if TYPE_CHECKING:
    from studio.core.app import Studio

__all__ = ["ESSENTIAL_PLUGINS", "PluginsDialog"]

COLUMNS = ("Enabled", "Plugin", "Version", "Source", "State", "Requires", "Load", "Activation")
ENABLED, NAME, VERSION, SOURCE, STATE, REQUIRES, LOAD_MS, ACTIVATE_MS = range(len(COLUMNS))
RECORD_KEY_ROLE = Qt.ItemDataRole.UserRole + 1

_STATE_LOOK = {
    # state: (icon, theme colour token or None for the muted palette colour, label)
    PluginState.ACTIVE: ("mdi6.check-circle", "success", "Active"),
    PluginState.LOADED: ("mdi6.circle-slice-4", "info", "Loaded"),
    PluginState.DISCOVERED: ("mdi6.circle-outline", None, "Not loaded"),
    PluginState.DISABLED: ("mdi6.minus-circle-outline", None, "Disabled"),
    PluginState.ERRORED: ("mdi6.alert-circle", "error", "Errored"),
}


def state_icon_name(state: PluginState) -> str:
    return _STATE_LOOK[state][0]


def source_text(record: PluginRecord) -> str:
    if record.builtin:
        return "Built-in"
    if record.source == "entry point":
        return f"Entry point ({record.distribution})" if record.distribution else "Entry point"
    return record.source.capitalize()


class _DetailsPane(QWidget):
    """Everything known about the selected plugin, copyable for a bug report."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setProperty("role", "subheading")
        self.facts = QLabel(wordWrap=True)
        self.facts.setProperty("role", "muted")
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error = QLabel(wordWrap=True)
        self.error.setProperty("role", "error")
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.warnings = QLabel(wordWrap=True)
        self.warnings.setProperty("role", "warning")
        self.warnings.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.traceback = QPlainTextEdit(readOnly=True)
        self.traceback.setProperty("role", "mono")
        self.traceback.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.traceback.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.traceback.setPlaceholderText("No traceback: this plugin has not failed.")
        self.copy_button = QPushButton(icon("mdi6.content-copy"), "Copy")
        self.copy_button.setToolTip("Copy the plugin's details and traceback to the clipboard")
        self.copy_button.setAutoDefault(False)
        self.copy_button.clicked.connect(self.copy)

        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(header)
        layout.addWidget(self.facts)
        layout.addWidget(self.error)
        layout.addWidget(self.warnings)
        layout.addWidget(self.traceback, 1)
        self.record: PluginRecord | None = None
        self.show_record(None)

    def show_record(self, record: PluginRecord | None) -> None:
        self.record = record
        self.copy_button.setEnabled(record is not None)
        if record is None:
            self.title.setText("Select a plugin to see its details")
            for label in (self.facts, self.error, self.warnings):
                label.hide()
            self.traceback.clear()
            return
        version = f" {record.version}" if record.version else ""
        self.title.setText(f"{record.name}{version}")
        facts = [f"Module: {record.module}", f"Source: {source_text(record)}"]
        if record.requires:
            facts.append(f"Requires: {', '.join(record.requires)}")
        if record.optional:
            facts.append(f"Optional: {', '.join(record.optional)}")
        if record.essential:
            facts.append("Essential (cannot be disabled)")
        if record.reason:
            facts.append(f"Disabled: {record.reason}")
        self.facts.setText("   ·   ".join(facts))
        self.facts.show()
        phase = f" (during {record.error_phase})" if record.error_phase else ""
        self.error.setText(f"{record.error}{phase}" if record.error else "")
        self.error.setVisible(bool(record.error))
        self.warnings.setText("\n".join(f"⚠ {w}" for w in record.warnings))
        self.warnings.setVisible(bool(record.warnings))
        self.traceback.setPlainText(record.traceback)

    def details_text(self) -> str:
        record = self.record
        if record is None:
            return ""
        lines = [
            f"Plugin: {record.name} {record.version}".rstrip(),
            f"Module: {record.module}",
            f"Source: {source_text(record)}",
            f"State: {record.state}" + (f" ({record.reason})" if record.reason else ""),
        ]
        if record.requires or record.optional:
            lines.append(f"Requires: {', '.join(record.requires) or '-'}; optional: "
                         f"{', '.join(record.optional) or '-'}")
        if record.error:
            lines.append(f"Error ({record.error_phase}): {record.error}")
        lines += [f"Warning: {w}" for w in record.warnings]
        if record.traceback:
            lines += ["", record.traceback.rstrip()]
        return "\n".join(lines) + "\n"

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.details_text())


class PluginsDialog(QDialog):
    """Every plugin with its state, requirements and timings; enable/disable applies live
    where it can, else at the next start (the banner says which).

    ``enabled_changed(name, enabled)`` is emitted after a choice was saved (and applied).
    """

    enabled_changed = Signal(str, bool)

    def __init__(self, studio: Studio, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        self.setWindowTitle("Plugins")
        self.setWindowIcon(icon("mdi6.puzzle-outline"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(900, 620)
        self._pending: dict[str, str] = {}  # choices waiting for a restart, with the reason
        self._filling = False

        self.banner_text = QLabel(wordWrap=True)
        self.banner_text.setProperty("role", "warning")
        banner_icon = QLabel()
        banner_icon.setPixmap(
            icon("mdi6.restart-alert", color=theme_colour("warning")).pixmap(QSize(18, 18))
        )
        self.banner = QFrame()  # a card, so the message stands out from the table
        self.banner.setProperty("role", "card")
        banner_layout = QHBoxLayout(self.banner)
        banner_layout.setContentsMargins(10, 6, 10, 6)
        banner_layout.addWidget(banner_icon)
        banner_layout.addWidget(self.banner_text, 1)
        self.banner.hide()
        self.summary = QLabel()
        self.summary.setProperty("role", "muted")
        self.note = QLabel(wordWrap=True)  # what a live enable/disable just did
        self.note.setObjectName("plugins-note")
        self.note.setProperty("role", "muted")
        self.note.hide()

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        header = setup_record_table(self.table, row_height=28)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(STATE, QHeaderView.ResizeMode.Stretch)
        self.table.itemChanged.connect(self._on_item_changed)
        self.table.itemSelectionChanged.connect(self._show_selected)

        self.details = _DetailsPane()
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)

        close = QPushButton("Close")
        close.clicked.connect(self.close)
        footer = QHBoxLayout()
        footer.addWidget(self.summary, 1)
        footer.addWidget(close)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 10)
        layout.setSpacing(8)
        layout.addWidget(self.banner)
        layout.addWidget(self.note)
        layout.addWidget(splitter, 1)
        layout.addLayout(footer)

        # Plugin state can change from any thread (a failing subscriber): the helper hops.
        subscribe_widget(self, studio.bus, "plugins.changed", lambda _events: self.refresh(),
                         owner="studio", batch=True)
        self.refresh()
        if self.table.rowCount():
            self.table.selectRow(self._first_errored_row())

    # -- table -------------------------------------------------------------------------------
    def records(self) -> list[PluginRecord]:
        return self.studio.plugins.records_sorted()

    def refresh(self) -> None:
        selected = self.selected_key()
        self._filling = True
        try:
            records = self.records()
            self.table.setRowCount(len(records))
            for row, record in enumerate(records):
                self._fill_row(row, record)
        finally:
            self._filling = False
        counts = {state: sum(r.state is state for r in records) for state in PluginState}
        parts = [f"{len(records)} plugins", f"{counts[PluginState.ACTIVE]} active"]
        if counts[PluginState.DISABLED]:
            parts.append(f"{counts[PluginState.DISABLED]} disabled")
        if counts[PluginState.ERRORED]:
            parts.append(f"{counts[PluginState.ERRORED]} errored")
        self.summary.setText(" · ".join(parts))
        if selected is not None:
            self.select_plugin(selected)
        self._show_selected()

    def _fill_row(self, row: int, record: PluginRecord) -> None:
        key = self._record_key(record)
        enabled = QTableWidgetItem()
        enabled.setData(RECORD_KEY_ROLE, key)
        toggleable, why_not = self._toggleable(record, key)
        flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
        if toggleable:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        enabled.setFlags(flags)
        # A start-up switch (HAFS_STUDIO_DISABLE_PLUGINS, safe mode) keeps it off whatever the
        # user chose: show it unchecked, as it is.
        on = self._user_enabled(record) and not self.studio.plugins.switch_reason(record.name) \
            if self.studio.plugins.records.get(record.name) is record else False
        enabled.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        enabled.setToolTip(why_not or "Enable or disable (now, where the plugin allows it)")

        icon_name, colour_token, label = _STATE_LOOK[record.state]
        colour = (theme_colour(colour_token) if colour_token
                  else self.palette().color(QPalette.ColorRole.PlaceholderText).name())
        name = QTableWidgetItem(icon(icon_name, color=colour), record.name)
        name.setToolTip(record.module)
        if record.state is PluginState.ERRORED:
            font = QFont(name.font())
            font.setBold(True)
            name.setFont(font)
        state_text = label
        if record.reason:
            state_text += f" ({record.reason})"
        if record.essential:
            state_text += " · essential"
        if key in self._pending:
            state_text += " · restart to apply"
        needs = [*record.requires, *(f"{name} (optional)" for name in record.optional)]
        cells = {
            ENABLED: enabled,
            NAME: name,
            VERSION: QTableWidgetItem(record.version or "—"),
            SOURCE: QTableWidgetItem(source_text(record)),
            STATE: QTableWidgetItem(state_text),
            REQUIRES: QTableWidgetItem(", ".join(needs) or "—"),
            LOAD_MS: _number_item(record.load_ms),
            ACTIVATE_MS: _number_item(record.activate_ms),
        }
        cells[STATE].setToolTip(record.error or record.reason or label)
        for column, item in cells.items():
            if column != ENABLED:
                item.setFlags(Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled)
            self.table.setItem(row, column, item)

    def _record_key(self, record: PluginRecord) -> str:
        # A duplicate plugin name is kept under "name@module", so the dict key is the identity.
        for key, candidate in self.studio.plugins.records.items():
            if candidate is record:
                return key
        return record.name

    def _toggleable(self, record: PluginRecord, key: str) -> tuple[bool, str]:
        plugins = self.studio.plugins
        if record.essential or record.name in ESSENTIAL_PLUGINS:
            return False, ("Essential: the window's own settings and commands live here; it "
                           "cannot be disabled")
        if plugins.user_choices is None:
            return False, "This studio keeps no plugin choices"
        if plugins.records.get(record.name) is not record:
            return False, "A second plugin with an already used name; rename it to load it"
        switch = plugins.switch_reason(record.name)
        if switch:
            return False, f"Off for this run: {switch}"
        return True, ""

    def _user_enabled(self, record: PluginRecord) -> bool:
        choices = self.studio.plugins.user_choices
        return choices is None or record.name not in choices.disabled

    def _first_errored_row(self) -> int:
        for row, record in enumerate(self.records()):
            if record.state is PluginState.ERRORED:
                return row
        return 0

    # -- interaction ----------------------------------------------------------------------------
    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != ENABLED:
            return
        name = item.data(RECORD_KEY_ROLE)
        self.set_plugin_enabled(name, item.checkState() == Qt.CheckState.Checked)

    def set_plugin_enabled(self, name: str, enabled: bool) -> None:
        """Save the user's choice for ``name`` and apply it now where the plugin allows."""
        record = self.studio.plugins.records.get(name)
        if name in ESSENTIAL_PLUGINS or (record is not None and record.essential):
            raise ValueError(f"plugin {name!r} cannot be disabled")
        change = self.studio.enable_plugin if enabled else self.studio.disable_plugin
        try:
            toggle = change(name)
        except (OSError, KeyError, RuntimeError, ValueError) as exc:
            self.banner_text.setText(f"Could not save the choice for {name}: {exc}")
            self.banner.show()
            self.refresh()
            return
        if toggle.applied:
            self._pending.pop(name, None)
            self._note_applied(name, enabled, toggle.affected)
        elif name in self._pending:
            del self._pending[name]  # toggled back: nothing left to apply
        else:
            self._pending[name] = toggle.restart_reason
        self._update_banner()
        self.refresh()
        self.enabled_changed.emit(name, enabled)

    def _note_applied(self, name: str, enabled: bool, affected: tuple[str, ...]) -> None:
        text = f"{name} is {'enabled' if enabled else 'disabled'} now"
        if affected:
            which = ", ".join(affected)
            text += (f"; {which}, which require{'s' * (len(affected) == 1)} it, "
                     f"{'came back' if enabled else 'too'}")
        self.note.setText(text + ".")
        self.note.show()

    def _update_banner(self) -> None:
        if not self._pending:
            self.banner.hide()
            return
        lines = [f"{name}: {reason}" if reason else name
                 for name, reason in sorted(self._pending.items())]
        self.banner_text.setText("Restart HAFS Studio to apply the plugin changes: "
                                 + "; ".join(lines) + ".")
        self.banner.show()

    def selected_key(self) -> str | None:
        row = self.table.currentRow()
        item = self.table.item(row, ENABLED) if row >= 0 else None
        return item.data(RECORD_KEY_ROLE) if item is not None else None

    def select_plugin(self, name: str) -> bool:
        for row in range(self.table.rowCount()):
            if self.table.item(row, ENABLED).data(RECORD_KEY_ROLE) == name:
                self.table.selectRow(row)
                return True
        return False

    def _show_selected(self) -> None:
        key = self.selected_key()
        record = next((r for r in self.records() if self._record_key(r) == key), None)
        self.details.show_record(record)


def _number_item(milliseconds: float) -> QTableWidgetItem:
    item = QTableWidgetItem(f"{milliseconds:.1f} ms" if milliseconds else "—")
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    item.setData(Qt.ItemDataRole.UserRole, milliseconds)
    return item
