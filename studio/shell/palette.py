"""The command palette (Ctrl+Shift+P): type a few letters, press Enter, the command runs.

A frameless popup near the top of the window, VS Code style. Commands are fuzzy-matched on
"Category: Title" (and on their id as a fallback, for people who know ``jobs.cancel-all``);
matched letters are drawn bold, the shortcut is shown as key caps, and commands that are not
available right now are greyed out and cannot run. With an empty filter the recently used
commands come first; that list survives restarts (``palette-recent.json`` in the state folder).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent, QPainter, QPalette, QTextLayout
from PySide6.QtGui import QTextCharFormat as QCharFormat
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QLabel,
    QLineEdit,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from studio.core.atomic import atomic_write_bytes
from studio.core.contributions import CommandSpec
from studio.core.fuzzy import FuzzyMatch, fuzzy_filter
from studio.shell.cheatsheet import keycap_width, paint_keycaps, scaled_font
from studio.shell.icons import icon

if TYPE_CHECKING:
    from studio.core.app import Studio

__all__ = ["CommandPalette", "PaletteEntry", "RecentCommands"]

log = logging.getLogger(__name__)

MAX_VISIBLE_ROWS = 12
RECENT_LIMIT = 20
ID_MATCH_PENALTY = 24  # a match on the id alone ranks below matches on the visible label
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1


class RecentCommands:
    """Most recently run command ids, newest first, persisted as a small JSON list."""

    def __init__(self, path: Path, limit: int = RECENT_LIMIT) -> None:
        self.path = path
        self.limit = limit
        self.ids: list[str] = []
        try:
            data = orjson.loads(path.read_bytes())
            self.ids = [str(item) for item in data if isinstance(item, str)][:limit]
        except FileNotFoundError:
            pass
        except (OSError, orjson.JSONDecodeError, TypeError) as exc:
            # Only a convenience list: start afresh rather than bother the user.
            log.info("ignoring unreadable %s: %s", path, exc)

    def touch(self, command_id: str) -> None:
        self.ids = [command_id, *(cid for cid in self.ids if cid != command_id)][: self.limit]
        try:
            atomic_write_bytes(self.path, orjson.dumps(self.ids))
        except OSError as exc:
            log.info("cannot save %s: %s", self.path, exc)


@dataclass(frozen=True, slots=True)
class PaletteEntry:
    """One row: the command, how it matched, and what the delegate draws."""

    spec: CommandSpec
    label: str  # "Category: Title"
    shortcut: str
    enabled: bool
    recent: bool
    match: FuzzyMatch


class _PaletteModel(QAbstractListModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.entries: list[PaletteEntry] = []

    def set_entries(self, entries: list[PaletteEntry]) -> None:
        self.beginResetModel()
        self.entries = entries
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.entries)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        entry = self.entries[index.row()]
        if role == ENTRY_ROLE:
            return entry
        if role == Qt.ItemDataRole.DisplayRole:
            return entry.label
        if role == Qt.ItemDataRole.DecorationRole:
            return icon(entry.spec.icon or "mdi6.console-line")
        if role == Qt.ItemDataRole.ToolTipRole:
            why = "" if entry.enabled else "<br><i>Not available right now</i>"
            about = entry.spec.description or entry.spec.title
            return f"{about}<br><code>{entry.spec.id}</code>{why}"
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        # Disabled commands stay selectable so the keyboard can pass over them, but look disabled.
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class _PaletteDelegate(QStyledItemDelegate):
    """Icon, "Category: Title" with matched letters bold, a "recent" tag, key caps on the right."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        entry: PaletteEntry = index.data(ENTRY_ROLE)
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        if not entry.enabled:
            opt.state &= ~QStyle.StateFlag.State_Enabled
        widget = opt.widget
        style = widget.style() if widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)

        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        group = QPalette.ColorGroup.Normal if entry.enabled else QPalette.ColorGroup.Disabled
        text_role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        text_colour = palette.color(group, text_role)
        rect = option.rect.adjusted(8, 0, -10, 0)
        icon_size = opt.decorationSize.width() or 16
        text_left = rect.left() + icon_size + 10

        keys_width = paint_keycaps(
            painter, rect, entry.shortcut, palette, selected=selected, enabled=entry.enabled
        )
        right = rect.right() - keys_width - (12 if keys_width else 0)
        if entry.recent:
            right -= self._paint_tag(painter, option, right, "recently used", selected)

        painter.save()
        painter.setClipRect(QRect(text_left, rect.top(), max(0, right - text_left), rect.height()))
        layout = QTextLayout(entry.label, option.font)
        layout.setFormats(self._formats(entry, palette, group, selected, option.font))
        layout.beginLayout()
        line = layout.createLine()
        line.setLineWidth(100_000)
        layout.endLayout()
        painter.setPen(text_colour)
        y = rect.top() + (rect.height() - line.height()) / 2
        layout.draw(painter, QPoint(text_left, round(y)))
        painter.restore()

    @staticmethod
    def _formats(
        entry: PaletteEntry, palette: QPalette, group: QPalette.ColorGroup, selected: bool,
        font: QFont,
    ) -> list[QTextLayout.FormatRange]:
        ranges = []
        category_length = len(entry.label) - len(entry.spec.title)
        if category_length > 0:
            muted = QCharFormat()
            muted.setForeground(palette.color(group, _muted_role(selected)))
            ranges.append(_format_range(0, category_length, muted))
        matched = QCharFormat()
        matched.setFontWeight(QFont.Weight.Bold)
        if not selected and entry.enabled:
            matched.setForeground(palette.color(QPalette.ColorRole.Link))
        for position in entry.match.positions:
            ranges.append(_format_range(position, 1, matched))
        return ranges

    @staticmethod
    def _paint_tag(
        painter: QPainter, option: QStyleOptionViewItem, right: int, text: str, selected: bool
    ) -> int:
        font = scaled_font(option.font, 0.85)
        metrics = QFontMetrics(font)
        width = metrics.horizontalAdvance(text)
        painter.save()
        painter.setFont(font)
        painter.setPen(option.palette.color(_muted_role(selected)))
        tag_rect = QRect(right - width, option.rect.top(), width, option.rect.height())
        align = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight
        painter.drawText(tag_rect, align, text)
        painter.restore()
        return width + 12

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        entry: PaletteEntry = index.data(ENTRY_ROLE)
        metrics = QFontMetrics(option.font)
        width = metrics.horizontalAdvance(entry.label) + keycap_width(entry.shortcut, option.font)
        return QSize(width + 64, metrics.height() + 14)


