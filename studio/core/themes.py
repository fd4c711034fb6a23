"""Colour themes as token sets: loading, validation, derivation, and what Qt needs from them.

A theme is a flat dict of colour *tokens* (``bg``, ``text``, ``accent``, ``series.0`` …, see
``docs/themes.md``). Six tokens are required; every other documented token is derived from them
when a theme leaves it out, so a third-party theme can be six lines long. From one resolved
token set come the application stylesheet (:mod:`studio.core.theme_qss`), the QPalette
(:func:`palette_roles`) and the chart colours (:func:`chart_colors`), all as plain strings so
this stays Qt-free (an import-linter contract forbids Qt in ``studio.core``); the shell
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
