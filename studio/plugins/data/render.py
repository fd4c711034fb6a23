"""Samples as HTML for the review view: Markdown with highlighted code blocks.

Markdown through markdown-it-py (CommonMark; raw HTML in a sample is shown as text, never
interpreted) and fenced code through Pygments with inline styles, because Qt's rich-text
widgets understand inline ``style`` attributes but not stylesheets with classes. ``asm`` blocks
use Pygments' 65816-capable ``ca65`` lexer; unknown languages are guessed, then plain.
"""

from __future__ import annotations

import html
from functools import lru_cache
from typing import Any

__all__ = ["markdown_html", "sample_html"]

_ALIASES = {"asm": "ca65", "65816": "ca65", "snes": "ca65", "s": "ca65"}


@lru_cache(maxsize=4)
def _renderer(dark: bool) -> Any:
    from markdown_it import MarkdownIt
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import TextLexer, get_lexer_by_name, guess_lexer
    from pygments.util import ClassNotFound

    formatter = HtmlFormatter(nowrap=True, noclasses=True,
                              style="monokai" if dark else "default")

    def highlight_code(code: str, language: str, _attrs: Any) -> str:
        name = _ALIASES.get(language.strip().lower(), language.strip().lower())
        try:
            lexer = get_lexer_by_name(name) if name else guess_lexer(code)
        except ClassNotFound:
            lexer = TextLexer()
        return highlight(code, lexer, formatter)

    return MarkdownIt("commonmark", {"html": False, "highlight": highlight_code})


def markdown_html(text: str, dark: bool = True) -> str:
    """One field as HTML (``<pre>`` blocks keep their highlighting)."""
    return _renderer(dark).render(text)


def sample_html(fields: list[tuple[str, str]], *, badge: str, badge_color: str,
                details: list[tuple[str, str]], dark: bool = True) -> str:
    """The middle pane: a status badge, the details table, then each field rendered."""
    rows = "".join(f"<tr><td style='padding-right:12px'><b>{html.escape(k)}</b></td>"
                   f"<td>{html.escape(v)}</td></tr>" for k, v in details)
    parts = [f"<p><span style='background-color:{badge_color}; color:#ffffff; "
             f"font-weight:600'>&nbsp;{html.escape(badge)}&nbsp;</span></p>",
             f"<table cellspacing='0'>{rows}</table>"]
    for title, text in fields:
        if text:
            parts.append(f"<h3>{html.escape(title)}</h3>{markdown_html(text, dark)}")
    return "".join(parts)
