"""Colour themes as token sets: loading, validation, derivation, and what Qt needs from them.

A theme is a flat dict of colour *tokens* (``bg``, ``text``, ``accent``, ``series.0`` …, see
``docs/themes.md``). Six tokens are required; every other documented token is derived from them
when a theme leaves it out, so a third-party theme can be six lines long. From one resolved
token set this module generates the application stylesheet (:func:`generate_qss`), the QPalette
(:func:`palette_roles`) and the chart colours (:func:`chart_colors`), all as plain strings so this
module stays Qt-free (an import-linter contract forbids Qt in ``studio.core``); the shell
(:mod:`studio.shell.theming`) turns them into Qt objects.

Colours are ``#rrggbb`` or ``#rrggbbaa`` (CSS order: alpha last). Qt reads ``#aarrggbb``, so
colours leave this module either flattened to ``#rrggbb`` or as ``rgba(…)`` in QSS.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from types import MappingProxyType
from typing import NamedTuple, TypedDict

from studio.core.contributions import ThemeSpec
from studio.core.events import Event

__all__ = [
    "DEFAULT_THEME_ID",
    "REQUIRED_TOKENS",
    "SERIES_COUNT",
    "TOKENS",
    "ChartColors",
    "Rgba",
    "Theme",
    "ThemeChanged",
    "ThemeError",
    "builtin_theme_dir",
    "chart_colors",
    "contrast_ratio",
    "ensure_contrast",
    "fallback_theme",
    "generate_qss",
    "indicator_icons",
    "load_theme_dir",
    "load_theme_file",
    "mix",
    "palette_roles",
    "parse_color",
    "resolve_theme",
    "resources_dir",
    "spec_from_mapping",
]

log = logging.getLogger(__name__)

DEFAULT_THEME_ID = "cobalt"
SERIES_COUNT = 12
REQUIRED_TOKENS: tuple[str, ...] = ("bg", "surface", "border", "text", "text.muted", "accent")

# Every documented token and what it colours. Order matters: derivations may use earlier tokens.
TOKENS: Mapping[str, str] = MappingProxyType(
    {
        "bg": "window background (main window, dock contents)",
        "surface": "panels on the background: dock title bars, toolbar, menu bar, tabs, cards",
        "border": "1 px lines between areas, input and button outlines",
        "text": "body text; WCAG contrast ≥ 4.5 on bg, bg.alt, surface and surface.raised",
        "text.muted": "secondary text, headers, status bar; contrast ≥ 3 (built-ins aim for 4.5)",
        "accent": "the theme's signature colour: primary buttons, current tab, progress",
        "bg.alt": "alternate table rows, disabled inputs",
        "surface.raised": "buttons, menus, popups: things above a surface",
        "text.disabled": "disabled widgets' text",
        "accent.text": "text on accent (primary buttons, badges)",
        "accent.hover": "accent under the mouse",
        "accent.pressed": "accent while pressed",
        "focus": "keyboard focus outline of inputs",
        "link": "hyperlinks; contrast ≥ 4.5 on bg",
        "selection": "selected items and text",
        "selection.text": "text on selection (and on progress bars)",
        "hover": "item and tool button background under the mouse",
        "input.bg": "line edits, combo boxes, spin boxes, text editors, item views",
        "header.bg": "item view header sections",
        "tooltip.bg": "tooltip background",
        "tooltip.text": "tooltip text",
        "scrollbar": "scroll bar handle",
        "scrollbar.hover": "scroll bar handle under the mouse",
        "success": "success text and badges",
        "warning": "warning text and badges",
        "error": "error text and badges",
        "info": "informational text and badges",
        "chart.background": "plot background (pyqtgraph)",
        "chart.foreground": "axes, tick labels and plot text",
        "chart.grid": "plot grid lines",
        **{f"series.{i}": f"data series {i} of the 12-colour chart palette" for i in range(12)},
    }
)

_TOKEN_NAME = re.compile(r"^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*$")
_HEX_COLOUR = re.compile(r"^#([0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")

# Status and series defaults for themes that leave them out: one set readable on dark
# backgrounds, one on light; ensure_contrast() nudges them further if a background needs it.
_STATUS_DEFAULTS = {
    True: {"success": "#3fb950", "warning": "#d29922", "error": "#f85149", "info": "#58a6ff"},
    False: {"success": "#1a7f37", "warning": "#9a6700", "error": "#cf222e", "info": "#0969da"},
}
_SERIES_DEFAULTS = {
    True: (
        "#4c9eff", "#00d9ff", "#ffb454", "#7ee787", "#ff7b72", "#d2a8ff",
        "#f2cc60", "#56d4dd", "#ff9bce", "#a5d6ff", "#ffa657", "#b9f27c",
    ),
    False: (
        "#0b5cd5", "#00798c", "#b35900", "#1a7f37", "#c2261f", "#7a3fc2",
        "#8a6d00", "#006d6d", "#b3246b", "#2f5f9e", "#9c4a00", "#4d7a0f",
    ),
}  # fmt: skip


class ThemeError(ValueError):
    """A theme file or token set is unusable; the message names the source and the token."""


@dataclass(frozen=True, slots=True)
class ThemeChanged(Event):
    """The application theme changed (published on ``theme.changed`` after it is applied)."""

    topic = "theme.changed"
    theme_id: str = ""
    dark: bool = True


@dataclass(frozen=True)
class Theme:
    """A validated theme whose ``tokens`` hold every documented token (see :data:`TOKENS`)."""

    id: str
    name: str
    dark: bool
    tokens: Mapping[str, str] = field(default_factory=dict)
    source: str = ""
    plugin: str = ""

    def __getitem__(self, token: str) -> str:
        return self.tokens[token]

    @property
    def series(self) -> tuple[str, ...]:
        return tuple(self.tokens[f"series.{i}"] for i in range(SERIES_COUNT))


class ChartColors(TypedDict):
    """Colours for pyqtgraph, all ``#rrggbb``."""

    background: str
    foreground: str
    grid: str
    accent: str
    series: list[str]


