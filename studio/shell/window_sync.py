"""A window's docks, menus and toolbar following plugins that come and go while it is open.

A mixin of :class:`studio.shell.window.StudioWindow`: the studio publishes
``ContributionsChanged`` when a plugin is enabled, disabled or torn down (or when every plugin
arrives after a first frame painted from the plugin index), and the shell calls
:meth:`LiveContributions.sync_contributions` on each window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# Light on purpose: the window's first frame is painted before the shell's and the core's
# modules are imported (see studio.shell.first_frame), and this mixin is part of that window's
# class. Docks, the plugin index and Qt's namespace (~40 ms to build) are imported when used.
if TYPE_CHECKING:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QToolBar

    from studio.core.contributions import ViewSpec
    from studio.shell.docks import ViewDock

__all__ = ["LiveContributions", "dock_area"]

_AREA_NAMES = {
    "left": "LeftDockWidgetArea",
    "right": "RightDockWidgetArea",
    "top": "TopDockWidgetArea",
    "bottom": "BottomDockWidgetArea",
}


def dock_area(area: str) -> Qt.DockWidgetArea:
    """The Qt dock area of a view's declared ``area`` (``left``, ``right``, ``top``, ``bottom``)."""
    from PySide6.QtCore import Qt

    return Qt.DockWidgetArea[_AREA_NAMES[area]]


class LiveContributions:
    """Adds, replaces and removes docks and command actions to match the registries."""

    docks: dict[str, ViewDock]
    _actions: dict[str, QAction]
    _toolbar: QToolBar
    _pending_views: list[ViewDock]
    _pending_balance: dict[str, ViewDock]
    workspace: str
    # Also uses StudioWindow's shell, request_view, _menu, _make_action, refresh_shortcuts and
    # QMainWindow's dock methods.

    def sync_contributions(self) -> None:
        """Bring docks, menus and the toolbar in line with the registries.

        Called when a plugin was enabled, disabled or torn down while the studio runs: its
        views' docks and its commands' actions appear or go, in this window, without a restart.
        """
        from studio.core.plugin_index import is_placeholder

        views = self.shell.studio.contributions.views
        shown: set[str] = set()
        for view_id, dock in list(self.docks.items()):
            current = views.get(view_id)
            if current is dock.spec or (current is None and dock.failed):
                continue  # unchanged, or the failed view that tore its plugin down: keep why
            if current is not None and is_placeholder(dock.spec):
                dock.spec = current  # the plugin arrived: same dock, same place, real view
                dock.setWindowTitle(current.title)
                self.request_view(dock)
                continue
            if dock.isVisible():
                shown.add(view_id)
            self._remove_dock(view_id)
        for view_id, spec in views.items():
            if view_id not in self.docks:
                self._add_dock_live(spec, show=view_id in shown)
        commands = {spec.id: spec for spec in self.shell.studio.commands.all()}
        for command_id, action in list(self._actions.items()):
            if commands.get(command_id) is not action.data():
                for holder in action.associatedObjects():
                    holder.removeAction(action)
                del self._actions[command_id]
                action.deleteLater()
        for command_id, spec in commands.items():
            if command_id not in self._actions:
                action = self._actions[command_id] = self._make_action(spec)
                if spec.menu:
                    self._menu(spec.menu).addAction(action)
                if spec.toolbar:
                    self._toolbar.addAction(action)
        self.refresh_shortcuts()

    def _remove_dock(self, view_id: str) -> None:
        dock = self.docks.pop(view_id)
        if dock in self._pending_views:
            self._pending_views.remove(dock)
        self._pending_balance = {a: d for a, d in self._pending_balance.items() if d is not dock}
        self.removeDockWidget(dock)
        dock.hide()
        dock.deleteLater()  # its view, and with it the view's subscriptions, go too

    def _add_dock_live(self, spec: ViewSpec, *, show: bool = False) -> None:
        from studio.shell.docks import ViewDock

        dock = ViewDock(spec, self)
        area = dock_area(spec.area)
        self.docks[spec.id] = dock
        if self.workspace not in spec.workspaces and not show:
            dock.hide()
            self.addDockWidget(area, dock)
            self.removeDockWidget(dock)  # out of the layout until the user opens it
            return
        neighbour = next((d for d in self.docks.values() if d is not dock and d.isVisible()
                          and self.dockWidgetArea(d) == area), None)
        self.addDockWidget(area, dock)
        if neighbour is not None:
            self.tabifyDockWidget(neighbour, dock)
        dock.show()
