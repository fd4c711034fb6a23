"""Applying themes to the running application: stylesheet, QPalette, pyqtgraph, OS light/dark.

:class:`ThemeManager` holds the themes plugins registered (as validated :class:`Theme` objects),
applies one at runtime without a restart and tells everyone: a Qt signal for shell widgets and
:class:`~studio.core.themes.ThemeChanged` on the bus (``theme.changed``) for plugins. Views that
draw their own colours (plots, custom painting) read :func:`current_chart_colors` /
:func:`current_theme` and restyle on ``theme.changed``; everything else follows the palette and
the stylesheet automatically.

Startup cost matters (the studio must start within 1.3x of a bare QMainWindow), so specs are
resolved once at registration, each theme's stylesheet is generated once and cached, and
pyqtgraph is never imported here: it is configured only when a view has already imported it.
"""

from __future__ import annotations

import logging
import os
import sys
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QToolTip

from studio.core.contributions import ThemeSpec
from studio.core.events import EventBus
from studio.core.theme_qss import generate_qss, indicator_icons
from studio.core.themes import (
    DEFAULT_THEME_ID,
    ChartColors,
    Theme,
    ThemeChanged,
    ThemeError,
    chart_colors,
    fallback_theme,
    palette_roles,
    resolve_theme,
)
from studio.shell.first_frame import palette_from_roles

if TYPE_CHECKING:
    # PySide6 builds the huge Qt namespace on first use (~20 ms); the shell pays that anyway,
    # but importing this module should not.
    from PySide6.QtCore import Qt

__all__ = [
    "ThemeManager",
    "build_palette",
    "configure_pyqtgraph",
    "current_chart_colors",
    "current_theme",
    "style_plot",
    "theme_colour",
]

log = logging.getLogger(__name__)

LIGHT_THEME_ID = "light"

# Dynamic property on the QApplication: a theme manager already made Fusion its style.
_FUSION_CHOSEN = "hafsStudioFusionChosen"

# The manager that applied the current theme, so views can read chart colours without being
# handed the manager. None until the first apply().
_active_manager: ThemeManager | None = None


