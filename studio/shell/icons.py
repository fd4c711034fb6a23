"""Icons from qtawesome's font sets, cached and tinted with the theme's text colour.

qtawesome is imported on first use and each (name, colour) icon is built once: startup time
matters and the toolbar asks for the same icons in every window.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from PySide6.QtGui import QGuiApplication, QIcon, QPalette

__all__ = ["clear_icon_cache", "icon"]

log = logging.getLogger(__name__)


def icon(name: str, color: str | None = None) -> QIcon:
    """The qtawesome icon ``name`` (e.g. ``"mdi6.cog"``); an empty icon if it does not exist."""
    if color is None:
        app = QGuiApplication.instance()
        palette = app.palette() if app is not None else QPalette()
        color = palette.color(QPalette.ColorRole.WindowText).name()
    return _icon(name, color)


@lru_cache(maxsize=512)
def _icon(name: str, color: str) -> QIcon:
    import qtawesome

    try:
        return qtawesome.icon(name, color=color, color_disabled="#808080")
    except Exception as exc:  # an unknown icon name from a plugin must not break a menu
        log.warning("unknown icon %r: %s", name, exc)
        return QIcon()


def clear_icon_cache() -> None:
    """Forget cached icons (after a theme change, so new icons take the new text colour)."""
    _icon.cache_clear()
