"""Kernel 2: line search (literal and regex) against Python's re on the same lines."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio import native

from .reference import matching_lines

LOG = (
    b"2024-05-01 INFO step 1 loss=1.25\n"
    b"2024-05-01 ERROR CUDA out of memory\r\n"
    b"Traceback (most recent call last):\n"
    b"  File \"train.py\", line 3\n"
    b"\n"
    b"2024-05-01 warning: nan loss at step 9\n"
    b"\x00\x01 binary \xff\xfe junk ERROR\n"
    b"caf\xc3\xa9 CAF\xc3\x89 last line without newline ERROR"
)

PATTERNS = [
    # (pattern, regex, ignore_case, expected strategy)
    ("ERROR", False, False, "literal"),
    ("error", False, True, "literal"),
    ("ERROR|Traceback", True, False, "literal"),
    ("(?i)cuda out of memory|nan loss", True, False, "literal"),
    ("colou?r|loss", True, False, "literal"),
    (r"^2024-\d\d", True, False, "prefilter+regex"),
    (r"loss=\d+\.\d+$", True, False, "prefilter+regex"),
    (r"ERROR$", True, False, "prefilter+regex"),
    (r"\bstep \d+", True, False, "prefilter+regex"),
    (r"\d{4}-\d\d-\d\d", True, False, "prefilter+regex"),
    (r"\d+\s+\w+", True, False, "regex-scan"),
    (r"^\s*$", True, False, "regex-per-line"),
    (r"^$", True, False, "regex-per-line"),
    (r"^\s+\S", True, False, "regex-scan"),
    (r"(\w+) \1", True, False, "regex-per-line"),
    (r"ERROR(?= CUDA)", True, False, "regex-per-line"),
    ("café", False, True, "prefilter+regex"),
    ("", False, False, "all-lines"),
    ("a\nb", False, False, "no-lines"),
]


@pytest.mark.parametrize(("pattern", "regex", "ignore_case", "strategy"), PATTERNS)
def test_matches_python_re(pattern: str, regex: bool, ignore_case: bool, strategy: str) -> None:
    search = native.LineSearch(pattern, regex=regex, ignore_case=ignore_case)
    assert search.strategy == strategy
    expected = matching_lines(LOG, pattern.encode(), regex=regex, ignore_case=ignore_case)
    if pattern == "café":  # Python's re folds É/é like PCRE2 does: check explicitly
        expected = [7]
    assert search.matching_lines(LOG).tolist() == expected
    assert search.count_matching_lines(LOG) == len(expected)


def test_every_simd_level_and_thread_count_agree(simd: str, threads: int) -> None:
    rng = np.random.default_rng(11)
    words = [b"INFO", b"ERROR", b"error", b"Traceback", b"ok", b"\r", b"", b"ERRO", b"RROR"]
    lines = [b" ".join(rng.choice(words, size=rng.integers(0, 6))) for _ in range(60_000)]
    data = b"\n".join(lines) * 3  # > 4 MB: several parts per thread count
    for pattern, regex, ignore_case in [("ERROR", False, False), ("error", False, True),
                                        ("ERROR|Traceback", True, False), (r"^ok\b", True, False)]:
        expected = matching_lines(data, pattern.encode(), regex=regex, ignore_case=ignore_case)
        got = native.search_lines(data, pattern, regex=regex, ignore_case=ignore_case,
                                  threads=threads)
        assert got.tolist() == expected, pattern
        search = native.LineSearch(pattern, regex=regex, ignore_case=ignore_case)
        assert search.count_matching_lines(data, threads=threads) == len(expected), pattern


ascii_lines = st.lists(st.text(alphabet="abcAB \r\t-:", max_size=30), max_size=30).map(
    lambda ls: "\n".join(ls).encode())
needles = st.text(alphabet="abcAB -", min_size=1, max_size=4)


@settings(max_examples=300, deadline=None)
@given(data=ascii_lines, needle=needles, ignore_case=st.booleans())
def test_literal_property(data: bytes, needle: str, ignore_case: bool) -> None:
    got = native.search_lines(data, needle, ignore_case=ignore_case).tolist()
    assert got == matching_lines(data, needle.encode(), regex=False, ignore_case=ignore_case)
    search = native.LineSearch(needle, ignore_case=ignore_case)
    assert search.count_matching_lines(data) == len(got)


regexes = st.sampled_from(["a|b", "ab?c", "(?:ab|ba)+", "^a", "b$", "[ab]c", "a.c", r"\w+:",
                           r"A\s", "(a|bc)(c|a)", "a{2}", "c*", "^$", r"[^a]b", r"\bab\b"])


@settings(max_examples=300, deadline=None)
@given(data=ascii_lines, pattern=regexes, ignore_case=st.booleans())
def test_regex_property(data: bytes, pattern: str, ignore_case: bool) -> None:
    got = native.search_lines(data, pattern, regex=True, ignore_case=ignore_case).tolist()
    assert got == matching_lines(data, pattern.encode(), regex=True, ignore_case=ignore_case)


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=500), needle=st.binary(min_size=1, max_size=3))
def test_invalid_utf8_literal(data: bytes, needle: bytes) -> None:
    if b"\n" in needle:
        return
    got = native.search_lines(data, needle).tolist()
    assert got == matching_lines(data, needle, regex=False, ignore_case=False)


def test_regex_on_invalid_utf8_and_huge_line() -> None:
    data = b"\xff\xfe ERROR \xc3\n" + b"z" * (11 << 20) + b"ERROR\n" + b"ok"
    assert native.search_lines(data, r"ERROR\s", regex=True).tolist() == [0]
    assert native.search_lines(data, "ERROR$", regex=True).tolist() == [1]


def test_spans_for_visible_lines() -> None:
    data = b"ERROR one ERROR\r\nnothing\nerror"
    index = native.LineIndex()
    index.update(data)
    begins, ends = index.line_bounds(0, index.line_count, data)
    which, b, e = native.LineSearch("error", ignore_case=True).spans(data, begins, ends)
    assert which.tolist() == [0, 0, 2]
    assert [data[s:t] for s, t in zip(b, e, strict=True)] == [b"ERROR", b"ERROR", b"error"]
    which, b, e = native.LineSearch(r"o\w*", regex=True).spans(data, begins, ends)
    assert [data[s:t] for s, t in zip(b, e, strict=True)] == [b"one", b"othing", b"or"]
    with pytest.raises(ValueError, match="invalid byte range"):
        native.LineSearch("x").spans(data, np.array([5]), np.array([99]))


def test_invalid_regex_names_the_position() -> None:
    with pytest.raises(ValueError, match="offset"):
        native.LineSearch("(unclosed", regex=True)


def test_bad_pattern_type() -> None:
    with pytest.raises(TypeError):
        native.LineSearch(42)  # type: ignore[arg-type]


@pytest.mark.parametrize(("pattern", "literals", "strategy"), [
    ("colou?r", [b"color", b"colour"], "literal"),
    ("(?i)ERROR|Warn", [b"error", b"warn"], "literal"),
    ("(?:ab|cd)ef", [b"abef", b"cdef"], "literal"),
    ("(?P<lvl>ERROR|WARN): x+", [b"ERROR: x", b"WARN: x"], "prefilter+regex"),
    (r"\QC++\E (code)", [b"C++ code"], "literal"),
    ("[Ee]rror", [b"Error", b"error"], "literal"),
    ("x*yz", [b"yz"], "prefilter+regex"),
    ("a{2,}b", [b"aa"], "prefilter+regex"),
    ("a+b+c", [b"ab"], "prefilter+regex"),
    ("(xa+)+", [b"xa"], "prefilter+regex"),
    ("(?i)É+t", [b"t"], "prefilter+regex"),
    ("é+t", [b"\xc3\xa9t"], "prefilter+regex"),
])
def test_prefilter_literals(pattern: str, literals: list[bytes], strategy: str) -> None:
    search = native.LineSearch(pattern, regex=True)
    assert sorted(search.literals) == literals
    assert search.strategy == strategy


@settings(max_examples=200, deadline=None)
@given(data=ascii_lines, pattern=st.sampled_from([
    "colou?r", "(?:ab|cA)b", "(?P<x>a|b)c", "[Aa]b", "x*ab", "a{2,}b", "(a|b){2}", "b(?:c|)a",
    "a+?b", "(?:a|b)*c", r"a\.b", r"-\s", "A-?b", "(?i)AB|ca", "a+b+c", "(ba+)+c", "x*ab",
    "(?:a+b)*a", "b{1,2}a"]), ignore_case=st.booleans())
def test_prefiltered_regex_property(data: bytes, pattern: str, ignore_case: bool) -> None:
    got = native.search_lines(data, pattern, regex=True, ignore_case=ignore_case).tolist()
    assert got == matching_lines(data, pattern.encode(), regex=True, ignore_case=ignore_case)
