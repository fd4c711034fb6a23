"""The small public API that plugin views use to talk to the shell.

A view factory receives a :class:`ViewContext`. Plugins never reach into the shell's windows
directly; they use this context, the core :class:`~studio.core.app.Studio` it carries, and the
event bus.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from studio.core.app import Studio
    from studio.shell.app import StudioShell

__all__ = ["ViewContext", "current_shell", "set_current_shell"]

_current: StudioShell | None = None


@dataclass
class ViewContext:
    """What a view factory or a dashboard card factory is given."""

    studio: Studio
    shell: StudioShell
    window: Any  # the StudioWindow hosting the view
    view_id: str

    @property
    def bus(self) -> Any:
        return self.studio.bus

    def chart_colors(self) -> dict[str, Any]:
        """Background, foreground, grid and series colours of the current theme (pyqtgraph)."""
        return self.shell.themes.chart_colors()

    def run_command(self, command_id: str) -> Any:
        return self.shell.run_command(command_id)

    def show_view(self, view_id: str) -> QWidget | None:
        return self.window.show_view(view_id)


def current_shell() -> StudioShell | None:
    """The running GUI shell, or None in the CLI and in Qt-free tests."""
    return _current


def set_current_shell(shell: StudioShell | None) -> None:
    global _current
    _current = shell
