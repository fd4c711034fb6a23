"""The public API for plugins' Qt code: the view context, icons, theme colours, tables.

A view or dashboard-card factory receives a :class:`ViewContext`. Plugins never reach into the
shell's windows directly; they use this context, the core :class:`~studio.core.app.Studio` it
carries, and the names exported here. Importing this module is Qt-free (``current_shell`` is
used by Qt-free command code): the Qt helpers are imported on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from studio.core.app import Studio
    from studio.core.events import Subscription

    # The lazily imported names below, for linters and editors:
    from studio.core.themes import chart_colors
    from studio.shell.app import StudioShell
    from studio.shell.background import Background
    from studio.shell.command_menus import add_command_actions
    from studio.shell.icons import icon
    from studio.shell.subscriptions import subscribe_widget
    from studio.shell.tables import setup_record_table
    from studio.shell.theming import current_chart_colors, current_theme, style_plot, theme_colour

__all__ = [
    "Background",
    "ViewContext",
    "active_window",
    "add_command_actions",
    "chart_colors",
    "current_chart_colors",
    "current_shell",
    "current_theme",
    "icon",
    "lazy_widget",
    "post_message",
    "set_current_shell",
    "setup_record_table",
    "style_plot",
    "subscribe_widget",
    "theme_colour",
]

# The one GUI shell of this process (one QApplication per process); None in the CLI.
_current: StudioShell | None = None


@dataclass
class ViewContext:
    """What a view factory or a dashboard card factory is given."""

    studio: Studio
    shell: StudioShell
    window: Any  # the StudioWindow hosting the view
    view_id: str
    plugin: str = ""  # the plugin whose view or card this is: owner of its subscriptions
    _unbound: list[Subscription] = field(default_factory=list, repr=False)
    _widget: Any = field(default=None, repr=False)

    @property
    def bus(self) -> Any:
        return self.studio.bus

    def chart_colors(self) -> dict[str, Any]:
        """Background, foreground, grid and series colours of the current theme (pyqtgraph)."""
        return self.shell.themes.chart_colors()

    def run_command(self, command_id: str, selection: Iterable[str] | None = None) -> Any:
        """Run a command (on ``selection`` ids, for a context menu); failures are shown in
        the window (raised as CommandError where there is no shell: a view built in a test)."""
        if self.shell is None:
            return self.studio.commands.execute(command_id, selection=selection)
        return self.shell.run_command(command_id, selection=selection)

    def show_view(self, view_id: str) -> QWidget | None:
        return self.window.show_view(view_id)

    def subscribe(self, pattern: str, slot: Callable[[Any], None], **options: Any) -> Any:
        """Call ``slot(event)`` on the GUI thread for ``pattern`` events while the view lives.

        ``options`` are the bus's (``batch``, ``latest``, ``with_topic``…). The subscription
        belongs to this view's plugin and ends by itself when the view (or the QObject whose
        method ``slot`` is) is destroyed, or when the plugin is torn down.
        """
        from PySide6.QtCore import QObject

        from studio.shell.subscriptions import subscribe_widget as subscribe

        options.setdefault("owner", self.plugin or "studio")
        target = getattr(slot, "__self__", None)
        anchor = target if isinstance(target, QObject) else self._widget
        subscription = subscribe(anchor, self.bus, pattern, slot, **options)
        if anchor is None:
            self._unbound.append(subscription)
        return subscription

    def bind(self, widget: QWidget) -> None:
        """The factory returned ``widget``: subscriptions not tied to a QObject end with it."""
        from studio.shell.subscriptions import attach

        self._widget = widget
        for subscription in self._unbound:
            attach(subscription, widget)
        self._unbound.clear()

    def release(self) -> None:
        """The factory failed: end what it subscribed before it raised."""
        from studio.shell.subscriptions import release

        for subscription in self._unbound:
            release(subscription)
        self._unbound.clear()


def current_shell() -> StudioShell | None:
    """The running GUI shell, or None in the CLI and in Qt-free tests."""
    return _current


def set_current_shell(shell: StudioShell | None) -> None:
    global _current
    _current = shell


def lazy_widget(module: str, name: str) -> Callable[[ViewContext], QWidget]:
    """A view or dashboard-card factory that imports ``module`` the first time it runs and
    returns ``module.<name>(context)``: ``plugin.py`` stays Qt-free and cheap to import.

    >>> ViewSpec("hello.main", "Hello", lazy_widget("hello_studio.widgets.view", "HelloView"))
    """

    def factory(context: ViewContext) -> QWidget:
        return getattr(importlib.import_module(module), name)(context)

    factory.__qualname__ = f"lazy_widget({module}.{name})"
    return factory


def active_window() -> Any:
    """The window the user is working in (the parent for a dialog), or None in the CLI."""
    return _current.active_window() if _current is not None else None


def post_message(text: str, timeout_ms: int = 8000) -> None:
    """Show ``text`` in the status bar of the windows; does nothing in the CLI."""
    if _current is not None:
        _current.post_message(text, timeout_ms)


# Qt helpers, imported on first use so that `from studio.shell.api import current_shell` stays
# cheap and Qt-free.
_LAZY = {
    "Background": "studio.shell.background",
    "add_command_actions": "studio.shell.command_menus",
    "chart_colors": "studio.core.themes",
    "current_chart_colors": "studio.shell.theming",
    "current_theme": "studio.shell.theming",
    "icon": "studio.shell.icons",
    "setup_record_table": "studio.shell.tables",
    "style_plot": "studio.shell.theming",
    "subscribe_widget": "studio.shell.subscriptions",
    "theme_colour": "studio.shell.theming",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