def _muted_role(selected: bool) -> QPalette.ColorRole:
    if selected:
        return QPalette.ColorRole.HighlightedText
    return QPalette.ColorRole.PlaceholderText


def _format_range(start: int, length: int, fmt: QCharFormat) -> QTextLayout.FormatRange:
    format_range = QTextLayout.FormatRange()
    format_range.start = start
    format_range.length = length
    format_range.format = fmt
    return format_range


class CommandPalette(QFrame):
    """A popup listing every command, filtered fuzzily as the user types.

    ``run_command(command_id)`` is called (after the popup has closed, on the next event-loop
    turn) when the user picks an available command; ``command_chosen`` is emitted just before.
    Call :meth:`show` (or :meth:`popup` with initial text) to open it over its parent window.
    """

    command_chosen = Signal(str)

    def __init__(
        self, studio: Studio, run_command: Callable[[str], object], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent, Qt.WindowType.Popup | Qt.WindowType.FramelessWindowHint)
        self.studio = studio
        self._run_command = run_command
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setObjectName("commandPalette")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.recent = RecentCommands(studio.paths.state / "palette-recent.json")

        self.input = QLineEdit(placeholderText="Type a command name…")
        self.input.addAction(icon("mdi6.magnify"), QLineEdit.ActionPosition.LeadingPosition)
        self.input.setClearButtonEnabled(True)
        self.input.textChanged.connect(self._filter)
        self.input.installEventFilter(self)

        self.model = _PaletteModel(self)
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setItemDelegate(_PaletteDelegate(self.list))
        self.list.setUniformItemSizes(True)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # typing always goes to the input
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setIconSize(QSize(16, 16))
        self.list.clicked.connect(lambda index: self._choose(index.row()))

        self.empty_label = QLabel("No matching commands")
        self.empty_label.setProperty("role", "muted")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setMinimumHeight(48)
        self.empty_label.hide()

        self.hint_label = QLabel("↑↓ navigate   ⏎ run   Esc close")
        self.hint_label.setProperty("role", "muted")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 6)
        layout.setSpacing(6)
        layout.addWidget(self.input)
        layout.addWidget(self.list)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.hint_label)

        self._commands = self._snapshot_commands()
        self._filter("")

    # -- opening -------------------------------------------------------------------------
    def popup(self, text: str = "") -> None:
        """Open over the parent window with ``text`` already typed."""
        self.input.setText(text)
        self._filter(text)
        self.show()

    def showEvent(self, event: QEvent) -> None:
        self._place()
        super().showEvent(event)
        self.input.setFocus(Qt.FocusReason.PopupFocusReason)

    def _place(self) -> None:
        """Centre horizontally near the top of the parent window, like VS Code."""
        window = self.parentWidget().window() if self.parentWidget() else None
        if window is not None:
            area = QRect(window.mapToGlobal(QPoint(0, 0)), window.size())
        else:
            screen = self.screen()
            area = screen.availableGeometry() if screen is not None else QRect(0, 0, 1280, 800)
        width = max(480, min(720, int(area.width() * 0.55)))
        self.setFixedWidth(min(width, area.width()))
        self._fit_height()
        top = area.top() + min(80, max(8, area.height() // 12))
        self.move(area.left() + (area.width() - self.width()) // 2, top)

    def _fit_height(self) -> None:
        rows = min(MAX_VISIBLE_ROWS, self.model.rowCount())
        row_height = self.list.sizeHintForRow(0) if rows else 0
        self.list.setFixedHeight(rows * row_height + 2 * self.list.frameWidth() + 2)
        self.list.setVisible(rows > 0)
        self.empty_label.setVisible(rows == 0)
        self.adjustSize()

    # -- filtering -------------------------------------------------------------------------
    def _snapshot_commands(self) -> list[tuple[CommandSpec, str, str, bool]]:
        # enabled_when predicates are polled once per opening, not per keystroke.
        commands = self.studio.commands
        snapshot = []
        for spec in commands.all():
            try:
                shortcut = commands.shortcut(spec.id)
            except Exception:  # a command removed meanwhile (plugin disabled live)
                continue
            label = f"{spec.category}: {spec.title}" if spec.category else spec.title
            snapshot.append((spec, label, shortcut, commands.is_enabled(spec.id)))
        return snapshot

    def _filter(self, text: str) -> None:
        recent = {cid: rank for rank, cid in enumerate(self.recent.ids)}
        rows = self._commands
        if not text.strip():
            # Recently used first (newest first), then everything else in category order.
            rows = sorted(rows, key=lambda row: recent.get(row[0].id, len(recent)))
            matched = [(row, FuzzyMatch(0, ())) for row in rows]
        else:
            matched = fuzzy_filter(text, rows, key=lambda row: row[1])
            seen = {row[0].id for row, _ in matched}
            rest = [row for row in rows if row[0].id not in seen]
            by_id = fuzzy_filter(text, rest, key=lambda row: row[0].id)
            matched += [
                (row, FuzzyMatch(m.score - ID_MATCH_PENALTY, ())) for row, m in by_id
            ]
            matched.sort(key=lambda pair: -pair[1].score)  # stable: keeps fuzzy_filter's ties
        entries = [
            PaletteEntry(spec, label, shortcut, enabled, spec.id in recent, match)
            for (spec, label, shortcut, enabled), match in matched
        ]
        self.model.set_entries(entries)
        self._select(self._first_enabled_row())
        if self.isVisible():
            self._fit_height()

    def _first_enabled_row(self) -> int:
        for row, entry in enumerate(self.model.entries):
            if entry.enabled:
                return row
        return 0

    # -- keyboard ------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.input and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            return self._handle_key(event)
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self._handle_key(event):
            super().keyPressEvent(event)

    def _handle_key(self, event: QKeyEvent) -> bool:
        key = event.key()
        page = max(1, MAX_VISIBLE_ROWS - 1)
        steps = {
            Qt.Key.Key_Up: -1,
            Qt.Key.Key_Down: 1,
            Qt.Key.Key_PageUp: -page,
            Qt.Key.Key_PageDown: page,
        }
        if key in steps:
            self._move(steps[key])
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._choose(self.current_row())
            return True
        if key == Qt.Key.Key_Escape:
            self.close()
            return True
        return False

    def current_row(self) -> int:
        index = self.list.currentIndex()
        return index.row() if index.isValid() else -1

    def _move(self, step: int) -> None:
        count = self.model.rowCount()
        if not count:
            return
        row = self.current_row()
        # Single steps wrap around; pages stop at the ends.
        wrap = abs(step) == 1
        self._select((row + step) % count if wrap else min(count - 1, max(0, row + step)))

    def _select(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            index = self.model.index(row)
            self.list.setCurrentIndex(index)
            self.list.scrollTo(index)

    # -- running ---------------------------------------------------------------------------
    def _choose(self, row: int) -> None:
        if not 0 <= row < len(self.model.entries):
            return
        entry = self.model.entries[row]
        if not entry.enabled:
            self.hint_label.setText(f"“{entry.spec.title}” is not available right now")
            return
        command_id = entry.spec.id
        run_command = self._run_command
        self.recent.touch(command_id)
        self.command_chosen.emit(command_id)
        self.close()
        # Run once the popup is gone so focus is back in the window and a command that opens
        # a modal dialog does not nest inside this popup's key handler.
        QTimer.singleShot(0, lambda: run_command(command_id))

    def selected_command(self) -> str | None:
        """The id of the highlighted command (for tests and accessibility)."""
        row = self.current_row()
        return self.model.entries[row].spec.id if 0 <= row < len(self.model.entries) else None

    def visible_commands(self) -> list[str]:
        """Command ids in the order listed."""
        return [entry.spec.id for entry in self.model.entries]

