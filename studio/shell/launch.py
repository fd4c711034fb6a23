"""Start the GUI: QApplication, the window's first frame, core studio, shell, event loop.

Start-up time is a feature. A returning user's window paints before the core is imported (see
:mod:`studio.shell.first_frame`); the core, started from the plugin index, and the shell follow
on the next loop turn and build into that window; the plugins are imported after the shell's
frame is on screen (see :mod:`studio.core.plugin_index`). For a screenshot, an explicit
``--theme``, or settings without a first-frame cache, everything starts before the window is
shown.

This module is imported on the way to the first frame: the core and the rest of the shell are
imported inside the functions that need them.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse

    from PySide6.QtWidgets import QApplication

    from studio.core.app import Studio
    from studio.shell.app import StudioShell
    from studio.shell.first_frame import FirstFrame
    from studio.shell.window import StudioWindow

__all__ = ["GuiStart", "display_problem", "prepare_qt_environment", "run_gui", "start_gui"]

log = logging.getLogger(__name__)


def run_gui(options: argparse.Namespace) -> int:
    """Run the studio window (or render it with ``--screenshot``); return the exit code."""
    start = start_gui(options)
    if isinstance(start, int):
        return start
    return start.run()


def start_gui(options: argparse.Namespace) -> GuiStart | int:
    """Everything :func:`run_gui` does before the event loop; an exit code on bad options.

    The window is shown (or, for a screenshot, rendered by :meth:`GuiStart.run`). When it was
    painted early, :attr:`GuiStart.studio` and :attr:`GuiStart.shell` exist only once the
    event loop has run the rest of the start (:attr:`GuiStart.ready`).
    """
    if options.screenshot and not os.environ.get("QT_QPA_PLATFORM"):
        # A screenshot needs no display: render offscreen unless the user chose a platform.
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if options.workspace:  # checked before any window appears (only when asked: ~10 ms)
        from studio.core.contributions import WORKSPACE_IDS

        if options.workspace not in WORKSPACE_IDS:
            print(f"hafs-studio: unknown workspace {options.workspace!r}; choose from "
                  f"{', '.join(WORKSPACE_IDS)}", file=sys.stderr)
            return 2
    from PySide6.QtWidgets import QApplication

    from studio import __version__

    prepare_qt_environment()
    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setApplicationName("HAFS Studio")
    app.setOrganizationName("hafs")
    app.setApplicationVersion(__version__)
    start = GuiStart(options, app)
    frame = None
    if not options.screenshot and not options.theme:  # both need the real theme at once
        from studio.core.paths import studio_paths
        from studio.shell.first_frame import show_first_frame

        frame = show_first_frame(studio_paths(), workspace=options.workspace, size=options.size)
    if frame is None:
        code = start.finish(None)
        if code:
            return code
        if not options.screenshot:
            start.window.show()
        return start
    start.window, start.frame = frame.window, frame
    # The rest once the frame is on screen; its failure ends the event loop and run() raises.
    frame.window.first_frame_shown.connect(start.finish_after_frame)
    return start


class GuiStart:
    """A studio window on its way up: the first frame, then the core studio and the shell."""

    def __init__(self, options: argparse.Namespace, app: QApplication) -> None:
        self.options = options
        self.app = app
        self.window: StudioWindow | None = None
        self.studio: Studio | None = None
        self.shell: StudioShell | None = None
        self.failure: BaseException | None = None
        #: Called with this object once the studio and the shell exist (tests, benchmarks).
        self.on_ready: list[Callable[[GuiStart], None]] = []
        #: The window painted before the core was imported, when there is one.
        self.frame: FirstFrame | None = None

    @property
    def ready(self) -> bool:
        """The studio and the shell exist (the plugins may still be arriving)."""
        return self.shell is not None

    def finish_after_frame(self) -> None:
        """Slot of the early window's first frame: start the core and the shell now, once."""
        frame = self.frame
        assert frame is not None
        frame.window.first_frame_shown.disconnect(self.finish_after_frame)
        try:
            self.finish(frame)
        except BaseException as exc:
            log.exception("starting the studio failed")
            self.failure = exc
            self.app.exit(1)

    def finish(self, frame: FirstFrame | None) -> int:
        """Start the core studio and the shell (into ``frame``'s window when there is one)."""
        from studio.core.app import Studio
        from studio.core.context import resolve_context_root
        from studio.shell.app import StudioShell

        options = self.options
        studio = self.studio = Studio(context=resolve_context_root(options.context),
                                      safe_mode=options.safe_mode)
        # Paint from the plugin index and import the plugins right after the shell's first
        # frame (the shell calls studio.finish_start()); a screenshot, or a start without a
        # valid index, starts everything first.
        if options.screenshot or not studio.start_first_frame():
            studio.start()
        restore = studio.settings.get("general", "restore_session") and not options.screenshot
        shell = self.shell = StudioShell(
            studio,
            restore_session=bool(restore),
            persist_layouts=not options.screenshot,
            interactive=not options.screenshot,
            first_frame=frame,
        )
        window = self.window = shell.start()
        if options.theme:
            known = [theme_id for theme_id, _ in shell.available_themes()]
            if options.theme not in known:
                print(f"hafs-studio: unknown theme {options.theme!r}; choose from "
                      f"{', '.join(known)}", file=sys.stderr)
                return 2
            shell.override_theme(options.theme)
        if options.workspace:
            window.switch_workspace(options.workspace)
        if options.size and frame is None and not options.screenshot:
            window.resize(*options.size)
        _after_start(studio, list(getattr(options, "after_start", ())))  # `logs view FILE`
        for callback in self.on_ready:
            callback(self)
        return 0

    def run(self) -> int:
        """Run the event loop (or render the screenshot) and close the studio; the exit code."""
        options = self.options
        try:
            if options.screenshot:
                assert self.shell is not None
                size = options.size or (1600, 1000)
                path = self.shell.screenshot(Path(options.screenshot), size=size)
                print(f"wrote {path}")
                return 0
            code = self.app.exec()
            if self.failure is not None:
                raise self.failure
            return code
        finally:  # the shell and the studio exist only if the start got that far
            shell, studio = self.shell, self.studio
            if shell is not None:
                if not options.screenshot and not shell.quitting:
                    shell.save_session()
                shell.shutdown()
            if studio is not None:
                studio.shutdown()


