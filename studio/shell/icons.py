"""Icons from qtawesome's font sets, tinted with the theme's text colour, cached on disk.

Importing qtawesome (and qtpy under it) and loading its fonts costs ~0.3-0.4 s, more than a bare
Qt window takes to appear, so it must not sit on the start-up path. An icon here is a
:class:`GlyphIconEngine` that draws a pixmap rendered once by qtawesome and kept in the
studio's cache folder, keyed by qtawesome's version, icon name, colour, size and mode. Starts
after the first one read those PNGs and never import qtawesome; a new icon or size is rendered
on first paint.
"""

from __future__ import annotations

import logging
import os
from functools import cache, lru_cache
from pathlib import Path

from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QGuiApplication, QIcon, QIconEngine, QPainter, QPalette, QPixmap

__all__ = ["GlyphIconEngine", "clear_icon_cache", "icon", "icon_cache_dir"]

log = logging.getLogger(__name__)

DISABLED_COLOR = "#808080"


@cache
def icon_cache_dir() -> Path:
    """``<studio cache>/icons/qta-<stamp>``: a qtawesome upgrade starts a fresh cache.

    The stamp is the size and modification time of qtawesome's ``__init__.py``, found without
    importing qtawesome or importlib.metadata (neither is needed to paint the window).
    """
    import importlib.util

    from studio.core.paths import studio_paths

    spec = importlib.util.find_spec("qtawesome")
    try:
        info = os.stat(spec.origin) if spec is not None and spec.origin else None
    except OSError:
        info = None
    stamp = f"{info.st_size:x}-{info.st_mtime_ns:x}" if info is not None else "unknown"
    return studio_paths().cache / "icons" / f"qta-{stamp}"


class GlyphIconEngine(QIconEngine):
    """Draws one qtawesome glyph at any size, from the disk cache when possible."""

    def __init__(self, name: str, color: str) -> None:
        super().__init__()
        self.name = name
        self.color = color
        self._pixmaps: dict[tuple[int, int, int], QPixmap] = {}

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        key = (size.width(), size.height(), int(mode.value))
        cached = self._pixmaps.get(key)
        if cached is not None:
            return cached
        color = DISABLED_COLOR if mode == QIcon.Mode.Disabled else self.color
        path = icon_cache_dir() / _file_name(self.name, color, size)
        pixmap = QPixmap(str(path)) if path.exists() else QPixmap()
        if pixmap.isNull():
            pixmap = _render(self.name, color, size)
            _store(pixmap, path)
        self._pixmaps[key] = pixmap
        return pixmap

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        ratio = painter.device().devicePixelRatioF() if painter.device() else 1.0
        size = QSize(round(rect.width() * ratio), round(rect.height() * ratio))
        painter.drawPixmap(rect, self.pixmap(size, mode, state))

    def clone(self) -> QIconEngine:
        return GlyphIconEngine(self.name, self.color)


def icon(name: str, color: str | None = None) -> QIcon:
    """The qtawesome icon ``name`` (e.g. ``"mdi6.cog"``) in ``color`` (default: text colour)."""
    if color is None:
        app = QGuiApplication.instance()
        palette = app.palette() if app is not None else QPalette()
        color = palette.color(QPalette.ColorRole.WindowText).name()
    return _icon(name, color)


@lru_cache(maxsize=1024)
def _icon(name: str, color: str) -> QIcon:
    return QIcon(GlyphIconEngine(name, color))


def clear_icon_cache() -> None:
    """Forget in-memory icons (after a theme change, so new ones take the new text colour)."""
    _icon.cache_clear()


def _file_name(name: str, color: str, size: QSize) -> str:
    # The key itself, hex-encoded: unique and file-name safe, and no hashlib (OpenSSL) to load
    # while the window paints its first icons.
    key = f"{name}|{color}".encode().hex()
    return f"{key}-{size.width()}x{size.height()}.png"


def _render(name: str, color: str, size: QSize) -> QPixmap:
    import qtawesome

    try:
        glyph = qtawesome.icon(name, color=color)
    except Exception as exc:  # an unknown icon name from a plugin must not break a menu
        log.warning("unknown icon %r: %s", name, exc)
        empty = QPixmap(size)
        empty.fill(0)
        return empty
    return glyph.pixmap(size)


def _store(pixmap: QPixmap, path: Path) -> None:
    # Several studio processes may render the same icon: write aside, then rename atomically.
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        if pixmap.save(str(temporary), "PNG"):
            os.replace(temporary, path)
    except OSError:
        log.debug("cannot cache icon %s", path, exc_info=True)
