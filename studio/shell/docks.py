"""Dock widgets hosting plugin views, created lazily and guarded.

Every registered view gets a :class:`ViewDock` (with a stable objectName) when a window is
built, so ``restoreState`` can place it, but the plugin's factory only runs the first time the
dock becomes visible. A factory that raises marks its plugin errored and the dock shows what
went wrong, with a Retry button, instead of taking the window down.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from studio.core.contributions import ViewSpec
from studio.core.plugin_index import is_placeholder
from studio.shell.api import ViewContext

if TYPE_CHECKING:
    from studio.shell.window import StudioWindow

__all__ = ["ViewDock", "dock_object_name"]


def dock_object_name(view_id: str) -> str:
    return f"view:{view_id}"


class ViewErrorPanel(QWidget):
    """Shown in place of a view whose factory failed."""

    def __init__(self, spec: ViewSpec, error: str, details: str, retry: object) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        heading = QLabel(f"“{spec.title}” could not be opened")
        heading.setProperty("role", "heading")
        layout.addWidget(heading)
        summary = QLabel(f"Plugin <b>{spec.plugin}</b> raised {error}")
        summary.setWordWrap(True)
        summary.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(summary)
        trace = QPlainTextEdit(details)
        trace.setReadOnly(True)
        trace.setProperty("role", "mono")
        layout.addWidget(trace, 1)
        button = QPushButton("Retry")
        button.clicked.connect(retry)
        layout.addWidget(button, 0, Qt.AlignmentFlag.AlignLeft)


class ViewDock(QDockWidget):
    """A dock for one view; the view's widget is created on first show."""

    def __init__(self, spec: ViewSpec, window: StudioWindow) -> None:
        super().__init__(spec.title, window)
        self.spec = spec
        self._window = window
        self.view: QWidget | None = None
        self.setObjectName(dock_object_name(spec.id))
        self.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        placeholder = QLabel("")
        placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWidget(placeholder)
        self.visibilityChanged.connect(self._on_visibility)

    @property
    def materialized(self) -> bool:
        return self.view is not None

    @property
    def failed(self) -> bool:
        """The factory raised: the dock shows the error (and a Retry button)."""
        return isinstance(self.widget(), ViewErrorPanel)

    def materialize(self) -> QWidget | None:
        """Create the view's widget now (idempotent); returns it, or None if the factory failed."""
        if self.view is not None:
            return self.view
        if is_placeholder(self.spec):
            # From the plugin index: the plugin is imported right after the first frame, then
            # the window hands this dock the real view (see StudioWindow.sync_contributions).
            return None
        shell = self._window.shell
        context = ViewContext(shell.studio, shell, self._window, self.spec.id, self.spec.plugin)
        record = shell.studio.plugins.records.get(self.spec.plugin)
        widget = shell.studio.plugins.guard(
            self.spec.plugin, f"view {self.spec.id}", self.spec.factory, context
        )
        if widget is None or not isinstance(widget, QWidget):
            context.release()
            if widget is not None and record is not None:
                record.error = (
                    f"view {self.spec.id}: factory returned {type(widget).__name__}, not a QWidget"
                )
            error = record.error if record else "an error"
            details = record.traceback if record else ""
            self.setWidget(ViewErrorPanel(self.spec, error, details, self._retry))
            return None
        context.bind(widget)
        self.view = widget
        self.setWidget(widget)
        return widget

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        menu = QMenu(self)
        menu.addAction(
            "Open in New Window", lambda: self._window.shell.open_view_in_new_window(self.spec.id)
        )
        menu.addAction(
            "Float" if not self.isFloating() else "Dock",
            lambda: self.setFloating(not self.isFloating()),
        )
        menu.addSeparator()
        menu.addAction("Close", self.close)
        menu.exec(event.globalPos())

    def _retry(self) -> None:
        studio = self._window.shell.studio
        record = studio.plugins.records.get(self.spec.plugin)
        if record is not None and record.state.value == "errored":
            # The failure tore the plugin down: bring it back (this session only); the
            # window then replaces this dock with the plugin's fresh view.
            studio.enable_plugin(self.spec.plugin, persist=False)
            return
        self.materialize()

    def _on_visibility(self, visible: bool) -> None:
        if visible and self.view is None and not isinstance(self.widget(), ViewErrorPanel):
            self._window.request_view(self)

    def materialize_if_shown(self) -> None:
        """Create the view now if its dock is still on screen (called by the window)."""
        if self.isVisible() and self.view is None and isValid(self):
            self.materialize()
