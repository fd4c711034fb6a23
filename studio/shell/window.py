"""The main window: menus and toolbar from the command registry, docks, workspaces.

A window shows one workspace at a time. Switching saves the current dock arrangement for the
workspace being left and restores the one saved for the workspace being entered (or builds its
default from the views' declared areas). All views' docks exist from the start, hidden, so a
saved state can place them before their widgets are created.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6 import QtCore
from PySide6.QtCore import QByteArray, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QGuiApplication,
    QKeySequence,
    QPaintEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMenu,
    QSizePolicy,
    QToolBar,
    QToolButton,
    QWidget,
)

from studio.shell.icons import icon
from studio.shell.layouts import LAYOUT_VERSION
from studio.shell.window_sync import LiveContributions, dock_area

# This module is light on purpose: the window paints its first frame before the core and the
# rest of the shell are imported (studio.shell.first_frame), then attach() builds the rest.
# So the core's registries and the docks are imported where they are used, and Qt's namespace
# is read as ``QtCore.Qt`` at call time (building it costs ~40 ms, after that frame).
if TYPE_CHECKING:
    from studio.core.contributions import CommandSpec
    from studio.shell.app import StudioShell
    from studio.shell.docks import ViewDock

__all__ = ["StudioWindow"]

log = logging.getLogger(__name__)

_TOP_MENUS = ("File", "View", "Tools", "Help")


class StudioWindow(LiveContributions, QMainWindow):
    """One top-level studio window."""

    shell: StudioShell  # set by attach(); absent while the window shows only its first frame
    workspace_changed = Signal(str)
    #: The first frame is on screen: views are created and plugins may be imported. Once per
    #: window; twice for a window painted before its shell (studio.shell.first_frame): after
    #: that early frame, and again after the first frame with the shell's docks.
    first_frame_shown = Signal()

    def __init__(
        self, shell: StudioShell | None = None, workspace: str = "dashboard", *,
        primary: bool = True,
    ) -> None:
        """A window of ``shell`` on ``workspace``; with no shell, only the first frame (the
        themed window and its menu bar) until :meth:`attach` builds the rest."""
        super().__init__()
        self.primary = primary
        self.workspace = ""
        self.docks: dict[str, ViewDock] = {}
        self._pending_balance: dict[str, ViewDock] = {}
        self._painted = False
        self._pending_views: list[ViewDock] = []
        self._first_frame_announced = False
        self._actions: dict[str, QAction] = {}
        self._menus: dict[str, QMenu] = {}
        self._workspace_buttons: dict[str, QToolButton] = {}
        self.setObjectName("StudioWindow")
        self.setWindowTitle("HAFS Studio")
        self.resize(1400, 900)
        for title in _TOP_MENUS:  # the menu bar is part of the first frame
            self._menu(title)
        if shell is not None:
            self.attach(shell, workspace, primary=primary)

    @property
    def attached(self) -> bool:
        """True once :meth:`attach` built the window's actions, toolbar and docks."""
        return hasattr(self, "shell")

    def attach(self, shell: StudioShell, workspace: str, *, primary: bool = True) -> None:
        """Build actions, menus, toolbar, status bar and docks for ``shell``; show ``workspace``.

        Once per window. A window that painted its first frame before the shell existed
        announces :attr:`first_frame_shown` again after the next paint, when its views exist.
        """
        if self.attached:
            raise RuntimeError("this window is already attached to a shell")
        self.shell = shell
        self.primary = primary
        self.setDockNestingEnabled(True)
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks
            | QMainWindow.DockOption.AllowNestedDocks
            | QMainWindow.DockOption.AllowTabbedDocks
            | QMainWindow.DockOption.GroupedDragging
        )
        self._build_central()
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()
        self._build_docks()
        self.switch_workspace(workspace)
        self.statusBar().clearMessage()  # the first frame's "Starting…"
        if self._painted:  # the first frame is on screen: views follow the next paint
            self._painted = False
            self._first_frame_announced = False
            self.update()
            # Should no paint arrive (a minimised window), views are still created.
            QTimer.singleShot(250, self._create_pending_views)

    # -- construction ------------------------------------------------------------------
    def _build_central(self) -> None:
        # Docks fill the window; the central widget is a hidden zero-size anchor.
        anchor = QWidget(self)
        anchor.setObjectName("central-anchor")
        anchor.setMaximumSize(0, 0)
        anchor.hide()
        self.setCentralWidget(anchor)

    def _build_actions(self) -> None:
        for spec in self.shell.studio.commands.all():
            self._actions[spec.id] = self._make_action(spec)
        self.refresh_shortcuts()

    def _make_action(self, spec: CommandSpec) -> QAction:
        action = QAction(spec.title, self)
        action.setObjectName(f"command:{spec.id}")
        action.setData(spec)  # which registration this action shows (see sync_contributions)
        if spec.icon:
            action.setIcon(icon(spec.icon))
        action.setToolTip(spec.description or spec.title)
        action.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _checked=False, cid=spec.id: self.shell.run_command(cid))
        self.addAction(action)
        return action

    def refresh_shortcuts(self) -> None:
        """Apply the registry's effective shortcuts (after the keybindings file changed)."""
        commands = self.shell.studio.commands
        for command_id, action in self._actions.items():
            action.setShortcut(QKeySequence(commands.shortcut(command_id)))

    def refresh_icons(self) -> None:
        """Re-tint icons after a theme change (they are drawn in the theme's text colour)."""
        from studio.core.contributions import WORKSPACES

        commands = self.shell.studio.commands
        for command_id, action in self._actions.items():
            spec = commands.get(command_id)
            if spec.icon:
                action.setIcon(icon(spec.icon))
        for workspace in WORKSPACES:
            self._workspace_buttons[workspace.id].setIcon(icon(workspace.icon))

    def _menu(self, path: str) -> QMenu:
        if path in self._menus:
            return self._menus[path]
        parent_path, _, title = path.rpartition("/")
        if parent_path:
            menu = self._menu(parent_path).addMenu(title)
        else:
            menu = self.menuBar().addMenu(f"&{title}")
        menu.setObjectName(f"menu:{path}")
        menu.aboutToShow.connect(lambda m=menu: self._update_enabled(m))
        self._menus[path] = menu
        return menu

    def _build_menus(self) -> None:
        for title in _TOP_MENUS:
            self._menu(title)
        for spec in self.shell.studio.commands.all():
            if spec.menu:
                self._menu(spec.menu).addAction(self._actions[spec.id])
        views_menu = self._menu("View/Views")
        views_menu.aboutToShow.connect(self._fill_views_menu)
        themes_menu = self._menu("View/Theme")
        themes_menu.aboutToShow.connect(self._fill_themes_menu)

    def _update_enabled(self, menu: QMenu) -> None:
        commands = self.shell.studio.commands
        for action in menu.actions():
            name = action.objectName()
            if name.startswith("command:"):
                action.setEnabled(commands.is_enabled(name.removeprefix("command:")))

    def _fill_views_menu(self) -> None:
        menu = self._menus["View/Views"]
        menu.clear()
        for dock in sorted(self.docks.values(), key=lambda d: d.spec.title.lower()):
            # Not dock.toggleViewAction(): a dock outside this workspace's layout would float.
            action = menu.addAction(icon(dock.spec.icon), dock.spec.title)
            action.setCheckable(True)
            action.setChecked(dock.isVisible())
            action.toggled.connect(
                lambda on, view_id=dock.spec.id: self.show_view(view_id)
                if on
                else self.docks[view_id].close()
            )

    def _fill_themes_menu(self) -> None:
        menu = self._menus["View/Theme"]
        menu.clear()
        group = QActionGroup(menu)
        current = self.shell.themes.current.id
        for theme_id, name in self.shell.available_themes():
            action = menu.addAction(name)
            action.setCheckable(True)
            action.setChecked(theme_id == current)
            action.triggered.connect(lambda _c=False, t=theme_id: self.shell.set_theme(t))
            group.addAction(action)

    def _build_toolbar(self) -> None:
        from studio.core.contributions import WORKSPACES

        bar = QToolBar("Workspaces", self)
        bar.setObjectName("toolbar:workspaces")
        bar.setMovable(False)
        bar.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addToolBar(QtCore.Qt.ToolBarArea.TopToolBarArea, bar)
        self._toolbar = bar
        commands = self.shell.studio.commands
        for workspace in WORKSPACES:
            command_id = f"workbench.workspace.{workspace.id}"
            key = commands.shortcut(command_id) if command_id in commands else ""
            button = QToolButton(bar)
            button.setObjectName(f"workspace:{workspace.id}")
            button.setText(workspace.title)
            button.setIcon(icon(workspace.icon))
            button.setCheckable(True)
            button.setAutoRaise(True)
            # As the buttons a QToolBar makes for actions: no keyboard focus (Ctrl+1..9 switch
            # workspaces), so the first one does not start with a focus frame on every launch.
            button.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
            button.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setToolTip(f"{workspace.title} workspace" + (f" ({key})" if key else ""))
            button.clicked.connect(lambda _c=False, ws=workspace.id: self.switch_workspace(ws))
            bar.addWidget(button)
            self._workspace_buttons[workspace.id] = button
        spacer = QWidget(bar)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        for spec in self.shell.studio.commands.all():
            if spec.toolbar:
                bar.addAction(self._actions[spec.id])

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        status.setObjectName("statusbar")
        self.context_label = QLabel(self._context_text())
        self.context_label.setProperty("role", "muted")
        self.context_label.setToolTip(self.shell.studio.context.describe())
        status.addWidget(self.context_label)
        for widget in self.shell.status_widgets(self):
            status.addPermanentWidget(widget)

    def _context_text(self) -> str:
        context = self.shell.studio.context
        state = "" if context.exists else " (missing)"
        if context.split:  # hafs's config moved the root, but most hafs files stay put
            return f"Context: {context.path}{state} · registry and training: {context.hard_coded}"
        return f"Context: {context.path}{state}"

    def _build_docks(self) -> None:
        from studio.shell.docks import ViewDock

        for spec in self.shell.studio.contributions.views.values():
            dock = ViewDock(spec, self)
            dock.hide()
            self.addDockWidget(dock_area(spec.area), dock)
            self.docks[spec.id] = dock

    # -- workspaces ----------------------------------------------------------------------
    def switch_workspace(self, workspace: str) -> None:
        """Show ``workspace``: save the current arrangement, restore or build the new one."""
        from studio.core.contributions import WORKSPACES

        if workspace not in {w.id for w in WORKSPACES}:
            raise ValueError(f"unknown workspace {workspace!r}")
        if workspace == self.workspace:
            return
        if self.workspace and self.primary and self._painted:
            # A window never shown has no real geometry: its arrangement is not worth keeping.
            self.shell.layouts.save_workspace_state(self.workspace, self.save_dock_state())
        self.workspace = workspace
        self._clear_docks()
        state = self.shell.layouts.workspace_state(workspace) if self.primary else None
        if state is None or not self.restore_dock_state(state):
            if state is not None:
                self.shell.layouts.report_unusable(workspace)
            self.apply_default_layout(workspace)
        for ws_id, button in self._workspace_buttons.items():
            button.setChecked(ws_id == workspace)
        title = next(w.title for w in WORKSPACES if w.id == workspace)
        self.setWindowTitle(f"{title} — HAFS Studio")
        self.workspace_changed.emit(workspace)

    def _clear_docks(self) -> None:
        # Take every dock out of the layout, not just hide it: a hidden dock keeps its place in
        # a tab group, and Qt then leaves that group's tab bar floating in the window. The docks
        # stay children of the window, so restoreState can still put them back.
        for dock in self.docks.values():
            self.removeDockWidget(dock)

    def apply_default_layout(self, workspace: str) -> None:
        """Show the views that declare ``workspace``, tabbed together per dock area."""
        first_in_area: dict[str, ViewDock] = {}
        for dock in self.docks.values():
            if workspace not in dock.spec.workspaces:
                dock.hide()
                continue
            area = dock.spec.area
            if dock.isFloating():
                dock.setFloating(False)
            self.addDockWidget(dock_area(area), dock)
            if area in first_in_area:
                self.tabifyDockWidget(first_in_area[area], dock)
            else:
                first_in_area[area] = dock
            dock.show()
        for dock in first_in_area.values():
            dock.raise_()
        self._pending_balance = first_in_area
        if self.isVisible():
            QTimer.singleShot(0, self._balance_areas)

    def _balance_areas(self) -> None:
        """Give the default layout sensible proportions (only once the window has its size)."""
        first_in_area, self._pending_balance = self._pending_balance, {}
        if not first_in_area:
            return
        width, height = max(self.width(), 800), max(self.height(), 600)
        sides = [first_in_area[a] for a in ("left", "right") if a in first_in_area]
        if len(sides) == 2:
            self.resizeDocks(sides, [int(width * 0.6), int(width * 0.4)],
                             QtCore.Qt.Orientation.Horizontal)
        # Qt only honours a vertical split when every dock of it is named together.
        upper = [first_in_area[a] for a in ("top", "left", "right") if a in first_in_area]
        if "bottom" in first_in_area and upper:
            docks = [*upper, first_in_area["bottom"]]
            sizes = [int(height * 0.7)] * len(upper) + [int(height * 0.25)]
            self.resizeDocks(docks, sizes, QtCore.Qt.Orientation.Vertical)

    def reset_layout(self) -> None:
        """Forget the saved arrangement of the current workspace and rebuild its default."""
        self.shell.layouts.reset_workspace(self.workspace)
        self._clear_docks()
        self.apply_default_layout(self.workspace)

    def save_dock_state(self) -> bytes:
        return bytes(self.saveState(LAYOUT_VERSION).data())

    def restore_dock_state(self, state: bytes) -> bool:
        return bool(self.restoreState(QByteArray(state), LAYOUT_VERSION))

    def show_view(self, view_id: str) -> QWidget | None:
        """Show and focus a view in this window, creating its widget if needed."""
        dock = self.docks.get(view_id)
        if dock is None:
            return None
        outside_layout = self.dockWidgetArea(dock) == QtCore.Qt.DockWidgetArea.NoDockWidgetArea
        if outside_layout and not dock.isFloating():
            self.addDockWidget(dock_area(dock.spec.area), dock)
        dock.show()
        dock.raise_()
        return dock.materialize()

    def visible_views(self) -> list[str]:
        return [view_id for view_id, dock in self.docks.items() if dock.isVisible()]

    # -- geometry ------------------------------------------------------------------------
    def restore_geometry_clamped(self, geometry: bytes) -> None:
        """Restore a saved geometry, then make sure the window is on a screen that exists now."""
        if geometry:
            self.restoreGeometry(QByteArray(geometry))
        screens = QGuiApplication.screens()
        if not screens:
            return
        frame = self.frameGeometry()
        if any(screen.availableGeometry().intersects(frame) for screen in screens):
            visible = next(s for s in screens if s.availableGeometry().intersects(frame))
            area = visible.availableGeometry()
        else:
            area = QGuiApplication.primaryScreen().availableGeometry()
        # Window-manager decorations make the frame larger than the window itself.
        extra_w, extra_h = frame.width() - self.width(), frame.height() - self.height()
        width = min(self.width(), area.width() - extra_w)
        height = min(self.height(), area.height() - extra_h)
        left = min(max(frame.left(), area.left()), area.right() - (width + extra_w) + 1)
        top = min(max(frame.top(), area.top()), area.bottom() - (height + extra_h) + 1)
        self.resize(width, height)
        self.move(left, top)

    # -- lifecycle -------------------------------------------------------------------------
    def request_view(self, dock: ViewDock) -> None:
        """A dock became visible: create its view after the window's first frame is on screen.

        Start-up then shows the window, its toolbar and dock titles at once, and the views
        (which may import a plugin's widgets and read files) fill in on the next loop turns.
        """
        if self._painted:
            QTimer.singleShot(0, dock.materialize_if_shown)
        elif dock not in self._pending_views:
            self._pending_views.append(dock)

    def _create_pending_views(self) -> None:
        self._painted = True
        pending, self._pending_views = self._pending_views, []
        for dock in pending:
            dock.materialize_if_shown()
        if not self._first_frame_announced:
            self._first_frame_announced = True
            self.first_frame_shown.emit()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            QTimer.singleShot(0, self._create_pending_views)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._pending_balance:
            QTimer.singleShot(0, self._balance_areas)
        # Should no paint ever arrive (a minimised start), views still get created.
        QTimer.singleShot(250, self._create_pending_views)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.attached:  # closed during start-up, before the shell existed
            super().closeEvent(event)
            return
        if self.primary and not self.shell.confirm_quit():
            event.ignore()
            return
        if self.primary and self._painted:
            self.shell.layouts.save_workspace_state(self.workspace, self.save_dock_state())
        self.shell.window_closing(self)
        super().closeEvent(event)
