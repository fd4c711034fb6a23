"""Status-bar button that makes plugin failures visible: "2 plugin errors"."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolButton, QWidget

from studio.core.app import Studio
from studio.core.plugins import PluginChanged, PluginState
from studio.shell.icons import icon
from studio.shell.subscriptions import subscribe_widget

__all__ = ["PluginStatusButton"]


class PluginStatusButton(QToolButton):
    """Hidden while every plugin is fine; shows the count of errored plugins otherwise."""

    def __init__(self, studio: Studio, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._studio = studio
        self.setObjectName("plugin-status")
        self.setAutoRaise(True)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setToolTip("Some plugins failed: open the Plugins dialog for details")
        subscribe_widget(self, studio.bus, PluginChanged.topic, self._refresh, owner="studio",
                         batch=True)
        self._refresh()

    def errored(self) -> list[str]:
        return [
            r.name for r in self._studio.plugins.records.values() if r.state is PluginState.ERRORED
        ]

    def _refresh(self, _events: object = None) -> None:
        count = len(self.errored())
        self.setVisible(count > 0)
        if count:
            self.setIcon(icon("mdi6.alert-circle-outline", color="#e5534b"))
            self.setText(f"{count} plugin error{'s' if count > 1 else ''}")
