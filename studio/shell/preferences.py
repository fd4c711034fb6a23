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
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QSize,
    Qt,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from studio.core.contributions import SettingsSectionSpec
from studio.core.plugin_records import ContributionsChanged
from studio.shell.icons import icon
from studio.shell.settings_page import FieldEditor, SectionPage
from studio.shell.shortcuts_page import ShortcutsPage
from studio.shell.subscriptions import subscribe_widget

if TYPE_CHECKING:
    from studio.core.app import Studio

__all__ = ["FieldEditor", "PreferencesDialog", "SectionPage", "ShortcutsPage"]

log = logging.getLogger(__name__)


class PreferencesDialog(QDialog):
    """Sections on the left, the selected section's form on the right; changes apply at once."""


    def __init__(self, studio: Studio, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        self.setWindowTitle("Preferences")
        self.setWindowIcon(icon("mdi6.cog-outline"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(880, 600)

        self.search = QLineEdit(placeholderText="Search settings…")
        self.search.setObjectName("preferencesSearch")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.filter_sections)
        self.sections = QListWidget()
        self.sections.setObjectName("preferencesSections")
        self._search_texts: list[str] = []
        self._withdrawn: set[int] = set()  # rows of sections whose plugin went away
        self.pages = QStackedWidget()
        self.section_pages: dict[str, SectionPage] = {}
        for section in sorted(studio.settings.sections.values(), key=lambda s: s.title.lower()):
            page = SectionPage(studio, section)
            self.section_pages[section.id] = page
            self._add_page(
                section.title, "mdi6.tune-variant", page, _section_words(section), scroll=True
            )
        self.shortcuts_page = ShortcutsPage(studio)
        shortcut_words = " ".join(
            ["keyboard shortcuts keybindings keys", *(c.title for c in studio.commands.all())]
        )
        self._add_page(
            "Keyboard Shortcuts", "mdi6.keyboard-outline", self.shortcuts_page, shortcut_words
        )
        self.sections.currentRowChanged.connect(self.pages.setCurrentIndex)
        self.sections.setCurrentRow(0)

        side = QWidget()
        side.setMinimumWidth(170)
        side.setMaximumWidth(260)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.search)
        side_layout.addWidget(self.sections, 1)
        splitter = QSplitter()
        splitter.addWidget(side)
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
        bus = studio.bus
        subscribe_widget(self, bus, "settings.changed", self._on_setting_changed, owner="studio")
        subscribe_widget(self, bus, "commands.keybindings",
                         lambda _event: self.shortcuts_page.refresh(), owner="studio", latest=True)
        subscribe_widget(self, bus, ContributionsChanged.topic, self._on_sections_changed,
                         owner="studio", batch=True)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter confirms a field (and saves it); it must not close the dialog like a
        # default button would. Escape still closes.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()
            return
        super().keyPressEvent(event)

    def filter_sections(self, text: str) -> int:
        """Show only the pages whose titles, labels, keys or help mention every typed word;
        return how many are shown."""
        words = text.lower().split()
        shown = 0
        for row, haystack in enumerate(self._search_texts):
            match = row not in self._withdrawn and all(word in haystack for word in words)
            self.sections.setRowHidden(row, not match)
            shown += match
        current = self.sections.currentRow()
        if shown and (current < 0 or self.sections.isRowHidden(current)):
            first = next(
                r for r in range(self.sections.count()) if not self.sections.isRowHidden(r)
            )
            self.sections.setCurrentRow(first)
        return shown

    def _add_page(
        self, title: str, icon_name: str, page: QWidget, words: str, *, scroll: bool = False
    ) -> None:
        if scroll:
            area = QScrollArea()
            area.setWidgetResizable(True)
            area.setFrameShape(QFrame.Shape.NoFrame)
            area.setWidget(page)
            page = area
        self.pages.addWidget(page)
        self._search_texts.append(f"{title} {words}".lower())
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

    def _on_sections_changed(self, _events: object) -> None:
        """A plugin was disabled or torn down while open: its page goes (a plugin enabled
        meanwhile shows its page the next time Preferences opens)."""
        ids = sorted(self.section_pages, key=lambda s: self.section_pages[s].section.title.lower())
        self._withdrawn = {row for row, section_id in enumerate(ids)
                           if section_id not in self.studio.settings.sections}
        for row, section_id in enumerate(ids):
            self.section_pages[section_id].setEnabled(row not in self._withdrawn)
        self.filter_sections(self.search.text())

    def _on_setting_changed(self, event: Any) -> None:
        page = self.section_pages.get(getattr(event, "section", ""))
        if page is not None:
            page.show_value(event.key, self.studio.settings.get(event.section, event.key))


# -- helpers ----------------------------------------------------------------------------------


def _section_words(section: SettingsSectionSpec) -> str:
    """Everything a user might type to find a section: its fields' labels, keys and help."""
    parts = [section.id, section.description]
    for field in section.fields:
        parts += [field.key, field.label, field.help, " ".join(map(str, field.choices))]
    return " ".join(part for part in parts if part)
