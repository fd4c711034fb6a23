"""Render a window to a PNG without a display (``hafs-studio --screenshot``).

Used for the README, docs and tests. The window is laid out at the requested size, every
visible view is created, and the event loop runs until pending paints and queued bus events
are done, so the picture shows what a user would see.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEventLoop
from PySide6.QtWidgets import QMainWindow

__all__ = ["render_window"]


def _settle(seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


def render_window(window: QMainWindow, path: Path, *, size: tuple[int, int] | None = None) -> Path:
    """Show ``window`` at ``size``, let it settle, save a PNG to ``path`` and return it."""
    if size is not None:
        window.resize(*size)
    window.show()
    _settle(0.15)
    for dock in getattr(window, "docks", {}).values():
        if dock.isVisible():
            dock.materialize()
    _settle(0.35)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image = window.grab()
    if not image.save(str(path), "PNG"):
        raise OSError(f"could not write the screenshot to {path}")
    return path
