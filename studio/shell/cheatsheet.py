"""The keyboard shortcut cheat sheet (Ctrl+/) and the key-cap painting it shares.

Lists every command with its effective shortcut, grouped by category, with a filter box.
Shortcuts bound to several commands are flagged, and the problems found in the user's
``keybindings.conf`` are shown on top. "Edit keybindings file…" opens that file (creating it with
its explanatory header first); "Reload" re-reads it. The shell also reloads it automatically
when the file changes; either way ``commands.keybindings`` is published and the sheet refreshes.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QDesktopServices,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QPainter,
    QPalette,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.core.atomic import atomic_write_text
from studio.core.commands import KEYBINDINGS_HEADER
from studio.shell.icons import icon
from studio.shell.subscriptions import subscribe_widget
from studio.shell.theming import theme_colour

if TYPE_CHECKING:
    from studio.core.app import Studio

__all__ = [
    "KeycapDelegate",
    "ShortcutCheatSheet",
    "keycap_width",
    "paint_keycaps",
    "scaled_font",
    "shortcut_keys",
    "theme_colour",
]

log = logging.getLogger(__name__)

KEYCAP_PADDING = 5  # horizontal padding inside a key cap
KEYCAP_GAP = 3  # between key caps of one shortcut
SHORTCUT_ROLE = Qt.ItemDataRole.UserRole + 1


def shortcut_keys(shortcut: str) -> list[str]:
    """``"Ctrl+Shift+P"`` → ``["Ctrl", "Shift", "P"]``; ``"Ctrl++"`` → ``["Ctrl", "+"]``."""
    if not shortcut:
        return []
    if shortcut.endswith("++") or shortcut == "+":
        return [*[key for key in shortcut[:-1].split("+") if key], "+"]
    return shortcut.split("+")


def scaled_font(base: QFont, factor: float) -> QFont:
    """``base`` scaled by ``factor``, whether its size is set in points or (by a QSS) in pixels."""
    font = QFont(base)
    if base.pointSizeF() > 0:
        font.setPointSizeF(max(7.0, base.pointSizeF() * factor))
    elif base.pixelSize() > 0:
        font.setPixelSize(max(9, round(base.pixelSize() * factor)))
    return font


def _keycap_font(base: QFont) -> QFont:
    return scaled_font(base, 0.88)


def _cap_widths(keys: list[str], metrics: QFontMetrics) -> list[int]:
    return [max(metrics.horizontalAdvance(k) + 2 * KEYCAP_PADDING, metrics.height()) for k in keys]


def keycap_width(shortcut: str, base_font: QFont) -> int:
    """Width in pixels that :func:`paint_keycaps` needs for ``shortcut`` in ``base_font``."""
    keys = shortcut_keys(shortcut)
    if not keys:
        return 0
    widths = _cap_widths(keys, QFontMetrics(_keycap_font(base_font)))
    return sum(widths) + KEYCAP_GAP * (len(keys) - 1)


def paint_keycaps(
    painter: QPainter,
    rect: QRect,
    shortcut: str,
    palette: QPalette,
    *,
    selected: bool = False,
    enabled: bool = True,
    align_right: bool = True,
) -> int:
    """Draw ``shortcut`` as key caps in ``rect`` (right- or left-aligned); return the width used.

    Colours come from the (themed) palette at paint time, so a theme switch needs no restyle.
    """
    keys = shortcut_keys(shortcut)
    if not keys:
        return 0
    painter.save()
    font = _keycap_font(painter.font())
    painter.setFont(font)
    metrics = QFontMetrics(font)
    widths = _cap_widths(keys, metrics)
    total = sum(widths) + KEYCAP_GAP * (len(keys) - 1)
    group = QPalette.ColorGroup.Normal if enabled else QPalette.ColorGroup.Disabled
    role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
    text = palette.color(group, role)
    border = QColor(text) if selected else palette.color(group, QPalette.ColorRole.Mid)
    border.setAlpha(140 if selected else 255)
    fill = QColor(palette.color(group, QPalette.ColorRole.Button))
    if selected:
        fill.setAlpha(50)
    height = min(rect.height() - 4, metrics.height() + 4)
    top = rect.top() + (rect.height() - height) // 2
    x = rect.right() - total if align_right else rect.left()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    for key, width in zip(keys, widths, strict=True):
        cap_rect = QRect(x, top, width, height)
        painter.setPen(border)
        painter.setBrush(fill)
        painter.drawRoundedRect(cap_rect.adjusted(0, 0, -1, -1), 3, 3)
        painter.setPen(text)
        painter.drawText(cap_rect, Qt.AlignmentFlag.AlignCenter, key)
        x += width + KEYCAP_GAP
    painter.restore()
    return total


class KeycapDelegate(QStyledItemDelegate):
    """Paints a column's shortcut (``SHORTCUT_ROLE``) as key caps; unbound rows show their text."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex
    ) -> None:
        shortcut = index.data(SHORTCUT_ROLE)
        if not shortcut:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        area = option.rect.adjusted(6, 0, -6, 0)
        paint_keycaps(painter, area, shortcut, option.palette, selected=selected, align_right=False)

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        size = super().sizeHint(option, index)
        shortcut = index.data(SHORTCUT_ROLE) or ""
        return QSize(
            max(size.width(), keycap_width(shortcut, option.font) + 16),
            max(size.height(), QFontMetrics(option.font).height() + 10),
        )