# -- colour arithmetic --------------------------------------------------------------------


class Rgba(NamedTuple):
    r: int
    g: int
    b: int
    a: int = 255

    def hex(self) -> str:
        """``#rrggbb``, or ``#rrggbbaa`` when not opaque."""
        rgb = f"#{self.r:02x}{self.g:02x}{self.b:02x}"
        return rgb if self.a == 255 else f"{rgb}{self.a:02x}"


def parse_color(value: object) -> Rgba:
    """Parse ``#rrggbb`` / ``#rrggbbaa``; ValueError for anything else."""
    if not isinstance(value, str) or not _HEX_COLOUR.match(value):
        raise ValueError(f"{value!r} is not a colour (use #rrggbb or #rrggbbaa)")
    digits = value[1:]
    channels = [int(digits[i : i + 2], 16) for i in range(0, len(digits), 2)]
    return Rgba(*channels)


def _as_rgba(colour: str | Rgba) -> Rgba:
    return colour if isinstance(colour, Rgba) else parse_color(colour)


def flatten(colour: str | Rgba, over: str | Rgba) -> Rgba:
    """Composite a translucent colour over an opaque background."""
    top, bottom = _as_rgba(colour), _as_rgba(over)
    alpha = top.a / 255
    pairs = zip(top[:3], bottom[:3], strict=True)
    return Rgba(*(round(t * alpha + b * (1 - alpha)) for t, b in pairs))


def mix(a: str | Rgba, b: str | Rgba, amount: float) -> str:
    """``a`` moved ``amount`` (0..1) of the way towards ``b``, as ``#rrggbb``."""
    first, second = _as_rgba(a), _as_rgba(b)
    channels = (round(x + (y - x) * amount) for x, y in zip(first[:3], second[:3], strict=True))
    return Rgba(*channels).hex()


def _luminance(colour: Rgba) -> float:
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(colour.r) + 0.7152 * linear(colour.g) + 0.0722 * linear(colour.b)


