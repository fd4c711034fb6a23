"""Pieces every Models view uses: the bus → Qt bridge, badges, banners (and, re-exported from
the shell, background calls)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from studio.api import JobUpdated, SelectionChanged
from studio.plugins.models.present import role_color
from studio.plugins.models.registry import DAMAGED_ENTRY_POLICY
from studio.plugins.models.state import SELECTION_KIND, ModelsState, RegistrySnapshot
from studio.shell.api import Background, current_theme, subscribe_widget

__all__ = ["Background", "ErrorBanner", "RoleBadgeDelegate", "StateListener", "badge_text_color",
           "muted_label"]


class StateListener(QObject):
    """The models state's bus events as Qt signals, on the GUI thread, while ``parent`` lives.

    Registry snapshots (newest only), the studio's model selection and, with ``jobs=True``,
    job updates (batched). The subscriptions belong to the Models plugin and end with
    ``parent`` (see :func:`studio.shell.api.subscribe_widget`).
    """

    snapshot = Signal(object)  # RegistrySnapshot
    selected = Signal(object)  # str | None
    jobs = Signal(object)  # list[JobUpdated]

    def __init__(self, state: ModelsState, parent: QObject, *, jobs: bool = False) -> None:
        super().__init__(parent)
        bus = state.studio.bus
        self._subscriptions = [
            subscribe_widget(self, bus, RegistrySnapshot.topic, self._on_snapshot,
                             owner="models", latest=True),
            subscribe_widget(self, bus, f"selection.{SELECTION_KIND}", self._on_selected,
                             owner="models", latest=True),
        ]
        if jobs:
            self._subscriptions.append(subscribe_widget(self, bus, JobUpdated.topic,
                                                        self.jobs.emit, owner="models",
                                                        batch=True))

    def _on_snapshot(self, event: RegistrySnapshot | list[RegistrySnapshot]) -> None:
        self.snapshot.emit(event[-1] if isinstance(event, list) else event)

    def _on_selected(self, event: SelectionChanged | list[SelectionChanged]) -> None:
        self.selected.emit((event[-1] if isinstance(event, list) else event).first)

    def close(self) -> None:
        for subscription in self._subscriptions:
            subscription.unsubscribe()
        self._subscriptions = []


def badge_text_color(background: str) -> QColor:
    colour = QColor(background)
    return QColor("#101010") if colour.lightnessF() > 0.6 else QColor("#ffffff")


class RoleBadgeDelegate(QStyledItemDelegate):
    """Draws the role as a rounded badge in hafs' colours (asm orange, debug purple, …)."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text = opt.text
        opt.text = ""
        style = opt.widget.style() if opt.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        if not text:
            return
        metrics = opt.fontMetrics
        width = metrics.horizontalAdvance(text) + 14
        height = metrics.height() + 4
        rect = QRect(0, 0, min(width, opt.rect.width() - 8), height)
        rect.moveCenter(opt.rect.center())
        rect.moveLeft(opt.rect.left() + 6)
        colour = QColor(role_color(text))
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(rect, height / 2, height / 2)
        painter.setPen(badge_text_color(colour.name()))
        font = painter.font()
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        hint = super().sizeHint(option, index)
        return QSize(hint.width() + 16, hint.height() + 4)


class ErrorBanner(QFrame):
    """A strip across the top of a view: what is wrong and that the view is read-only."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelsErrorBanner")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.label)
        self.restyle()
        self.hide()

    def restyle(self) -> None:
        theme = current_theme()
        self.setStyleSheet(
            f"#modelsErrorBanner {{ background-color: {theme['surface.raised']}; "
            f"border: 1px solid {theme['error']}; border-radius: 4px; }}"
            f"#modelsErrorBanner QLabel {{ color: {theme['text']}; }}")

    def show_error(self, message: str | None) -> None:
        if not message:
            self.hide()
            return
        self.label.setText(f"<b>Registry is read-only:</b> {_escape(message)}<br>"
                           "Fix the file (a copy is kept as <code>registry.json.bak</code>); "
                           "the list reloads by itself.")
        self.show()

    def show_snapshot(self, snapshot: RegistrySnapshot) -> None:
        """The file-level error, else the damaged entries (the others are listed as usual)."""
        if snapshot.error or not snapshot.damaged:
            self.show_error(snapshot.error)
            return
        count = len(snapshot.damaged)
        lines = "<br>".join(_escape(message) for message in snapshot.damaged)
        self.label.setText(
            f"<b>{count} model{'s' * (count != 1)} in the registry cannot be read.</b> "
            f"The other models are listed.<br>{lines}<br>"
            f"Fix {'them' if count != 1 else 'it'} in the file. {_escape(DAMAGED_ENTRY_POLICY)}")
        self.show()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def muted_label(text: str = "", wrap: bool = True) -> QLabel:
    label = QLabel(text)
    label.setProperty("role", "muted")
    label.setWordWrap(wrap)
    return label


def palette_color(role: QPalette.ColorRole) -> QColor:
    return QApplication.palette().color(role)
