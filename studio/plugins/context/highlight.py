"""Syntax highlighting with Pygments, as per-line spans the editor paints (Qt-free).

Pygments lexes; nothing here is a hand-written lexer. Tokens are folded into a dozen
categories, each coloured from the theme's tokens (:data:`CATEGORY_COLOURS`), so a theme change
recolours without lexing again. :func:`lex_lines` lexes a whole text once (multi-line strings
and comments come out right) and cuts the result into lines; :func:`lex_line` lexes one line
alone, the stopgap for a line just typed until the whole text is lexed again.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = [
    "CATEGORY_COLOURS",
    "LineSpans",
    "category_of",
    "lex_line",
    "lex_lines",
    "lexer_for",
]

# One line's spans: (start column, length, category), in order.
LineSpans = list[tuple[int, int, str]]

# category -> (theme token, bold, italic)
CATEGORY_COLOURS: dict[str, tuple[str, bool, bool]] = {
    "keyword": ("accent", True, False),
    "builtin": ("series.5", False, False),
    "function": ("series.0", False, False),
    "class": ("series.0", True, False),
    "string": ("series.3", False, False),
    "number": ("series.2", False, False),
    "comment": ("text.muted", False, True),
    "operator": ("series.1", False, False),
    "key": ("series.1", False, False),  # JSON/TOML/YAML keys, tags, attributes
    "constant": ("series.4", False, False),
    "preproc": ("series.6", False, False),
    "heading": ("accent", True, False),
    "error": ("error", False, False),
}

# Pygments lexer names by suffix / file name: explicit, so .s is assembly (not R) and hafs's
# files get the lexer a user expects. hafs's .asm/.inc are 65816 (SNES) sources: ca65 reads
# their ``$420C`` numbers whole, where nasm took ``#$80 : STA $2100`` for a comment.
_BY_SUFFIX = {
    ".toml": "toml", ".json": "json", ".jsonl": "json", ".yaml": "yaml", ".yml": "yaml",
    ".py": "python", ".pyi": "python", ".md": "markdown", ".markdown": "markdown",
    ".asm": "ca65", ".s": "gas", ".inc": "ca65", ".c": "c", ".h": "cpp", ".cc": "cpp",
    ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp", ".hh": "cpp", ".cs": "csharp",
    ".sh": "bash", ".bash": "bash", ".cmake": "cmake", ".log": "text", ".ini": "ini",
    ".cfg": "ini", ".xml": "xml", ".html": "html", ".js": "javascript", ".ts": "typescript",
    ".rs": "rust", ".go": "go", ".sql": "sql", ".lua": "lua", ".css": "css",
}  # fmt: skip
_BY_NAME = {"CMakeLists.txt": "cmake", "Makefile": "make", "Dockerfile": "docker"}


@lru_cache(maxsize=64)
def _lexer(name: str) -> Any:
    from pygments.lexers import get_lexer_by_name

    # stripnl/ensurenl off: token offsets must match the text as the editor holds it.
    return get_lexer_by_name(name, stripnl=False, ensurenl=False, stripall=False)


def lexer_for(path: str | Path) -> str | None:
    """The Pygments lexer name for a file, or None (plain text)."""
    p = Path(path)
    name = _BY_NAME.get(p.name) or _BY_SUFFIX.get(p.suffix.lower())
    if name is None:
        from pygments.lexers import guess_lexer_for_filename
        from pygments.util import ClassNotFound

        try:
            lexer = guess_lexer_for_filename(p.name, "")
        except ClassNotFound:
            return None
        name = lexer.aliases[0] if lexer.aliases else None
    return None if name == "text" else name


@lru_cache(maxsize=512)
def category_of(token_type: Any) -> str | None:
    """Fold a Pygments token type into one of :data:`CATEGORY_COLOURS` (None: plain text)."""
    from pygments import token as t

    checks = (
        (t.Comment, "comment"), (t.Keyword.Constant, "constant"), (t.Keyword, "keyword"),
        (t.Name.Builtin, "builtin"), (t.Name.Function, "function"), (t.Name.Class, "class"),
        (t.Name.Tag, "key"), (t.Name.Attribute, "key"), (t.Name.Label, "function"),
        (t.Name.Constant, "constant"), (t.Name.Decorator, "preproc"),
        (t.String, "string"), (t.Number, "number"), (t.Operator, "operator"),
        (t.Generic.Heading, "heading"), (t.Generic.Subheading, "heading"),
        (t.Generic.Strong, "heading"), (t.Comment.Preproc, "preproc"), (t.Error, "error"),
        (t.Literal, "string"),
    )
    for parent, category in checks:
        if token_type in parent:
            return category
    return None


def _spans(tokens: Any, line_count_hint: int = 0) -> list[LineSpans]:
    lines: list[LineSpans] = [[]]
    column = 0
    for token_type, value in tokens:
        category = category_of(token_type)
        parts = value.split("\n")
        for index, part in enumerate(parts):
            if index:
                lines.append([])
                column = 0
            if part and category is not None:
                lines[-1].append((column, len(part), category))
            column += len(part)
    return lines


def lex_lines(text: str, lexer_name: str) -> list[LineSpans]:
    """Spans for every line of ``text`` (``len(result) == text.count("\\n") + 1``)."""
    lexer = _lexer(lexer_name)
    result = _spans(lexer.get_tokens(text))
    expected = text.count("\n") + 1
    if len(result) < expected:
        result += [[] for _ in range(expected - len(result))]
    return result[:expected]


def lex_line(line: str, lexer_name: str) -> LineSpans:
    """Spans of one line lexed on its own (no context from the lines around it)."""
    return lex_lines(line, lexer_name)[0]
