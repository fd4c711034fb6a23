"""Fuzzy matching for the command palette and other quick pickers (Qt-free).

A query matches a text when its characters appear in the text in order, case-insensitively
(whitespace in the query is ignored, so "cancel all" finds "Cancel All Jobs"). Matches are
scored so that what a person means ranks first:

* a prefix of the text, then characters at word starts (after a space, ``_ - . : /``, a
  lower→upper camelCase step or a letter↔digit step), then consecutive runs, score high;
* gaps between matched characters, and characters skipped before the first one, cost a little;
* shorter texts win ties (the caller breaks remaining ties alphabetically).

Full dynamic programming over every alignment is too slow in Python for thousands of commands
per keystroke, so :func:`fuzzy_match` scores two cheap candidate alignments and keeps the
better: the tightest window (fzf's v1 forward/backward scan) and a greedy scan that prefers
consecutive characters, then word starts. Non-matching texts are rejected by ``str.find`` in C.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["FuzzyMatch", "fuzzy_filter", "fuzzy_match", "is_word_start"]

T = TypeVar("T")

# Score weights, after fzf: a matched character is worth 16; a word start adds 8 (doubled for
# the query's first character); a character continuing a run keeps the bonus of the run's
# first character (at least 4), so "ab" in "abc" beats "a b" but "ks" prefers "Keyboard
# Shortcuts" over "worKSpace".
SCORE_CHAR = 16
BONUS_WORD_START = 8
BONUS_CONSECUTIVE = 4
FIRST_CHAR_MULTIPLIER = 2
BONUS_PREFIX = 8  # the first query char is the first char of the text
BONUS_EXACT_CASE = 1
BONUS_EXACT = 32  # the whole text equals the query
PENALTY_GAP_START = 3  # opening a gap between matched characters
PENALTY_GAP_EXTEND = 1  # each further skipped character
PENALTY_GAP_CAP = 10  # acronyms across long titles ("tfs" → "Toggle Full Screen") stay cheap
PENALTY_LEADING_CAP = 8  # one point per character skipped before the first match, capped
PENALTY_LENGTH_DIVISOR = 16  # longer texts lose one point per this many characters

_SEPARATORS = frozenset(" _-.:/\\()[],")


@dataclass(frozen=True, slots=True)
class FuzzyMatch:
    """A successful match: higher ``score`` is better; ``positions`` index matched characters."""

    score: int
    positions: tuple[int, ...]


def is_word_start(text: str, index: int) -> bool:
    """Does a word start at ``text[index]`` (after a separator, camelCase or letter/digit step)?"""
    char = text[index]
    if char in _SEPARATORS:
        return False
    if index == 0:
        return True
    previous = text[index - 1]
    if previous in _SEPARATORS:
        return True
    if previous.islower() and char.isupper():
        return True
    return previous.isalpha() != char.isalpha() and previous.isalnum() and char.isalnum()


def _fold(text: str) -> str:
    """Lower-case ``text`` keeping its length, so positions index the original characters."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(char.lower()[:1] for char in text)  # e.g. "İ".lower() has two characters


def _pattern(query: str) -> str:
    return _fold("".join(query.split()))


def _is_subsequence(pattern: str, lowered: str) -> bool:
    pos = -1
    for char in pattern:
        pos = lowered.find(char, pos + 1)
        if pos < 0:
            return False
    return True


def _tightest_window(pattern: str, lowered: str) -> list[int]:
    """fzf v1: scan forward to the earliest end, then backward for the latest start."""
    pos = -1
    for char in pattern:
        pos = lowered.find(char, pos + 1)
    positions = [0] * len(pattern)
    for index in range(len(pattern) - 1, -1, -1):
        pos = lowered.rfind(pattern[index], 0, pos + 1)
        positions[index] = pos
        pos -= 1
    return positions


def _greedy_boundaries(pattern: str, lowered: str, text: str) -> list[int]:
    """Take the next character if it continues a run, else the next word start, else the next."""
    positions: list[int] = []
    pos = -1
    for index, char in enumerate(pattern):
        if pos >= 0 and pos + 1 < len(lowered) and lowered[pos + 1] == char:
            pos += 1
            positions.append(pos)
            continue
        rest = pattern[index + 1 :]
        chosen = candidate = lowered.find(char, pos + 1)
        while candidate >= 0:
            if is_word_start(text, candidate):
                if _is_subsequence(rest, lowered[candidate + 1 :]):
                    chosen = candidate
                break
            candidate = lowered.find(char, candidate + 1)
        pos = chosen
        positions.append(pos)
    return positions


def _score(query_chars: str, text: str, positions: Sequence[int]) -> int:
    score = 0
    previous = -2
    run_bonus = 0
    for index, (query_char, pos) in enumerate(zip(query_chars, positions, strict=True)):
        bonus = BONUS_WORD_START if is_word_start(text, pos) else 0
        if pos == previous + 1:
            bonus = max(bonus, run_bonus, BONUS_CONSECUTIVE)
        else:
            run_bonus = bonus
            if previous >= 0:
                gap_cost = PENALTY_GAP_START + PENALTY_GAP_EXTEND * (pos - previous - 2)
                score -= min(PENALTY_GAP_CAP, gap_cost)
        if index == 0:
            bonus *= FIRST_CHAR_MULTIPLIER
        score += SCORE_CHAR + bonus
        if text[pos] == query_char:
            score += BONUS_EXACT_CASE
        previous = pos
    first = positions[0]
    score += BONUS_PREFIX if first == 0 else -min(PENALTY_LEADING_CAP, first)
    return score - len(text) // PENALTY_LENGTH_DIVISOR


def fuzzy_match(query: str, text: str) -> FuzzyMatch | None:
    """Match ``query`` against ``text``; None when it does not match.

    An empty (or all-whitespace) query matches everything with score 0 and no positions.
    """
    pattern = _pattern(query)
    if not pattern:
        return FuzzyMatch(0, ())
    return _match(pattern, "".join(query.split()), text)


def _match(pattern: str, query_chars: str, text: str) -> FuzzyMatch | None:
    lowered = _fold(text)
    if not _is_subsequence(pattern, lowered):
        return None
    best: FuzzyMatch | None = None
    for positions in (
        _tightest_window(pattern, lowered),
        _greedy_boundaries(pattern, lowered, text),
    ):
        score = _score(query_chars, text, positions)
        if best is None or score > best.score:
            best = FuzzyMatch(score, tuple(positions))
    assert best is not None
    if lowered == pattern:
        best = FuzzyMatch(best.score + BONUS_EXACT, best.positions)
    return best


def fuzzy_filter(
    query: str, items: Iterable[T], key: Callable[[T], str]
) -> list[tuple[T, FuzzyMatch]]:
    """Items whose ``key`` matches ``query``, best first (ties: shorter, then alphabetical).

    With an empty query every item is returned in its original order.
    """
    pattern = _pattern(query)
    if not pattern:
        return [(item, FuzzyMatch(0, ())) for item in items]
    query_chars = "".join(query.split())
    scored = []
    for order, item in enumerate(items):
        text = key(item)
        match = _match(pattern, query_chars, text)
        if match is not None:
            scored.append((-match.score, len(text), text.lower(), order, item, match))
    scored.sort(key=lambda row: row[:4])
    return [(row[4], row[5]) for row in scored]