class ThemeManager(QObject):
    """Registered themes, the current one, and the follow-the-OS light/dark option."""

    #: Emitted with the new :class:`Theme` after it is applied.
    theme_changed = Signal(object)

    def __init__(
        self,
        bus: EventBus | None = None,
        *,
        dark_theme_id: str = DEFAULT_THEME_ID,
        light_theme_id: str = LIGHT_THEME_ID,
        use_fusion: bool = True,
        icon_cache_dir: Path | None = None,
        parent: QObject | None = None,
    ) -> None:
        """``icon_cache_dir`` holds the generated indicator glyphs (default: the studio cache)."""
        super().__init__(parent)
        self._icon_cache_dir = icon_cache_dir
        self._bus = bus
        self._themes: dict[str, Theme] = {}
        self._qss_cache: dict[str, str] = {}
        self._current: Theme | None = None
        self._follow_system = False
        self._use_fusion = use_fusion
        self.dark_theme_id = dark_theme_id
        self.light_theme_id = light_theme_id
        #: Human-readable problems (bad themes, unknown ids) for the UI to show.
        self.problems: list[str] = []
        self._scheme_hooked = False

    # -- registry -------------------------------------------------------------------------
    def register(self, spec: ThemeSpec) -> Theme | None:
        """Validate and add a theme; a bad one is reported in :attr:`problems` and skipped."""
        try:
            theme = resolve_theme(spec)
        except ThemeError as exc:
            self._report(f"{exc} (theme skipped)")
            return None
        previous = self._themes.get(theme.id)
        if previous is not None:
            log.info(
                "theme %r from %s replaces the one from %s",
                theme.id,
                theme.source or theme.plugin or "a plugin",
                previous.source or previous.plugin or "a plugin",
            )
        self._themes[theme.id] = theme
        self._qss_cache.pop(theme.id, None)
        return theme

    def themes(self) -> list[Theme]:
        """Every registered theme, dark ones first, then by name."""
        return sorted(self._themes.values(), key=lambda t: (not t.dark, t.name.lower()))

    def theme(self, theme_id: str) -> Theme | None:
        return self._themes.get(theme_id)

    @property
    def current(self) -> Theme:
        """The applied theme (the default one before the first :meth:`apply`)."""
        return self._current or self._default_theme()

    def qss(self, theme: Theme) -> str:
        """The stylesheet of ``theme``, generated once per theme id (reset on re-registration)."""
        sheet = self._qss_cache.get(theme.id)
        if sheet is None:
            sheet = self._qss_cache[theme.id] = generate_qss(theme, self._write_icons(theme))
        return sheet

    def chart_colors(self) -> ChartColors:
        return chart_colors(self.current)

    # -- applying -------------------------------------------------------------------------
    def apply(self, theme_id: str) -> Theme:
        """Make ``theme_id`` the application's theme now; an unknown id falls back to Cobalt."""
        theme = self._themes.get(theme_id)
        if theme is None:
            fallback = self._default_theme()
            self._report(f"unknown theme {theme_id!r}; using {fallback.name} instead")
            theme = fallback
        app = QApplication.instance()
        if not isinstance(app, QApplication):
            raise RuntimeError("ThemeManager.apply() needs a QApplication")
        self._hook_color_scheme()
        if self._use_fusion and not _fusion_already() and not app.property(_FUSION_CHOSEN):
            # Fusion draws every control from the palette, so the palette and the stylesheet
            # alone give the same result on every OS. Once per application: with a stylesheet
            # set, style().name() no longer says "fusion", and replacing the style repolishes
            # every widget again.
            if app.style().name().lower() != "fusion":
                app.setStyle("Fusion")
            app.setProperty(_FUSION_CHOSEN, True)
        if not self._follow_system:
            from PySide6.QtCore import Qt

            # Native parts (title bars, file dialogs) follow the chosen theme's brightness.
            QGuiApplication.styleHints().setColorScheme(
                Qt.ColorScheme.Dark if theme.dark else Qt.ColorScheme.Light
            )
        palette = build_palette(theme)
        app.setPalette(palette)
        QToolTip.setPalette(palette)
        sheet = self.qss(theme)
        if app.styleSheet() != sheet:  # the same sheet again (the first frame's) repolishes all
            app.setStyleSheet(sheet)
        if "pyqtgraph" in sys.modules:
            configure_pyqtgraph(chart_colors(theme))
        self._current = theme
        global _active_manager
        _active_manager = self
        self.theme_changed.emit(theme)
        if self._bus is not None:
            self._bus.publish(ThemeChanged(theme_id=theme.id, dark=theme.dark))
        return theme

    # -- following the OS light/dark scheme -----------------------------------------------
    @property
    def follow_system(self) -> bool:
        return self._follow_system

    def set_follow_system(self, enabled: bool) -> None:
        """Follow the OS colour scheme (light → :attr:`light_theme_id`, dark → the dark one)."""
        self._follow_system = enabled
        if not enabled:
            return
        hints = QGuiApplication.styleHints()
        hints.unsetColorScheme()  # drop our own request so colorScheme() reports the OS's
        self._hook_color_scheme()
        self.on_color_scheme_changed(hints.colorScheme())

    def theme_for_scheme(self, scheme: Qt.ColorScheme) -> str | None:
        """The theme id for an OS colour scheme, or None when the OS does not say."""
        from PySide6.QtCore import Qt

        if scheme == Qt.ColorScheme.Dark:
            return self.dark_theme_id
        if scheme == Qt.ColorScheme.Light:
            return self.light_theme_id
        return None

    def on_color_scheme_changed(self, scheme: Qt.ColorScheme) -> None:
        """Handler of ``colorSchemeChanged``: switch themes when following the OS."""
        if not self._follow_system:
            return
        theme_id = self.theme_for_scheme(scheme)
        if theme_id is not None and theme_id != self.current.id:
            self.apply(theme_id)

    def close(self) -> None:
        """Stop listening to the OS colour scheme (the manager is being discarded)."""
        if self._scheme_hooked:
            QGuiApplication.styleHints().colorSchemeChanged.disconnect(self.on_color_scheme_changed)
            self._scheme_hooked = False

    # -- internals ------------------------------------------------------------------------
    def _default_theme(self) -> Theme:
        return self._themes.get(DEFAULT_THEME_ID) or fallback_theme()

    def _hook_color_scheme(self) -> None:
        if not self._scheme_hooked:
            QGuiApplication.styleHints().colorSchemeChanged.connect(self.on_color_scheme_changed)
            self._scheme_hooked = True

    def _write_icons(self, theme: Theme) -> Path | None:
        """Write the theme's glyph SVGs into a content-addressed cache folder; None on failure.

        The folder name is a hash of the files, so a folder that exists is complete and
        several studio processes can share it.
        """
        icons = indicator_icons(theme)
        content = "".join(sorted(map("".join, icons.items()))).encode()
        folder = self._icon_root() / f"{zlib.crc32(content):08x}{len(content):04x}"
        if folder.is_dir():
            return folder
        try:
            staging = folder.with_name(f".{folder.name}.{os.getpid()}")
            staging.mkdir(parents=True, exist_ok=True)
            for name, svg in icons.items():
                (staging / name).write_text(svg, encoding="utf-8")
            staging.replace(folder)
        except OSError as exc:
            if folder.is_dir():  # another process finished first
                return folder
            self._report(f"cannot write theme glyphs to {folder} ({exc}); using plain ones")
            return None
        return folder

    def _icon_root(self) -> Path:
        if self._icon_cache_dir is not None:
            return self._icon_cache_dir
        from studio.core.paths import studio_paths  # honours HAFS_STUDIO_HOME

        return studio_paths().cache / "theme-icons"

    def _report(self, message: str) -> None:
        log.warning("%s", message)
        self.problems.append(message)


