"""Start the GUI: QApplication, core studio, shell, then the event loop or a screenshot.

Start-up time is a feature: with a valid plugin index the window paints before any plugin is
imported (see :mod:`studio.core.plugin_index`), and the plugins arrive right after.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["import_core_before_qt", "prepare_qt_environment", "run_gui"]

log = logging.getLogger(__name__)


def run_gui(options: argparse.Namespace) -> int:
    """Run the studio window (or render it with ``--screenshot``); return the exit code."""
    if options.screenshot and not os.environ.get("QT_QPA_PLATFORM"):
        # A screenshot needs no display: render offscreen unless the user chose a platform.
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    import_core_before_qt()
    from studio.shell.app import display_problem

    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    from PySide6.QtWidgets import QApplication

    from studio import __version__
    from studio.core.app import Studio
    from studio.core.context import resolve_context_root
    from studio.core.contributions import WORKSPACE_IDS
    from studio.shell.app import StudioShell

    if options.workspace and options.workspace not in WORKSPACE_IDS:
        print(
            f"hafs-studio: unknown workspace {options.workspace!r}; choose from "
            f"{', '.join(WORKSPACE_IDS)}",
            file=sys.stderr,
        )
        return 2
    # Qt 6 already rounds fractional scale factors with PassThrough; not setting it here leaves
    # QT_SCALE_FACTOR_ROUNDING_POLICY to the user (and the first frame never touches Qt's enums).
    prepare_qt_environment()
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("HAFS Studio")
    app.setOrganizationName("hafs")
    app.setApplicationVersion(__version__)
    studio = Studio(context=resolve_context_root(options.context), safe_mode=options.safe_mode)
    # Paint from the plugin index and import the plugins right after the first frame (the
    # shell calls studio.finish_start()); a screenshot, or a start without a valid index,
    # starts everything first.
    if options.screenshot or not studio.start_first_frame():
        studio.start()
    restore = studio.settings.get("general", "restore_session") and not options.screenshot
    shell = StudioShell(
        studio,
        restore_session=bool(restore),
        persist_layouts=not options.screenshot,
        interactive=not options.screenshot,
    )
    window = shell.start()
    if options.theme:
        known = [theme_id for theme_id, _ in shell.available_themes()]
        if options.theme not in known:
            print(
                f"hafs-studio: unknown theme {options.theme!r}; choose from {', '.join(known)}",
                file=sys.stderr,
            )
            return 2
        shell.themes.apply(options.theme)
    if options.workspace:
        window.switch_workspace(options.workspace)
    _after_start(studio, list(getattr(options, "after_start", ())))  # `logs view FILE`
    try:
        if options.screenshot:
            path = shell.screenshot(Path(options.screenshot), size=options.size or (1600, 1000))
            print(f"wrote {path}")
            return 0
        if options.size:
            window.resize(*options.size)
        window.show()
        return app.exec()
    finally:
        if not options.screenshot and not shell.quitting:
            shell.save_session()
        shell.shutdown()
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


def import_core_before_qt() -> None:
    """Import the Qt-free core (and the standard modules it needs) before PySide6.

    PySide6 hooks ``import`` and reads the source of every module imported after it, looking
    for ``from __feature__ import ...``; the core never uses Qt, so it is loaded first and
    skips that: the hook's time fell from 22 to 14 ms in process on an idle machine, a gain
    below what ``benchmarks/startup.py`` resolves (1.65x bare with and without it, 21 starts).
    """
    import studio.core.app
    import studio.core.context
    import studio.core.contributions
    import studio.core.theme_qss  # noqa: F401


def prepare_qt_environment() -> None:
    """Before the QApplication exists: the Fusion style (the themes are drawn for it), chosen
    here so the theme manager never has to ask Qt which style is active."""
    os.environ.setdefault("QT_STYLE_OVERRIDE", "Fusion")
