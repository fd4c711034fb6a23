"""The window's first frame, painted before the core and the rest of the shell are imported.

A returning user's studio shows its window the way a bare ``QMainWindow`` does: the launcher
creates the :class:`~studio.shell.window.StudioWindow` itself (themed, at the saved geometry,
with its menu bar), shows it, and only once that frame is on screen imports the core, starts
the studio from its plugin index and lets the shell :meth:`~StudioWindow.attach` to the same
window: toolbar, docks and status bar fill in, then the views, then the plugins.

What the frame needs beyond the saved session (``layouts/session.json``) is kept in a small
cache, ``<cache>/first-frame.json``, which the shell rewrites whenever it applies a theme or
saves the session: the palette of the theme in use and whether sessions are restored. Reading
the settings and the themes themselves would import the core, which is what the frame avoids.
The very first start has no cache but needs none: with no settings file yet, the theme is the
default one, whose palette the core reads from the shipped theme file without any plugin (the
stylesheet comes with the shell). A cache that is missing or unreadable while settings exist
means no early frame: the studio then starts the usual way, everything before the window
appears, rather than flash a theme that may not be the user's.

A stale cache costs a recolour, never a wrong state: the shell applies the real theme and
settings a moment later.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from studio.core import small_json
from studio.core.atomic import atomic_write_bytes
from studio.core.paths import StudioPaths
from studio.shell.layouts import LayoutStore, WindowSession
from studio.shell.window import StudioWindow

__all__ = [
    "FIRST_FRAME_FORMAT",
    "FirstFrame",
    "FirstFrameLook",
    "default_look",
    "first_frame_file",
    "palette_from_roles",
    "read_first_frame_look",
    "show_first_frame",
    "write_first_frame_look",
]

#: Version of ``first-frame.json``; a file of another version is ignored (and rewritten).
FIRST_FRAME_FORMAT = 1


@dataclass(frozen=True)
class FirstFrameLook:
    """What the first frame looks like: the theme's palette, and whether the session returns."""

    theme: str
    dark: bool
    palette: dict[str, str]  # studio.core.themes.palette_roles(): "Role" / "Group:Role" -> colour
    restore_session: bool = True
    stylesheet: str = ""  # the theme's generated stylesheet, as the shell applies it

    def to_json(self) -> dict[str, Any]:
        return {"format": FIRST_FRAME_FORMAT, "theme": self.theme, "dark": self.dark,
                "palette": dict(self.palette), "restore_session": self.restore_session,
                "stylesheet": self.stylesheet}


@dataclass
class FirstFrame:
    """The window on screen before the shell exists, and the session it was opened from."""

    window: StudioWindow
    layouts: LayoutStore
    sessions: list[WindowSession]
    look: FirstFrameLook


def first_frame_file(paths: StudioPaths) -> Path:
    return paths.cache / "first-frame.json"


def read_first_frame_look(path: Path) -> FirstFrameLook | None:
    """The cached look, or None when there is none or it is not usable (then no early frame).

    Lenient on purpose: a cache is never worth an error, whatever another version or a
    half-finished write left there.
    """
    data = small_json.read_cache(path, "first-frame cache")
    if data is None or data.get("format") != FIRST_FRAME_FORMAT:
        return None
    palette = data.get("palette")
    theme, dark = data.get("theme"), data.get("dark")
    if not (isinstance(palette, dict) and palette and isinstance(theme, str)
            and isinstance(dark, bool)):
        return None
    if not all(isinstance(k, str) and isinstance(v, str) and QColor.isValidColorName(v)
               for k, v in palette.items()):
        return None
    restore = data.get("restore_session", True)
    stylesheet = data.get("stylesheet", "")
    return FirstFrameLook(theme=theme, dark=dark, palette=palette,
                          restore_session=restore if isinstance(restore, bool) else True,
                          stylesheet=stylesheet if isinstance(stylesheet, str) else "")


def write_first_frame_look(path: Path, look: FirstFrameLook) -> bool:
    """Store ``look`` for the next start (atomically); False when the file already says so."""
    if read_first_frame_look(path) == look:
        return False
    atomic_write_bytes(path, small_json.dumps(look.to_json(), indent=True))
    return True


def default_look(paths: StudioPaths) -> FirstFrameLook | None:
    """The very first start's look (the default theme), or None once settings exist."""
    if paths.settings_file.exists():
        return None
    # First start only (~20 ms): the shipped default theme, as the themes plugin will load it.
    from studio.core.themes import (
        DEFAULT_THEME_ID,
        ThemeError,
        builtin_theme_dir,
        fallback_theme,
        load_theme_file,
        palette_roles,
        resolve_theme,
    )

    try:
        theme = resolve_theme(load_theme_file(builtin_theme_dir() / f"{DEFAULT_THEME_ID}.json"))
    except ThemeError:  # a broken install: the shell will fall back to the same theme
        theme = fallback_theme()
    return FirstFrameLook(theme=theme.id, dark=theme.dark, palette=palette_roles(theme))


def palette_from_roles(roles: dict[str, str]) -> QPalette:
    """A QPalette from ``{"Role": colour}`` (every group) and ``{"Group:Role": colour}`` keys.

    The plain keys apply to every colour group, so they are set first; unknown names are
    skipped (a cache from another Qt may name a role this one lacks).
    """
    palette = QPalette()
    plain = [(key, colour) for key, colour in roles.items() if ":" not in key]
    grouped = [(key, colour) for key, colour in roles.items() if ":" in key]
    for key, colour in plain + grouped:
        group_name, _, role_name = key.rpartition(":")
        role = getattr(QPalette.ColorRole, role_name, None)
        group = getattr(QPalette.ColorGroup, group_name, None) if group_name else None
        if role is None or (group_name and group is None):
            continue
        if group is None:
            palette.setColor(role, QColor(colour))
        else:
            palette.setColor(group, role, QColor(colour))
    return palette


def show_first_frame(
    paths: StudioPaths, *, workspace: str | None = None, size: tuple[int, int] | None = None
) -> FirstFrame | None:
    """Show the studio's window as it was left, before anything else is imported.

    Returns None (and shows nothing) when there is no usable cached look. Needs the
    QApplication; the window is shown, and its :attr:`~StudioWindow.first_frame_shown` says
    when the frame has been painted.
    """
    look = read_first_frame_look(first_frame_file(paths)) or default_look(paths)
    if look is None:
        return None
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        raise RuntimeError("show_first_frame() needs a QApplication")
    app.setPalette(palette_from_roles(look.palette))
    if look.stylesheet:  # the menu and status bars as the shell will draw them
        app.setStyleSheet(look.stylesheet)
    layouts = LayoutStore(paths.layouts_dir)
    sessions = layouts.session() if look.restore_session else []
    if not sessions:
        sessions = [WindowSession(workspace="dashboard")]
    if workspace:
        sessions[0].workspace = workspace
    window = StudioWindow()
    window.restore_geometry_clamped(sessions[0].geometry)
    if size:
        window.resize(*size)
    window.statusBar().showMessage("Starting…")
    window.show()
    return FirstFrame(window=window, layouts=layouts, sessions=sessions, look=look)