def build_palette(theme: Theme) -> QPalette:
    """A QPalette with every role of every colour group set from ``theme``."""
    return palette_from_roles(palette_roles(theme))


def current_theme() -> Theme:
    """The theme in use (the default one before any has been applied)."""
    return _active_manager.current if _active_manager is not None else fallback_theme()


def current_chart_colors() -> ChartColors:
    """Plot colours of the theme in use; restyle plots again on ``theme.changed``."""
    return chart_colors(current_theme())


def configure_pyqtgraph(colors: ChartColors | None = None) -> None:
    """Set pyqtgraph's defaults for plots created from now on (imports pyqtgraph)."""
    import pyqtgraph

    colors = colors or current_chart_colors()
    pyqtgraph.setConfigOptions(background=colors["background"], foreground=colors["foreground"])


def style_plot(
    plot: Any, colors: ChartColors | None = None, *, recolor_series: bool = True
) -> None:
    """Recolour an existing pyqtgraph ``PlotWidget`` to a theme.

    Background, axes (whose pen pyqtgraph also uses for ``showGrid`` lines), title and legend
    text; with ``recolor_series`` the n-th curve gets series colour n (its pen width and style
    are kept). Config options only affect new plots, so views call this on ``theme.changed``.
    """
    import pyqtgraph

    colors = colors or current_chart_colors()
    plot.setBackground(colors["background"])
    item = plot.getPlotItem()
    for side in ("left", "bottom", "right", "top"):
        axis = item.getAxis(side)
        axis.setPen(colors["foreground"])
        axis.setTextPen(colors["foreground"])
    title = item.titleLabel
    if title.text:
        title.setText(title.text, color=colors["foreground"])
    if item.legend is not None:
        item.legend.setLabelTextColor(colors["foreground"])
    if recolor_series:
        series = colors["series"]
        for index, curve in enumerate(item.listDataItems()):
            pen = pyqtgraph.mkPen(curve.opts.get("pen"))
            pen.setColor(pyqtgraph.mkColor(series[index % len(series)]))
            curve.setPen(pen)


def theme_colour(token: str) -> str:
    """A colour token (``warning``, ``error``, ``success``…) of the theme in use."""
    return current_theme()[token]


def _fusion_already() -> bool:
    """The application was created with Fusion (``QT_STYLE_OVERRIDE``, set by the launcher):
    asking Qt for its style object builds PySide's QStyle wrapper, ~5 ms of start-up."""
    return os.environ.get("QT_STYLE_OVERRIDE", "").lower() == "fusion"
