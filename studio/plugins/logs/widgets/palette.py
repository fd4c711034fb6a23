"""The log view's colours, from the current theme's tokens (never hard-coded)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor

from studio.plugins.logs.formats import Level
from studio.shell.api import current_theme

__all__ = ["LogPalette", "level_color_token"]

_LEVEL_TOKENS = {
    Level.ERROR: "error",
    Level.WARNING: "warning",
    Level.INFO: "text",
    Level.DEBUG: "text.muted",
    Level.TRACE: "text.disabled",
    Level.UNKNOWN: "text",
}


def level_color_token(level: int) -> str:
    """The theme token a line of this level is drawn in."""
    return _LEVEL_TOKENS.get(level, "text")


def _alpha(color: str, alpha: int) -> QColor:
    result = QColor(color)
    result.setAlpha(alpha)
    return result


@dataclass
class LogPalette:
    background: QColor
    gutter: QColor
    gutter_text: QColor
    border: QColor
    text: QColor
    levels: dict[int, QColor]
    level_tint: dict[int, QColor]  # a faint row background for errors and warnings
    selection: QColor
    selection_text: QColor
    current_line: QColor
    match: QColor
    current_match: QColor
    bookmark: QColor
    marker: QColor  # truncation notes, \r markers
    traceback: QColor

    @classmethod
    def from_theme(cls) -> LogPalette:
        theme = current_theme()
        tokens = theme.tokens
        levels = {code: QColor(tokens[token]) for code, token in _LEVEL_TOKENS.items()}
        return cls(
            background=QColor(tokens["input.bg"]),
            gutter=QColor(tokens["surface"]),
            gutter_text=QColor(tokens["text.muted"]),
            border=QColor(tokens["border"]),
            text=QColor(tokens["text"]),
            levels=levels,
            level_tint={Level.ERROR: _alpha(tokens["error"], 26),
                        Level.WARNING: _alpha(tokens["warning"], 20)},
            selection=QColor(tokens["selection"]),
            selection_text=QColor(tokens["selection.text"]),
            current_line=_alpha(tokens["hover"], 255),
            match=_alpha(tokens["accent"], 90),
            current_match=_alpha(tokens["accent"], 200),
            bookmark=QColor(tokens["info"]),
            marker=QColor(tokens["text.muted"]),
            traceback=QColor(tokens["error"]),
        )