def contrast_ratio(foreground: str | Rgba, background: str | Rgba) -> float:
    """WCAG 2 contrast ratio (1..21); a translucent foreground is flattened first."""
    back = flatten(background, "#000000")
    front = flatten(foreground, back)
    lighter, darker = sorted((_luminance(front), _luminance(back)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def ensure_contrast(foreground: str, background: str, minimum: float) -> str:
    """``foreground``, or the closest tint/shade of it that reaches ``minimum`` on ``background``.

    Moves towards white or black, whichever the background contrasts with more, so a hue
    stays recognisable while becoming readable.
    """
    if contrast_ratio(foreground, background) >= minimum:
        return _as_rgba(foreground).hex()
    target = "#ffffff" if contrast_ratio("#ffffff", background) >= contrast_ratio(
        "#000000", background
    ) else "#000000"  # fmt: skip
    for step in range(1, 21):
        candidate = mix(foreground, target, step / 20)
        if contrast_ratio(candidate, background) >= minimum:
            return candidate
    return target


def _readable_on(background: str, *candidates: str) -> str:
    """The candidate with the best contrast on ``background``."""
    return max(candidates, key=lambda colour: contrast_ratio(colour, background))


# -- derivation ---------------------------------------------------------------------------


def _opposite(colour: str) -> str:
    """Black for a light colour, white for a dark one."""
    return _readable_on(colour, "#ffffff", "#000000")


def _status_colour(colour: str, tokens: dict[str, str]) -> str:
    """A status colour readable (4.5:1) both on the background and on panels/cards."""
    for _ in range(3):  # fixing one background rarely breaks the other; a few rounds suffice
        for background in (tokens["bg"], tokens["surface"]):
            colour = ensure_contrast(colour, background, 4.5)
    return colour


def _raised(surface: str, text: str, dark: bool) -> str:
    """Raised things are lighter than what they sit on: towards the (light) text in dark
    themes, towards white in light ones."""
    return mix(surface, text, 0.06) if dark else mix(surface, "#ffffff", 0.7)


_Derivation = Callable[[dict[str, str], bool], str]

# How each optional token follows from the required ones (and earlier derived ones).
_DERIVATIONS: tuple[tuple[str, _Derivation], ...] = (
    ("bg.alt", lambda t, dark: mix(t["bg"], t["text"], 0.035)),
    ("surface.raised", lambda t, dark: _raised(t["surface"], t["text"], dark)),
    ("text.disabled", lambda t, dark: mix(t["text.muted"], t["bg"], 0.4)),
    ("accent.text", lambda t, dark: _readable_on(t["accent"], "#ffffff", "#000000")),
    # Hover and press move the accent away from its text colour, so the label stays readable.
    ("accent.hover", lambda t, dark: mix(t["accent"], _opposite(t["accent.text"]), 0.12)),
    ("accent.pressed", lambda t, dark: mix(t["accent"], _opposite(t["accent.text"]), 0.25)),
    ("focus", lambda t, dark: t["accent"]),
    ("link", lambda t, dark: ensure_contrast(t["accent"], t["bg"], 4.5)),
    ("selection", lambda t, dark: mix(t["bg"], t["accent"], 0.4 if dark else 0.2)),
    ("selection.text", lambda t, dark: _readable_on(t["selection"], t["text"], t["bg"])),
    ("hover", lambda t, dark: mix(t["surface"], t["text"], 0.08)),
    ("input.bg", lambda t, dark: t["bg"] if dark else t["surface.raised"]),
    ("header.bg", lambda t, dark: t["surface"]),
    ("tooltip.bg", lambda t, dark: t["surface.raised"]),
    ("tooltip.text", lambda t, dark: t["text"]),
    ("scrollbar", lambda t, dark: mix(t["surface"], t["text"], 0.22)),
    ("scrollbar.hover", lambda t, dark: mix(t["surface"], t["text"], 0.38)),
    *(
        (name, lambda t, dark, name=name: _status_colour(_STATUS_DEFAULTS[dark][name], t))
        for name in ("success", "warning", "error", "info")
    ),
    ("chart.background", lambda t, dark: t["bg"]),
    ("chart.foreground", lambda t, dark: t["text.muted"]),
    ("chart.grid", lambda t, dark: mix(t["chart.background"], t["text"], 0.14)),
    *(
        (
            f"series.{i}",
            lambda t, dark, i=i: ensure_contrast(
                _SERIES_DEFAULTS[dark][i], t["chart.background"], 3.0
            ),
        )
        for i in range(SERIES_COUNT)
    ),
)  # fmt: skip


def _check_tokens(tokens: object, where: str) -> dict[str, str]:
    """Validate a raw token mapping; return it with colours normalised to lower case."""
    if not isinstance(tokens, Mapping):
        raise ThemeError(f"{where}: 'tokens' must be an object of name → colour")
    problems: list[str] = []
    checked: dict[str, str] = {}
    for name, value in tokens.items():
        if not isinstance(name, str) or not _TOKEN_NAME.match(name):
            problems.append(f"token name {name!r} is invalid (use dotted lower-case words)")
            continue
        try:
            checked[name] = parse_color(value).hex()
        except ValueError as exc:
            problems.append(f"token {name!r}: {exc}")
    missing = [name for name in REQUIRED_TOKENS if name not in tokens]
    if missing:
        problems.insert(0, "missing required token(s) " + ", ".join(map(repr, missing)))
    if problems:
        raise ThemeError(f"{where}: " + "; ".join(problems))
    unknown = sorted(set(checked) - set(TOKENS))
    if unknown:
        # Not an error: a newer theme file on an older studio, or tokens a plugin reads itself.
        log.info("%s: tokens the studio does not use: %s", where, ", ".join(unknown))
    return checked


def _describe(spec: ThemeSpec) -> str:
    if spec.source:
        return f"theme file {spec.source}"
    owner = f" from plugin {spec.plugin}" if spec.plugin else ""
    return f"theme {spec.id!r}{owner}"


def resolve_theme(spec: ThemeSpec) -> Theme:
    """Validate a spec's tokens and fill in every optional token; ThemeError if unusable."""
    tokens = _check_tokens(spec.tokens, _describe(spec))
    for name, derive in _DERIVATIONS:
        if name not in tokens:
            tokens[name] = derive(tokens, spec.dark)
    return Theme(
        id=spec.id,
        name=spec.name,
        dark=spec.dark,
        tokens=MappingProxyType(tokens),
        source=spec.source,
        plugin=spec.plugin,
    )


# -- loading ------------------------------------------------------------------------------


def spec_from_mapping(data: object, where: str, source: str = "") -> ThemeSpec:
    """Build a ThemeSpec from decoded JSON (``{"id", "name", "dark", "tokens"}``)."""
    if not isinstance(data, Mapping):
        raise ThemeError(f"{where}: the top level must be an object with id, name, dark, tokens")
    missing = [key for key in ("id", "name", "tokens") if key not in data]
    if missing:
        raise ThemeError(f"{where}: missing key(s) " + ", ".join(map(repr, missing)))
    name, dark = data["name"], data.get("dark", True)
    if not isinstance(name, str) or not name.strip():
        raise ThemeError(f"{where}: 'name' must be a non-empty string")
    if not isinstance(dark, bool):
        raise ThemeError(f"{where}: 'dark' must be true or false, not {dark!r}")
    tokens = _check_tokens(data["tokens"], where)
    try:
        return ThemeSpec(id=data["id"], name=name, tokens=tokens, dark=dark, source=source)
    except ValueError as exc:
        raise ThemeError(f"{where}: {exc}") from None


def load_theme_file(path: str | Path) -> ThemeSpec:
    """Read and validate one theme JSON file; ThemeError naming the file and the problem."""
    path = Path(path)
    where = f"theme file {path}"
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ThemeError(f"{where}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise ThemeError(f"{where}: cannot be read ({exc.strerror or exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ThemeError(
            f"{where}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    return spec_from_mapping(data, where, source=str(path))


def load_theme_dir(directory: str | Path) -> tuple[list[ThemeSpec], list[ThemeError]]:
    """Load every ``*.json`` in ``directory`` (sorted); bad files are returned as errors."""
    specs: list[ThemeSpec] = []
    errors: list[ThemeError] = []
    for path in sorted(Path(directory).glob("*.json")):
        try:
            specs.append(load_theme_file(path))
        except ThemeError as exc:
            errors.append(exc)
    return specs, errors


def resources_dir() -> Path:
    """The studio's ``resources/`` folder: a source checkout's, else the installed package data.

    A checkout has ``resources/`` next to the ``studio`` package; a wheel ships it as
    ``studio/resources``.
    """
    checkout = Path(__file__).resolve().parents[2] / "resources"
    if checkout.is_dir():
        return checkout
    import importlib.resources  # only installed copies need it; it costs ~5 ms to import

    return Path(str(importlib.resources.files("studio") / "resources"))


def builtin_theme_dir() -> Path:
    """Where the built-in theme JSON files live."""
    return resources_dir() / "themes"


# The default theme's required tokens, embedded so the studio has a usable theme even when
# resources/ is missing or cobalt.json is broken.
_FALLBACK_TOKENS = {
    "bg": "#0f0f14",
    "surface": "#171a21",
    "border": "#2b313d",
    "text": "#e6eaf2",
    "text.muted": "#9aa5b8",
    "accent": "#0a6cf0",
}


def fallback_theme() -> Theme:
    """A built-in Cobalt that needs no file (used when the real one cannot be loaded)."""
    spec = ThemeSpec(DEFAULT_THEME_ID, "Cobalt", dict(_FALLBACK_TOKENS), True, "built-in fallback")
    return resolve_theme(spec)


# -- what Qt needs ------------------------------------------------------------------------


def _qss_colour(value: str) -> str:
    """A token as QSS understands it: ``#rrggbb`` or ``rgba(r, g, b, a)``."""
    colour = parse_color(value)
    if colour.a == 255:
        return colour.hex()
    return f"rgba({colour.r}, {colour.g}, {colour.b}, {colour.a})"


def generate_qss(theme: Theme | ThemeSpec, icon_dir: str | Path | None = None) -> str:
    """The application stylesheet for ``theme`` (a ThemeSpec is resolved first).

    ``icon_dir`` is a folder holding :func:`indicator_icons` of this theme; with it, check
    boxes, radio buttons, spin boxes, combo boxes and dock buttons get themed glyphs. Without
    it they keep Fusion's palette-drawn ones.
    """
    if isinstance(theme, ThemeSpec):
        theme = resolve_theme(theme)
    names = {name.replace(".", "_"): _qss_colour(value) for name, value in theme.tokens.items()}
    sheet = _QSS.substitute(names)
    if icon_dir is not None:
        # QSS url() wants forward slashes on every OS.
        names["icons"] = Path(icon_dir).resolve().as_posix()
        sheet += _ICON_QSS.substitute(names)
    return sheet


def indicator_icons(theme: Theme) -> dict[str, str]:
    """The small SVG glyphs :func:`generate_qss` refers to, as ``{file name: SVG text}``.

    QSS can only draw images from files, so the shell writes these to a cache folder.
    """
    glyphs = {
        "check": ("accent.text", '<path d="M3.5 8.5l3 3 6-7" stroke-width="2"/>'),
        "partial": ("accent.text", '<path d="M4 8h8" stroke-width="2"/>'),
        "chevron-up": ("text.muted", '<path d="M4 10l4-4 4 4" stroke-width="1.6"/>'),
        "chevron-down": ("text.muted", '<path d="M4 6l4 4 4-4" stroke-width="1.6"/>'),
        "chevron-up-disabled": ("text.disabled", '<path d="M4 10l4-4 4 4" stroke-width="1.6"/>'),
        "chevron-down-disabled": ("text.disabled", '<path d="M4 6l4 4 4-4" stroke-width="1.6"/>'),
        "close": ("text.muted", '<path d="M3.5 3.5l9 9M12.5 3.5l-9 9" stroke-width="1.6"/>'),
        "float": (
            "text.muted",
            '<path d="M2.5 5.5h8v8h-8z M5.5 2.5h8v8" stroke-width="1.4"/>',
        ),
    }
    return {
        f"{name}.svg": (
            '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16" '
            f'fill="none" stroke="{flatten(theme[token], theme["bg"]).hex()}" '
            f'stroke-linecap="round" stroke-linejoin="round">{shape}</svg>\n'
        )
        for name, (token, shape) in glyphs.items()
    }


def palette_roles(theme: Theme) -> dict[str, str]:
    """QPalette colours as ``{"Role": "#rrggbb"}`` for all groups, then ``"Group:Role"`` overrides.

    Apply the plain keys to every colour group first, then the ``Disabled:``/``Inactive:`` ones.
    """
    t = {name: flatten(value, theme["bg"]).hex() for name, value in theme.tokens.items()}
    shade_target = "#000000" if theme.dark else t["text"]
    roles = {
        "Window": t["bg"],
        "WindowText": t["text"],
        "Base": t["input.bg"],
        "AlternateBase": t["bg.alt"],
        "ToolTipBase": t["tooltip.bg"],
        "ToolTipText": t["tooltip.text"],
        "PlaceholderText": t["text.muted"],
        "Text": t["text"],
        "Button": t["surface.raised"],
        "ButtonText": t["text"],
        "BrightText": t["accent.text"],
        "Light": mix(t["surface.raised"], t["text"], 0.15),
        "Midlight": mix(t["surface"], t["text"], 0.08),
        "Mid": t["border"],
        "Dark": mix(t["border"], shade_target, 0.3),
        "Shadow": "#000000",
        "Highlight": t["selection"],
        "HighlightedText": t["selection.text"],
        "Link": t["link"],
        "LinkVisited": mix(t["link"], t["text.muted"], 0.4),
        "Accent": t["accent"],
    }
    disabled = {
        "WindowText": t["text.disabled"],
        "Text": t["text.disabled"],
        "ButtonText": t["text.disabled"],
        "PlaceholderText": t["text.disabled"],
        "Base": t["bg.alt"],
        "Button": t["bg.alt"],
        "Highlight": mix(t["selection"], t["bg"], 0.5),
        "HighlightedText": t["text.disabled"],
        "Accent": mix(t["accent"], t["bg"], 0.5),
    }
    roles.update({f"Disabled:{role}": colour for role, colour in disabled.items()})
    return roles


def chart_colors(theme: Theme) -> ChartColors:
    """Background, foreground, grid, accent and the 12 series colours for pyqtgraph plots."""
    back = flatten(theme["chart.background"], theme["bg"])

    def solid(token: str) -> str:
        return flatten(theme[token], back).hex()

    return ChartColors(
        background=back.hex(),
        foreground=solid("chart.foreground"),
        grid=solid("chart.grid"),
        accent=solid("accent"),
        series=[solid(f"series.{i}") for i in range(SERIES_COUNT)],
    )


# Rules that need the glyph files of indicator_icons(); ${icons} is their folder.
_ICON_QSS = Template(
    """
QCheckBox::indicator:checked, QGroupBox::indicator:checked, QAbstractItemView::indicator:checked {
    image: url(${icons}/check.svg);
}
QCheckBox::indicator:indeterminate { image: url(${icons}/partial.svg); }
QComboBox { padding-right: 22px; }
QComboBox::drop-down {
    subcontrol-origin: padding; subcontrol-position: center right; width: 20px; border: none;
}
QComboBox::down-arrow { image: url(${icons}/chevron-down.svg); width: 12px; height: 12px; }
QComboBox::down-arrow:disabled { image: url(${icons}/chevron-down-disabled.svg); }
QAbstractSpinBox { padding-right: 22px; }
QAbstractSpinBox::up-button, QAbstractSpinBox::down-button {
    subcontrol-origin: border; width: 20px; border: none; border-left: 1px solid ${border};
    background: transparent;
}
QAbstractSpinBox::up-button { subcontrol-position: top right; border-top-right-radius: 3px; }
QAbstractSpinBox::down-button {
    subcontrol-position: bottom right; border-bottom-right-radius: 3px;
}
QAbstractSpinBox::up-button:hover, QAbstractSpinBox::down-button:hover {
    background-color: ${hover};
}
QAbstractSpinBox::up-arrow { image: url(${icons}/chevron-up.svg); width: 10px; height: 10px; }
QAbstractSpinBox::down-arrow { image: url(${icons}/chevron-down.svg); width: 10px; height: 10px; }
QAbstractSpinBox::up-arrow:disabled, QAbstractSpinBox::up-arrow:off {
    image: url(${icons}/chevron-up-disabled.svg);
}
QAbstractSpinBox::down-arrow:disabled, QAbstractSpinBox::down-arrow:off {
    image: url(${icons}/chevron-down-disabled.svg);
}
QDockWidget {
    titlebar-close-icon: url(${icons}/close.svg); titlebar-normal-icon: url(${icons}/float.svg);
}
"""
)

# The stylesheet, one rule block per widget family. ${token} is a token with dots as
# underscores. Indicators (check boxes, arrows) are left to the Fusion style, which draws them
# from the palette: styling them in QSS would need image files per theme.
_QSS = Template(
    """
QMainWindow, QDialog { background-color: ${bg}; }
QMainWindow::separator { background-color: ${bg}; width: 5px; height: 5px; }
QMainWindow::separator:hover { background-color: ${accent}; }
QWidget:disabled { color: ${text_disabled}; }

QDockWidget { color: ${text}; }
QDockWidget::title {
    background-color: ${surface}; color: ${text_muted}; text-align: left;
    padding: 5px 8px; border-bottom: 1px solid ${border};
}
QDockWidget::close-button, QDockWidget::float-button {
    background: transparent; border: 1px solid transparent; border-radius: 3px; padding: 1px;
}
QDockWidget::close-button:hover, QDockWidget::float-button:hover {
    background-color: ${hover}; border-color: ${border};
}
QDockWidget::close-button:pressed, QDockWidget::float-button:pressed {
    background-color: ${selection};
}

QTabWidget::pane { border: 1px solid ${border}; background-color: ${bg}; top: -1px; }
QTabBar { qproperty-drawBase: 0; }
QTabBar::tab {
    background-color: ${surface}; color: ${text_muted}; padding: 5px 14px;
    border: 1px solid ${border}; min-width: 48px;
}
QTabBar::tab:top { border-bottom: none; margin-right: -1px; border-top: 2px solid transparent; }
QTabBar::tab:bottom { border-top: none; margin-right: -1px; border-bottom: 2px solid transparent; }
QTabBar::tab:hover { background-color: ${hover}; color: ${text}; }
QTabBar::tab:selected { background-color: ${bg}; color: ${text}; }
QTabBar::tab:top:selected { border-top: 2px solid ${accent}; }
QTabBar::tab:bottom:selected { border-bottom: 2px solid ${accent}; }
QTabBar::tab:disabled { color: ${text_disabled}; }

QToolBar {
    background-color: ${surface}; border: none; border-bottom: 1px solid ${border};
    spacing: 2px; padding: 3px 4px;
}
QToolBar::separator { background-color: ${border}; width: 1px; height: 1px; margin: 4px 5px; }
QMenuBar { background-color: ${surface}; color: ${text}; border-bottom: 1px solid ${border}; }
QMenuBar::item { background: transparent; padding: 4px 10px; }
QMenuBar::item:selected { background-color: ${hover}; }
QMenuBar::item:pressed { background-color: ${selection}; color: ${selection_text}; }
QMenu {
    background-color: ${surface_raised}; color: ${text}; border: 1px solid ${border};
    padding: 4px;
}
QMenu::item { padding: 5px 28px 5px 24px; border-radius: 3px; }
QMenu::item:selected { background-color: ${selection}; color: ${selection_text}; }
QMenu::item:disabled { color: ${text_disabled}; background: transparent; }
QMenu::separator { height: 1px; background-color: ${border}; margin: 4px 6px; }
QStatusBar { background-color: ${surface}; color: ${text_muted}; border-top: 1px solid ${border}; }
QStatusBar::item { border: none; }
QStatusBar QLabel { color: ${text_muted}; }

QPushButton {
    background-color: ${surface_raised}; color: ${text}; border: 1px solid ${border};
    border-radius: 3px; padding: 5px 14px; min-height: 16px;
}
QPushButton:hover { background-color: ${hover}; border-color: ${scrollbar_hover}; }
QPushButton:pressed, QPushButton:checked {
    background-color: ${selection}; color: ${selection_text};
}
QPushButton:focus { border-color: ${focus}; }
QPushButton:default { border-color: ${accent}; }
QPushButton:disabled, QPushButton[role="primary"]:disabled {
    background-color: ${bg_alt}; color: ${text_disabled}; border-color: ${border};
}
QPushButton[role="primary"] {
    background-color: ${accent}; color: ${accent_text}; border-color: ${accent};
}
QPushButton[role="primary"]:hover {
    background-color: ${accent_hover}; border-color: ${accent_hover};
}
QPushButton[role="primary"]:pressed { background-color: ${accent_pressed}; }
QToolButton {
    background: transparent; color: ${text}; border: 1px solid transparent; border-radius: 3px;
    padding: 3px;
}
QToolButton:hover { background-color: ${hover}; border-color: ${border}; }
QToolButton:pressed, QToolButton:checked {
    background-color: ${selection}; color: ${selection_text};
}
QToolButton:focus { border-color: ${focus}; }

QLineEdit, QComboBox, QAbstractSpinBox, QTextEdit, QPlainTextEdit {
    background-color: ${input_bg}; color: ${text}; border: 1px solid ${border}; border-radius: 3px;
    selection-background-color: ${selection}; selection-color: ${selection_text};
}
QLineEdit, QComboBox, QAbstractSpinBox { padding: 4px 6px; min-height: 16px; }
QLineEdit:hover, QComboBox:hover, QAbstractSpinBox:hover { border-color: ${scrollbar_hover}; }
QLineEdit:focus, QComboBox:focus, QAbstractSpinBox:focus, QTextEdit:focus, QPlainTextEdit:focus {
    border-color: ${focus};
}
QLineEdit:disabled, QComboBox:disabled, QAbstractSpinBox:disabled, QTextEdit:disabled,
QPlainTextEdit:disabled { background-color: ${bg_alt}; color: ${text_disabled}; }
QLineEdit[role="error"], QComboBox[role="error"], QAbstractSpinBox[role="error"] {
    border-color: ${error};
}
QComboBox QAbstractItemView {
    background-color: ${surface_raised}; color: ${text}; border: 1px solid ${border};
    selection-background-color: ${selection}; selection-color: ${selection_text}; outline: 0;
}

QTreeView, QTableView, QListView {
    background-color: ${input_bg}; alternate-background-color: ${bg_alt}; color: ${text};
    border: 1px solid ${border}; gridline-color: ${border}; outline: 0;
    selection-background-color: ${selection}; selection-color: ${selection_text};
}
QTreeView::item, QListView::item { padding: 2px 0; }
QTreeView::item:hover, QTableView::item:hover, QListView::item:hover { background-color: ${hover}; }
QTreeView::item:selected, QTableView::item:selected, QListView::item:selected {
    background-color: ${selection}; color: ${selection_text};
}
QHeaderView { background-color: ${header_bg}; border: none; }
QHeaderView::section {
    background-color: ${header_bg}; color: ${text_muted}; padding: 4px 8px; border: none;
    border-right: 1px solid ${border}; border-bottom: 1px solid ${border}; font-weight: 600;
}
QHeaderView::section:hover { background-color: ${hover}; color: ${text}; }
QTableCornerButton::section { background-color: ${header_bg}; border: none;
    border-right: 1px solid ${border}; border-bottom: 1px solid ${border}; }

QScrollBar:vertical { background: transparent; width: 11px; margin: 0; }
QScrollBar:horizontal { background: transparent; height: 11px; margin: 0; }
QScrollBar::handle { background-color: ${scrollbar}; border-radius: 3px; margin: 2px; }
QScrollBar::handle:vertical { min-height: 28px; }
QScrollBar::handle:horizontal { min-width: 28px; }
QScrollBar::handle:hover, QScrollBar::handle:pressed { background-color: ${scrollbar_hover}; }
QScrollBar::add-line, QScrollBar::sub-line { width: 0; height: 0; border: none; background: none; }
QScrollBar::add-page, QScrollBar::sub-page { background: none; }
QAbstractScrollArea::corner { background: transparent; }
QScrollArea { border: none; background: transparent; }

QProgressBar {
    background-color: ${bg_alt}; color: ${selection_text}; border: 1px solid ${border};
    border-radius: 3px; text-align: center; min-height: 14px;
}
QProgressBar::chunk { background-color: ${selection}; border-radius: 2px; }
QProgressBar[role="slim"] { max-height: 4px; min-height: 4px; border: none; border-radius: 2px; }
QProgressBar[role="slim"]::chunk { background-color: ${accent}; }

QCheckBox, QRadioButton { color: ${text}; spacing: 6px; background: transparent; }
QCheckBox:disabled, QRadioButton:disabled { color: ${text_disabled}; }
QCheckBox::indicator, QRadioButton::indicator, QGroupBox::indicator,
QAbstractItemView::indicator {
    width: 14px; height: 14px; border: 1px solid ${text_muted}; background-color: ${input_bg};
}
QCheckBox::indicator, QGroupBox::indicator, QAbstractItemView::indicator { border-radius: 3px; }
QRadioButton::indicator { border-radius: 8px; }
QCheckBox::indicator:hover, QRadioButton::indicator:hover { border-color: ${focus}; }
QCheckBox::indicator:checked, QCheckBox::indicator:indeterminate, QGroupBox::indicator:checked,
QAbstractItemView::indicator:checked {
    background-color: ${accent}; border-color: ${accent};
}
QRadioButton::indicator:checked {
    border-color: ${accent};
    background-color: qradialgradient(cx: 0.5, cy: 0.5, radius: 0.5, fx: 0.5, fy: 0.5,
        stop: 0 ${accent_text}, stop: 0.32 ${accent_text}, stop: 0.42 ${accent}, stop: 1 ${accent});
}
QCheckBox::indicator:disabled, QRadioButton::indicator:disabled {
    border-color: ${text_disabled}; background-color: ${bg_alt};
}
QCheckBox::indicator:checked:disabled { background-color: ${text_disabled}; }

QToolTip {
    background-color: ${tooltip_bg}; color: ${tooltip_text}; border: 1px solid ${border};
    padding: 4px 6px;
}
QSplitter::handle { background-color: ${bg}; }
QSplitter::handle:horizontal { width: 5px; }
QSplitter::handle:vertical { height: 5px; }
QSplitter::handle:hover { background-color: ${accent}; }

QGroupBox {
    border: 1px solid ${border}; border-radius: 4px; margin-top: 16px; padding: 10px 8px 8px 8px;
}
QGroupBox::title {
    subcontrol-origin: margin; subcontrol-position: top left; left: 8px; padding: 0 4px;
    color: ${text_muted}; font-weight: 600;
}

QLabel { background: transparent; }
QLabel[role="muted"] { color: ${text_muted}; }
QLabel[role="heading"] { color: ${text}; font-size: 14pt; font-weight: 600; }
QLabel[role="subheading"] { color: ${text_muted}; font-weight: 600; }
QLabel[role="metric"] { color: ${text}; font-size: 20pt; font-weight: 600; }
QLabel[role="badge"] {
    background-color: ${accent}; color: ${accent_text}; border-radius: 8px; padding: 1px 8px;
    font-weight: 600;
}
QLabel[role="success"] { color: ${success}; }
QLabel[role="warning"] { color: ${warning}; }
QLabel[role="error"] { color: ${error}; }
QLabel[role="info"] { color: ${info}; }
QLabel[role="mono"], QPlainTextEdit[role="mono"] { font-family: "DejaVu Sans Mono", monospace; }
QFrame[role="card"] {
    background-color: ${surface}; border: 1px solid ${border}; border-radius: 6px;
}
QFrame[role="card"]:hover { border-color: ${scrollbar_hover}; }
QFrame[role="divider"] { background-color: ${border}; max-height: 1px; min-height: 1px; }
"""
)
