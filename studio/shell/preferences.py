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
    Signal,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from studio.shell.icons import icon

if TYPE_CHECKING:
    from studio.core.app import Studio


from studio.shell.settings_page import FieldEditor, SectionPage
from studio.shell.shortcuts_page import ShortcutsPage

__all__ = ["FieldEditor", "PreferencesDialog", "SectionPage", "ShortcutsPage"]

log = logging.getLogger(__name__)


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
            bus.subscribe(
                "commands.keybindings", self._keybindings_event.emit, owner="studio", latest=True
            ),
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
