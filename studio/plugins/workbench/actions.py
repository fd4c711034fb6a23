"""Command handlers of the workbench that need the GUI (they do nothing headless)."""

from __future__ import annotations

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
    from PySide6.QtWidgets import QFileDialog

    shell = current_shell()
    window = shell.active_window()
    folder = QFileDialog.getExistingDirectory(
        window, "Open hafs context folder", str(shell.studio.context.path)
    )
    if folder:
        shell.post_message(
            f"Restart with --context {folder} (or set HAFS_CONTEXT_ROOT) to use {folder}."
        )
        shell.studio.bus.publish(_context_requested(Path(folder)), topic="context.requested")


def _context_requested(path: Path) -> Any:
    from studio.core.events import Message

    return Message(name="context.requested", payload=str(path))


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
