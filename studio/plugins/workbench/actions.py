"""Command handlers of the workbench that need the GUI (they do nothing headless)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from studio.shell.api import current_shell


def has_gui() -> bool:
    return current_shell() is not None


def call_shell(path: str, *args: Any) -> Any:
    """Call ``shell.<path>(*args)``; ``active_window.x`` resolves the active window first."""
    shell = current_shell()
    if shell is None:
        raise RuntimeError("this command needs the studio window")
    target: Any = shell
    *owners, method = path.split(".")
    for owner in owners:
        target = getattr(target, owner)
        target = target() if callable(target) else target
    return getattr(target, method)(*args)


def open_context_folder() -> None:
    """Pick another hafs context root and reopen the studio on it.

    Every plugin reads the context root at start, so switching means a fresh studio process
    (as an editor reloads its window for another folder): the new one starts on the chosen
    folder with the same options, then this one closes and saves its session.
    """
    from PySide6.QtCore import QProcess
    from PySide6.QtWidgets import QFileDialog

    shell = current_shell()
    window = shell.active_window()
    folder = QFileDialog.getExistingDirectory(
        window, "Open hafs context folder", str(shell.studio.context.path)
    )
    if not folder or Path(folder) == shell.studio.context.path:
        return
    arguments = ["-m", "studio", "--context", folder]
    if shell.studio.plugins.safe_mode:
        arguments.append("--safe-mode")
    started, _pid = QProcess.startDetached(sys.executable, arguments)
    if not started:
        shell.post_message(f"Could not start the studio on {folder}; run: hafs-studio --context "
                           f"{folder}")
        return
    quit_studio()


def create_sample_workspace() -> None:
    """Create the hafs skeleton in the context root and let plugins add sample content."""
    from studio.plugins.workbench.sample import populate_sample_workspace

    studio = current_shell().studio
    studio.jobs.submit("Create sample workspace", populate_sample_workspace, studio)


def quit_studio() -> None:
    shell = current_shell()
    if shell.main_window is not None:
        shell.main_window.close()


def toggle_fullscreen() -> None:
    window = current_shell().active_window()
    window.showNormal() if window.isFullScreen() else window.showFullScreen()


def cycle_theme() -> None:
    shell = current_shell()
    ids = [theme_id for theme_id, _name in shell.available_themes()]
    if not ids:
        return
    current = shell.themes.current.id
    following = ids[(ids.index(current) + 1) % len(ids)] if current in ids else ids[0]
    shell.set_theme(following)
    shell.post_message(f"Theme: {following}", 2000)
