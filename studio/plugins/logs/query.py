"""What to look for in a log: a pattern (literal or regex, case, whole word) and/or levels.

Kept free of NumPy and the native module so that ``hafs-studio logs grep`` imports almost
nothing before it searches (see :mod:`studio.plugins.logs.grep`).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing and dataclasses cost more to import than a 1 GB count takes
if TYPE_CHECKING:
    from studio.api import native

__all__ = ["SearchError", "SearchQuery"]


class SearchError(ValueError):
    """The pattern cannot be searched for; the message says where and why."""


def _word(char: str) -> bool:
    return char.isalnum() or char == "_"


class SearchQuery:
    """An immutable query; ``levels`` empty means any level."""

    __slots__ = ("ignore_case", "levels", "pattern", "regex", "whole_word")
    pattern: str
    regex: bool
    ignore_case: bool
    whole_word: bool
    levels: frozenset[int]

    def __init__(self, pattern: str = "", *, regex: bool = False, ignore_case: bool = False,
                 whole_word: bool = False, levels: frozenset[int] = frozenset()) -> None:
        for name, value in (("pattern", pattern), ("regex", bool(regex)),
                            ("ignore_case", bool(ignore_case)),
                            ("whole_word", bool(whole_word)), ("levels", frozenset(levels))):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"SearchQuery is immutable (cannot set {name})")

    def _key(self) -> tuple[object, ...]:
        return (self.pattern, self.regex, self.ignore_case, self.whole_word, self.levels)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SearchQuery) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (f"SearchQuery({self.pattern!r}, regex={self.regex}, ignore_case="
                f"{self.ignore_case}, whole_word={self.whole_word}, levels={set(self.levels)})")

    @property
    def empty(self) -> bool:
        return not self.pattern and not self.levels

    def kernel_pattern(self) -> tuple[str, bool]:
        """(pattern, is_regex) as handed to the kernel (whole word adds word boundaries).

        Whole word follows ``grep -w``: the match is neither preceded nor followed by a word
        character. ``\\b`` says that next to a word character and ``\\B`` next to a non-word
        one, so no lookaround is needed and the literal prefilter still applies.
        """
        if not self.whole_word or not self.pattern:
            return self.pattern, self.regex
        if self.regex:
            return rf"\b(?:{self.pattern})\b", True
        import re  # here: `logs grep --count` of a literal starts without it (~5 ms)

        left = r"\b" if _word(self.pattern[0]) else r"\B"
        right = r"\b" if _word(self.pattern[-1]) else r"\B"
        return f"{left}{re.escape(self.pattern)}{right}", True

    def compile(self) -> native.LineSearch | None:
        """The compiled kernel search, or None for a level-only filter. SearchError if invalid."""
        if not self.pattern:
            return None
        pattern, regex = self.kernel_pattern()
        from studio.api import native

        try:
            return native.LineSearch(pattern, regex=regex, ignore_case=self.ignore_case)
        except ValueError as exc:
            raise SearchError(f"{self.pattern!r}: {exc}") from None

    def describe(self) -> str:
        parts = []
        if self.pattern:
            flags = [name for name, on in (("regex", self.regex), ("case-insensitive",
                     self.ignore_case), ("whole word", self.whole_word)) if on]
            parts.append(repr(self.pattern) + (f" ({', '.join(flags)})" if flags else ""))
        if self.levels:
            from studio.plugins.logs.formats import LEVEL_NAMES

            parts.append("levels " + ", ".join(LEVEL_NAMES[c] for c in sorted(self.levels)))
        return " and ".join(parts) or "everything"
