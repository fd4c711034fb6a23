"""The palette's fuzzy matcher: correctness properties and ranking that people expect."""

from __future__ import annotations

import random
import string

from hypothesis import given
from hypothesis import strategies as st

from studio.core import fuzzy
from studio.core.fuzzy import fuzzy_filter, fuzzy_match, is_word_start

texts = st.text(alphabet=string.ascii_letters + string.digits + " _-.:/", max_size=40)
queries = st.text(alphabet=string.ascii_letters + string.digits + " ", max_size=8)


def is_subsequence(query: str, text: str) -> bool:
    remaining = iter(text.lower())
    return all(char in remaining for char in "".join(query.split()).lower())


@given(queries, texts)
def test_matches_exactly_the_case_insensitive_subsequences(query, text):
    assert (fuzzy_match(query, text) is not None) == is_subsequence(query, text)


@given(queries, texts)
def test_positions_are_increasing_and_point_at_the_query_characters(query, text):
    match = fuzzy_match(query, text)
    if match is None:
        return
    pattern = "".join(query.split()).lower()
    assert len(match.positions) == len(pattern)
    assert list(match.positions) == sorted(set(match.positions))
    matched = [text[pos].lower() for pos in match.positions]
    assert matched == list(pattern)


@given(texts)
def test_empty_query_matches_everything_without_highlight(text):
    assert fuzzy_match("", text).positions == ()
    assert fuzzy_match("   ", text).score == 0


@given(st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=8), texts)
def test_the_text_itself_scores_at_least_as_high_as_any_longer_text(query, other):
    exact = fuzzy_match(query, query)
    match = fuzzy_match(query, other + query) or fuzzy_match(query, query + other)
    assert exact is not None and match is not None
    assert exact.score >= match.score


@given(
    st.text(alphabet="abcdefghijklm", min_size=2, max_size=6),
    st.text(alphabet="nopqrstuvwxyz", min_size=1, max_size=6),  # disjoint: no other alignment
)
def test_a_prefix_beats_the_same_characters_later_in_a_word(query, filler):
    prefix = fuzzy_match(query, query + filler)
    buried = fuzzy_match(query, filler + query)
    assert prefix is not None and buried is not None
    assert prefix.score > buried.score


@given(queries, st.lists(texts, max_size=30))
def test_filter_keeps_exactly_the_matches_best_first(query, items):
    result = fuzzy_filter(query, items, key=str)
    expected = [item for item in items if is_subsequence(query, item)]
    assert sorted(item for item, _ in result) == sorted(expected)
    scores = [match.score for _, match in result]
    assert scores == sorted(scores, reverse=True)


def test_unicode_lowercasing_that_changes_length_keeps_positions_valid():
    match = fuzzy_match("is", "İstanbul")
    assert match is not None and match.positions == (0, 1)


def test_word_starts():
    text = "Jobs: cancelAll gguf2ct2"
    starts = [i for i in range(len(text)) if is_word_start(text, i)]
    assert [text[i] for i in starts] == ["J", "c", "A", "g", "2", "c", "2"]


COMMANDS = [
    "View: Toggle Sidebar",
    "Jobs: Cancel All",
    "Preferences: Open Settings",
    "Workspace: Models",
    "Models: Convert to GGUF",
    "Window: Toggle Full Screen",
    "Help: Keyboard Shortcuts",
    "Palette: Show Commands",
    "Models: Open Model Card",
]


def ranked(query: str) -> list[str]:
    return [item for item, _ in fuzzy_filter(query, COMMANDS, key=str)]


def test_word_start_initials_beat_letters_inside_words():
    assert ranked("ks")[0] == "Help: Keyboard Shortcuts"
    assert ranked("tfs")[0] == "Window: Toggle Full Screen"
    assert ranked("omc")[0] == "Models: Open Model Card"


def test_contiguous_words_rank_first():
    assert ranked("cancel")[0] == "Jobs: Cancel All"
    assert ranked("gguf") == ["Models: Convert to GGUF"]
    assert ranked("settings")[0] == "Preferences: Open Settings"


def test_highlight_prefers_word_starts():
    match = fuzzy_match("ja", "Jobs: Cancel All")
    assert match is not None and match.positions == (0, 13)


def test_thousands_of_commands_filter_with_bounded_work_per_keystroke(monkeypatch):
    rng = random.Random(7)
    words = [
        "open",
        "show",
        "toggle",
        "model",
        "deploy",
        "training",
        "data",
        "cancel",
        "jobs",
        "view",
        "panel",
        "layout",
        "reset",
        "theme",
        "convert",
        "gguf",
        "server",
    ]
    items = [
        " ".join(rng.choice(words).title() for _ in range(rng.randint(2, 6))) for _ in range(3000)
    ]
    # No wall clock here (the machine's load is not the code's speed). What keeps typing fast
    # is the shape of the work, which is checked exactly: a text that cannot match is rejected
    # before any alignment is tried, and a matching one is scored for two alignments only
    # (no dynamic programming over all of them), whatever its length.
    calls = {"align": 0, "score": 0}
    tightest, score = fuzzy._tightest_window, fuzzy._score

    def counted_align(*args):
        calls["align"] += 1
        return tightest(*args)

    def counted_score(*args):
        calls["score"] += 1
        return score(*args)

    monkeypatch.setattr(fuzzy, "_tightest_window", counted_align)
    monkeypatch.setattr(fuzzy, "_score", counted_score)
    for query in ("t", "to", "tog", "togg", "toggle p"):
        expected = [item for item in items if fuzzy.fuzzy_match(query, item) is not None]
        calls.update(align=0, score=0)
        results = fuzzy_filter(query, items, key=str)
        assert sorted(text for text, _ in results) == sorted(expected)
        assert calls == {"align": len(results), "score": 2 * len(results)}
    assert 0 < len(results) < len(items)  # "toggle p" really filters
