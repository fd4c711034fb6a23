"""The GUI shell: the QApplication, the windows, themes and the bridge to the core.

:class:`StudioShell` owns everything Qt-side for one :class:`~studio.core.app.Studio`: it
installs the Qt dispatcher on the event bus, applies the theme, opens the windows of the last
session, reloads keybindings when their file changes, and turns failures into visible messages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from shiboken6 import isValid

from studio.core.app import Studio
from studio.core.commands import CommandError, KeybindingsChanged
from studio.core.contributions import WORKSPACES
from studio.core.events import Message, SubscriberFailed
from studio.core.plugin_records import ContributionsChanged
from studio.core.plugins import PluginChanged, PluginState
from studio.core.settings import SettingsError
from studio.shell.api import set_current_shell
from studio.shell.dispatcher import QtDispatcher
from studio.shell.first_frame import (
    FirstFrame,
    FirstFrameLook,
    first_frame_file,
    write_first_frame_look,
)
from studio.shell.layouts import LayoutStore, WindowSession
from studio.shell.theming import ThemeManager
from studio.shell.window import StudioWindow

__all__ = ["StudioShell"]

log = logging.getLogger(__name__)

KEYBINDINGS_FILE_TOPIC = "shell.keybindings-file"


class StudioShell(QObject):
    """Qt side of a running studio: windows, themes, layouts and error reporting."""

    message = Signal(str, int)  # text, timeout ms: shown in every window's status bar

    def __init__(
        self,
        studio: Studio,
        *,
        restore_session: bool = True,
        persist_layouts: bool = True,
        interactive: bool = True,
        first_frame: FirstFrame | None = None,
    ) -> None:
        """``first_frame``: the window the launcher already painted (see
        :mod:`studio.shell.first_frame`); the shell builds into it and opens its session."""
        super().__init__()
        self.studio = studio
        self.windows: list[StudioWindow] = []
        self._restore_session = restore_session
        self._quitting = False
        self._interactive = interactive  # False for --screenshot: never wait on a question
        self.crash_prompt: QMessageBox | None = None
        self.orphan_prompt: QObject | None = None  # studio.shell.orphans.OrphanPrompt
        self._dialogs: dict[str, QWidget] = {}
        self.dispatcher = QtDispatcher(parent=self)
        studio.bus.set_dispatcher(self.dispatcher)
        self._first_frame = first_frame
        self._theme_override: str | None = None  # --theme: not the user's choice, not cached
        self.layouts = (first_frame.layouts if first_frame is not None
                        else LayoutStore(studio.paths.layouts_dir, read_only=not persist_layouts))
        self.themes = ThemeManager(studio.bus, parent=self)
        self._theme_specs: dict[str, object] = {}
        self._sync_themes(only=self._first_frame_themes() if studio.first_frame else None)
        self.themes.theme_changed.connect(self._on_theme_changed)
        self._subscriptions = [
            studio.bus.subscribe(KeybindingsChanged.topic, self._on_keybindings, owner="studio"),
            studio.bus.subscribe(KEYBINDINGS_FILE_TOPIC, self._reload_keybindings, owner="studio"),
            studio.bus.subscribe(SubscriberFailed.topic, self._on_failure, owner="studio"),
            studio.bus.subscribe(PluginChanged.topic, self._on_plugin_changed, owner="studio"),
            studio.bus.subscribe(ContributionsChanged.topic, self._sync_windows, owner="studio",
                                 batch=True),
        ]
        self._keybindings_watch = studio.watcher.watch(
            studio.paths.keybindings_file,
            lambda _path: studio.bus.publish(Message(name="changed"), topic=KEYBINDINGS_FILE_TOPIC),
        )
        set_current_shell(self)

    # -- start ---------------------------------------------------------------------------
    def start(self) -> StudioWindow:
        """Apply the theme and open the windows of the last session (or one new window)."""
        self._apply_initial_theme()
        frame, self._first_frame = self._first_frame, None
        if frame is not None:  # the first window is on screen already, at its place
            sessions = frame.sessions
        else:
            sessions = self.layouts.session() if self._restore_session else []
        if not sessions:
            sessions = [WindowSession(workspace="dashboard")]
        known = {w.id for w in WORKSPACES}
        for index, session in enumerate(sessions):
            workspace = session.workspace if session.workspace in known else "dashboard"
            if index == 0 and frame is not None:
                window = self._open_window(workspace, primary=True, window=frame.window)
                continue
            window = self._open_window(workspace, primary=index == 0)
            window.restore_geometry_clamped(session.geometry)
            if index > 0 and session.state:
                window.restore_dock_state(session.state)
        for problem in self.layouts.problems + self.studio.settings.warnings:
            self.post_message(problem)
        QTimer.singleShot(0, self._report_startup_problems)
        if self._interactive:  # processes a crashed session left running: offer to stop them
            from studio.shell.orphans import OrphanPrompt

            self.orphan_prompt = prompt = OrphanPrompt(self)
            # After the first frame: reading pid files needs the process service's modules.
            self.windows[0].first_frame_shown.connect(lambda: QTimer.singleShot(0, prompt.check))
        return self.windows[0]

    def _apply_initial_theme(self) -> None:
        settings = self.studio.settings
        follow = settings.get("appearance", "follow_system")
        self.themes.light_theme_id = settings.get("appearance", "light_theme")
        self.themes.dark_theme_id = settings.get("appearance", "dark_theme")
        self.themes.apply(settings.get("appearance", "theme"))
        if follow:
            self.themes.set_follow_system(True)
        for problem in self.themes.problems:
            self.post_message(problem)

    def _open_window(
        self, workspace: str, *, primary: bool, window: StudioWindow | None = None
    ) -> StudioWindow:
        if window is None:
            window = StudioWindow(self, workspace, primary=primary)
        else:  # painted before the shell existed: build into it
            window.attach(self, workspace, primary=primary)
        self.message.connect(window.statusBar().showMessage)
        if primary and self.studio.first_frame:
            # A loop turn after the first frame, so that frame is on screen first.
            window.first_frame_shown.connect(lambda: QTimer.singleShot(0, self._finish_start))
        self.windows.append(window)
        return window

    def status_widgets(self, window: StudioWindow) -> list[QWidget]:
        """Permanent status-bar widgets for a new window."""
        from studio.shell.jobs_indicator import JobsIndicator
        from studio.shell.plugin_status import PluginStatusButton

        plugins = PluginStatusButton(self.studio, window)
        plugins.clicked.connect(self.open_plugins_dialog)
        jobs = JobsIndicator(self.studio, window)
        jobs.clicked.connect(lambda: window.show_view("jobs.list"))
        return [jobs, plugins]

    # -- windows -------------------------------------------------------------------------
    @property
    def main_window(self) -> StudioWindow | None:
        return self.windows[0] if self.windows else None

    def active_window(self) -> StudioWindow | None:
        active = QApplication.activeWindow()
        for window in self.windows:
            if window is active or (active is not None and window.isAncestorOf(active)):
                return window
        return self.main_window

    def new_window(self, workspace: str | None = None) -> StudioWindow:
        """Open another top-level window, on ``workspace`` or the active window's one."""
        current = self.active_window()
        workspace = workspace or (current.workspace if current else "dashboard")
        window = self._open_window(workspace, primary=False)
        if current is not None:
            window.resize(current.size())
            window.move(current.pos() + current.rect().center() / 8)
        window.show()
        return window

    def open_view_in_new_window(self, view_id: str) -> StudioWindow:
        """A new window showing only ``view_id`` (e.g. a chart on a second screen)."""
        window = self.new_window()
        for dock in window.docks.values():
            dock.hide()
        window.show_view(view_id)
        return window

    def confirm_quit(self) -> bool:
        """Ask before closing the studio while jobs run (setting general.confirm_quit_with_jobs).

        Quitting cancels the jobs; the user may prefer to let a conversion finish.
        """
        running = self.studio.jobs.running()
        if not running or not self._interactive or self._quitting:
            return True
        try:
            ask = self.studio.settings.get("general", "confirm_quit_with_jobs")
        except SettingsError:  # the workbench plugin that declares it is disabled
            ask = True
        if not ask:
            return True
        import html

        titles = "".join(f"<li>{html.escape(job.title)}</li>" for job in running[:5])
        more = f"<p>…and {len(running) - 5} more.</p>" if len(running) > 5 else ""
        box = QMessageBox(self.main_window)
        box.setObjectName("confirm-quit")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Quit HAFS Studio?")
        box.setText(f"{len(running)} job(s) still running:<ul>{titles}</ul>{more}"
                    "Quitting cancels them.")
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.button(QMessageBox.StandardButton.Yes).setText("Cancel jobs and quit")
        box.button(QMessageBox.StandardButton.No).setText("Keep working")
        if box.exec() != QMessageBox.StandardButton.Yes:
            return False
        self.studio.jobs.cancel_all()
        return True

    def window_closing(self, window: StudioWindow) -> None:
        """A window is closing: the primary one ends the session and closes the others."""
        if window.primary and not self._quitting:
            self._quitting = True
            self.save_session()
            for other in self.windows[1:]:
                other.close()
        if window in self.windows and not window.primary and not self._quitting:
            self.windows.remove(window)

    @property
    def quitting(self) -> bool:
        """True once the primary window closed and the session was saved."""
        return self._quitting

    def save_session(self) -> None:
        sessions = []
        for window in self.windows:
            sessions.append(
                WindowSession(
                    workspace=window.workspace,
                    geometry=bytes(window.saveGeometry().data()),
                    state=b"" if window.primary else window.save_dock_state(),
                )
            )
        self.layouts.save_session(sessions)
        self._remember_first_frame()

    def _remember_first_frame(self) -> None:
        """Keep what the next start's first frame needs (the theme's palette, whether the
        session returns) in the cache studio.shell.first_frame reads before the core exists."""
        if self.layouts.read_only or self._theme_override is not None:
            return
        from studio.core.themes import palette_roles

        try:
            restore = bool(self.studio.settings.get("general", "restore_session"))
        except SettingsError:  # the workbench plugin that declares it is disabled
            restore = True
        theme = self.themes.current
        look = FirstFrameLook(theme=theme.id, dark=theme.dark, palette=palette_roles(theme),
                              restore_session=restore, stylesheet=self.themes.qss(theme))
        try:
            write_first_frame_look(first_frame_file(self.studio.paths), look)
        except OSError as exc:  # only start-up speed depends on it
            log.warning("cannot write the first-frame cache: %s", exc)

    # -- commands and messages --------------------------------------------------------------
    def run_command(self, command_id: str, selection: Iterable[str] | None = None) -> object:
        """Run a command (on ``selection`` ids, else the current selection); a failure is
        shown, never raised into Qt."""
        try:
            return self.studio.commands.execute(command_id, selection=selection)
        except CommandError as exc:
            log.warning("%s", exc)
            self.post_message(str(exc))
            self.studio.bus.publish(
                Message(name="command-failed", payload={"command": command_id, "error": str(exc)}),
                topic="errors.command",
            )
            return None

    def post_message(self, text: str, timeout_ms: int = 8000) -> None:
        self.message.emit(text, timeout_ms)

    def set_theme(self, theme_id: str) -> None:
        self._theme_override = None
        self.studio.settings.set("appearance", "follow_system", False)
        self.studio.settings.set("appearance", "theme", theme_id)
        self.themes.set_follow_system(False)
        self.themes.apply(theme_id)

    def override_theme(self, theme_id: str) -> None:
        """Use ``theme_id`` for this session only (``hafs-studio --theme``): the settings, and
        so the next start's first frame, keep the user's own choice."""
        self._theme_override = theme_id
        self.themes.set_follow_system(False)
        self.themes.apply(theme_id)

    def available_themes(self) -> list[tuple[str, str]]:
        """(id, name) of every registered theme, in menu order."""
        return [(theme.id, theme.name) for theme in self.themes.themes()]

    def _on_theme_changed(self, _theme: object) -> None:
        from studio.shell.icons import clear_icon_cache

        clear_icon_cache()
        for window in self.windows:
            window.refresh_icons()
        self._remember_first_frame()

    def _on_keybindings(self, event: KeybindingsChanged) -> None:
        for window in self.windows:
            window.refresh_shortcuts()
        if event.problems:
            self.post_message(f"Keybindings: {event.problems[0]}")

    def _reload_keybindings(self, _event: Message) -> None:
        self.studio.commands.load_keybindings(self.studio.paths.keybindings_file)

    def _on_failure(self, event: SubscriberFailed) -> None:
        self.post_message(f"Plugin {event.owner}: {event.error} (on {event.event_topic})")

    def _on_plugin_changed(self, event: PluginChanged) -> None:
        if event.state == PluginState.ERRORED:
            record = self.studio.plugins.records.get(event.name)
            error = record.error if record else ""
            self.post_message(f"Plugin {event.name} failed: {error}")

    def _sync_windows(self, _events: list[ContributionsChanged]) -> None:
        # A plugin came or went while running (or all of them arrived after the first frame):
        # themes, docks, menus and the toolbar follow.
        self._sync_themes()
        for window in self.windows:
            window.sync_contributions()

    def _first_frame_themes(self) -> set[str]:
        # Painting from the plugin index: the theme in use (and the light/dark pair when the
        # OS decides) now, the others once the plugins have arrived.
        settings = self.studio.settings
        return {settings.get("appearance", key) for key in ("theme", "dark_theme", "light_theme")}

    def _sync_themes(self, only: set[str] | None = None) -> None:
        for spec in self.studio.contributions.themes.values():
            if only is not None and spec.id not in only:
                continue
            if self._theme_specs.get(spec.id) is not spec:
                self.themes.register(spec)
                self._theme_specs[spec.id] = spec

    def _finish_start(self) -> None:
        """The window painted from the plugin index: import and start the plugins now."""
        try:
            self.studio.finish_start()
        except Exception as exc:  # never leave a half-started studio without saying so
            log.exception("starting the plugins failed")
            self.post_message(f"Starting the plugins failed: {type(exc).__name__}: {exc}")

    def _report_startup_problems(self) -> None:
        crash = self.studio.plugins.crash_report
        if crash is None or self._quitting or not self._interactive:
            return
        window = self.main_window
        box = QMessageBox(window)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("HAFS Studio closed unexpectedly")
        box.setText(
            f"The last session ended while plugin “{crash.plugin}” was in its {crash.phase} "
            "phase. Disable this plugin?"
        )
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        box.finished.connect(lambda result: self._answer_crash(crash.plugin, result))
        box.open()
        self.crash_prompt = box

    def _answer_crash(self, plugin: str, result: int) -> None:
        if result == QMessageBox.StandardButton.Yes and plugin in self.studio.plugins.records:
            self.studio.plugins.set_enabled(plugin, False)
            self.post_message(f"Plugin {plugin} is disabled from the next start on.")

    # -- dialogs ---------------------------------------------------------------------------
    def _open_single(self, key: str, create: Callable[[], QWidget]) -> QWidget:
        """Show the one live instance of a dialog, creating it if it was closed."""
        dialog = self._dialogs.get(key)
        if dialog is None or not isValid(dialog) or not dialog.isVisible():
            dialog = create()
            self._dialogs[key] = dialog
            dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def open_palette(self) -> None:
        from studio.shell.palette import CommandPalette

        window = self.active_window()
        palette = CommandPalette(self.studio, self.run_command, window)
        palette.show()

    def open_cheatsheet(self) -> None:
        from studio.shell.cheatsheet import ShortcutCheatSheet

        self._open_single(
            "cheatsheet", lambda: ShortcutCheatSheet(self.studio, self.active_window())
        )

    def open_preferences(self) -> None:
        from studio.shell.preferences import PreferencesDialog

        self._open_single(
            "preferences", lambda: PreferencesDialog(self.studio, self.active_window())
        )

    def open_plugins_dialog(self) -> None:
        from studio.shell.plugins_dialog import PluginsDialog

        self._open_single("plugins", lambda: PluginsDialog(self.studio, self.active_window()))

    # -- end ---------------------------------------------------------------------------------
    def shutdown(self) -> None:
        for subscription in self._subscriptions:
            subscription.unsubscribe()
        self._keybindings_watch.cancel()
        self.studio.bus.set_dispatcher(None)
        set_current_shell(None)

    def screenshot(self, path: Path, *, size: tuple[int, int] | None = None) -> Path:
        """Render the main window to ``path`` (PNG) once its views have painted."""
        from studio.shell.screenshot import render_window

        window = self.main_window
        assert window is not None
        return render_window(window, path, size=size)