class ShortcutCheatSheet(QDialog):
    """Every command and its effective shortcut, grouped by category.

    ``reloaded`` is emitted after the keybindings file was re-read from the Reload button.
    """

    reloaded = Signal(list)

    def __init__(self, studio: Studio, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        self.setWindowTitle("Keyboard Shortcuts")
        self.setWindowIcon(icon("mdi6.keyboard-outline"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(720, 640)

        self.filter_edit = QLineEdit(placeholderText="Filter by command, category or key…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.addAction(icon("mdi6.magnify"), QLineEdit.ActionPosition.LeadingPosition)
        self.filter_edit.textChanged.connect(self._apply_filter)

        self.problems_label = QLabel(wordWrap=True)
        self.problems_label.setProperty("role", "warning")
        self.problems_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problems_card = QFrame()  # a card sets the problems apart from the list
        self.problems_card.setProperty("role", "card")
        card_layout = QVBoxLayout(self.problems_card)
        card_layout.setContentsMargins(10, 8, 10, 8)
        card_layout.addWidget(self.problems_label)

        self.tree = QTreeWidget()
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Command", "Shortcut"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setItemDelegateForColumn(1, KeycapDelegate(self.tree))
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(1, 200)

        self.summary_label = QLabel()
        self.summary_label.setProperty("role", "muted")
        edit_button = QPushButton(icon("mdi6.file-edit-outline"), "Edit keybindings file…")
        edit_button.setToolTip(str(studio.paths.keybindings_file))
        edit_button.clicked.connect(self.edit_keybindings_file)
        reload_button = QPushButton(icon("mdi6.refresh"), "Reload")
        reload_button.setToolTip("Re-read the keybindings file now")
        reload_button.clicked.connect(self.reload_keybindings)
        close_button = QPushButton("Close")
        close_button.clicked.connect(self.close)

        for button in (edit_button, reload_button, close_button):
            button.setAutoDefault(False)  # Enter belongs to the filter box
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary_label, 1)
        buttons.addWidget(edit_button)
        buttons.addWidget(reload_button)
        buttons.addWidget(close_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 14, 14, 12)
        layout.setSpacing(10)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.problems_card)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)

        # Keybinding changes may be published from the file watcher's thread: the helper hops.
        subscribe_widget(self, studio.bus, "commands.keybindings", lambda _event: self.refresh(),
                         owner="studio", latest=True)
        self.refresh()
        self.filter_edit.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter in the filter box must not "press" a button and close the sheet.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()
            return
        super().keyPressEvent(event)

    # -- content -----------------------------------------------------------------------
    def refresh(self) -> None:
        """Rebuild the list from the command registry (after a keybinding change)."""
        commands = self.studio.commands
        conflicts = commands.conflicts()
        self.tree.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        bound = 0
        for spec in commands.all():
            group = groups.get(spec.category)
            if group is None:
                group = QTreeWidgetItem(self.tree, [spec.category, ""])
                font = group.font(0)
                font.setBold(True)
                group.setFont(0, font)
                group.setFlags(Qt.ItemFlag.ItemIsEnabled)
                group.setFirstColumnSpanned(True)
                groups[spec.category] = group
            shortcut = commands.shortcut(spec.id)
            bound += bool(shortcut)
            item = QTreeWidgetItem(group, [spec.title, "" if shortcut else "—"])
            item.setData(1, SHORTCUT_ROLE, shortcut)
            item.setData(0, Qt.ItemDataRole.UserRole, f"{spec.category} {spec.title} {spec.id}")
            item.setIcon(0, icon(spec.icon) if spec.icon else icon("mdi6.blank"))
            tip = [spec.description or spec.title, f"<code>{spec.id}</code>"]
            if shortcut in conflicts:
                others = [cid for cid in conflicts[shortcut] if cid != spec.id]
                item.setIcon(0, icon("mdi6.alert", color=theme_colour("warning")))
                tip.append(f"<b>Conflict:</b> {shortcut} is also bound to {', '.join(others)}")
                item.setData(0, Qt.ItemDataRole.AccessibleDescriptionRole, "conflict")
            if not shortcut:
                item.setForeground(1, self.palette().brush(QPalette.ColorRole.PlaceholderText))
            item.setToolTip(0, "<br>".join(tip))
        self.tree.expandAll()
        self._show_problems()
        self.summary_label.setText(
            f"{bound} of {len(commands.all())} commands have shortcuts"
            + (f" · {len(conflicts)} conflict(s)" if conflicts else "")
        )
        self._apply_filter(self.filter_edit.text())

    def _show_problems(self) -> None:
        problems = list(self.studio.commands.problems)
        self.problems_card.setVisible(bool(problems))
        if problems:
            lines = "".join(f"<li>{_html(p)}</li>" for p in problems)
            self.problems_label.setText(
                f"<b>Problems in your keybindings</b><ul style='margin:0'>{lines}</ul>"
            )

    def _apply_filter(self, text: str) -> None:
        # Every word must appear somewhere (title, category, id or key): predictable for a list
        # people scan, where fuzzy subsequences would match nearly everything.
        terms = text.lower().split()
        for group_index in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(group_index)
            visible_children = 0
            for child_index in range(group.childCount()):
                child = group.child(child_index)
                key = child.data(1, SHORTCUT_ROLE)
                haystack = f"{child.data(0, Qt.ItemDataRole.UserRole)} {key}".lower()
                hidden = not all(term in haystack for term in terms)
                child.setHidden(hidden)
                visible_children += not hidden
            group.setHidden(visible_children == 0)

    # -- keybindings file --------------------------------------------------------------
    def edit_keybindings_file(self) -> None:
        """Open the user's keybindings file in the system editor, creating it if missing."""
        path = self.studio.paths.keybindings_file
        if not path.exists():
            try:
                atomic_write_text(path, KEYBINDINGS_HEADER)
            except OSError as exc:
                self._show_error(f"Cannot create {path}: {exc}")
                return
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            self._show_error(f"No application is set up to open {path}; edit it in any editor.")

    def reload_keybindings(self) -> list[str]:
        """Re-read the keybindings file; the sheet refreshes through ``commands.keybindings``."""
        problems = self.studio.commands.load_keybindings(self.studio.paths.keybindings_file)
        self.refresh()
        self.reloaded.emit(problems)
        return problems

    def _show_error(self, message: str) -> None:
        log.warning("%s", message)
        self.problems_label.setText(_html(message))
        self.problems_card.setVisible(True)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