def _after_start(studio: Any, actions: list[Any]) -> None:
    """Run ``action(studio)`` for each action once the plugins have started: at once, or (when
    the window was painted from the plugin index first) when they have."""
    if not actions:
        return
    if studio.started:
        for action in actions:
            action(studio)
        return

    def started(_event: Any) -> None:
        if studio.started and actions:
            subscription.unsubscribe()
            pending = list(actions)
            actions.clear()
            for action in pending:
                action(studio)

    subscription = studio.bus.subscribe("plugins.contributions", started, thread="main")


def display_problem(environ: dict[str, str] | None = None) -> str | None:
    """Why Qt cannot open a window here (no display on Linux), or None when it can."""
    env = os.environ if environ is None else environ
    if not sys.platform.startswith("linux"):
        return None
    platform = env.get("QT_QPA_PLATFORM", "")
    if platform.startswith(("offscreen", "minimal", "vnc", "eglfs", "linuxfb")):
        return None
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return (
        "hafs-studio: no display found (neither DISPLAY nor WAYLAND_DISPLAY is set).\n"
        "  - On a desktop, run it from a graphical session.\n"
        "  - Over SSH, use 'ssh -X' or a virtual screen: xvfb-run -a hafs-studio\n"
        "  - To render the window to a picture instead: hafs-studio --screenshot out.png\n"
        "  - Or pick a Qt platform explicitly, e.g. QT_QPA_PLATFORM=offscreen.\n"
        "The command line works without a display: hafs-studio --help"
    )


def prepare_qt_environment() -> None:
    """Before the QApplication exists: the Fusion style (the themes are drawn for it), chosen
    here so the theme manager never has to ask Qt which style is active."""
    os.environ.setdefault("QT_STYLE_OVERRIDE", "Fusion")
