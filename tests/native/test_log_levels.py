"""Kernel 3: log level classification."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio import native
from studio.native import LogLevel

from .reference import split_lines

L = LogLevel


def test_default_tokens() -> None:
    data = (b"2024 INFO start\n"
            b"2024 WARNING disk\r\n"
            b"2024 ERROR boom\n"
            b"Traceback (most recent call last):\n"
            b"  File x\n"
            b"DEBUG: x\n"
            b"TRACE y\n"
            b"INFORMATION is not INFO-less\n"  # whole words only: INFO is found after 'not '
            b"nothing here\n"
            b"CRITICAL\n"
            b"\n"
            b"WARN last")
    got = native.classify_levels(data)
    assert got.dtype == np.uint8
    assert got.tolist() == [L.INFO, L.WARNING, L.ERROR, L.ERROR, 0, L.DEBUG, L.TRACE, L.INFO, 0,
                            L.ERROR, 0, L.WARNING]


def test_leftmost_token_wins_and_max_column() -> None:
    data = b"INFO: retrying after ERROR\n" + b" " * 300 + b"ERROR late\n"
    assert native.classify_levels(data).tolist() == [L.INFO, 0]
    assert native.classify_levels(data, max_column=400).tolist() == [L.INFO, L.ERROR]


def test_custom_tokens_ignore_case_and_inherit() -> None:
    data = b"e: boom\n  at x\n  at y\nw: hmm\ni: ok"
    tokens = {"E": 9, "W": 7, "I": 3}
    assert native.classify_levels(data, tokens, ignore_case=True).tolist() == [9, 0, 0, 7, 3]
    got = native.classify_levels(data, tokens, ignore_case=True, inherit=True)
    assert got.tolist() == [9, 9, 9, 7, 3]


def reference(data: bytes, tokens: dict[str, int], max_column: int) -> list[int]:
    import re

    alternation = "|".join(re.escape(t) for t in sorted(tokens, key=len, reverse=True))
    rx = re.compile(rf"(?<![A-Za-z0-9_])({alternation})(?![A-Za-z0-9_])".encode())
    out = []
    for line in split_lines(data):
        m = rx.search(line[:max_column])
        out.append(tokens[m.group(1).decode()] if m else 0)
    return out


@settings(max_examples=200, deadline=None)
@given(words=st.lists(st.sampled_from(["INFO", "ERROR", "ERRORS", "x", "WARN", "_INFO", "9DEBUG",
                                       "DEBUG", " ", "\n", "\r\n", "\xff", "TRACE:"]), max_size=60),
       max_column=st.integers(1, 40))
def test_property_against_regex_reference(words: list[str], max_column: int) -> None:
    data = " ".join(words).encode("latin-1")
    tokens = dict(native.DEFAULT_LEVEL_TOKENS)
    assert native.classify_levels(data, max_column=max_column).tolist() == reference(
        data, tokens, max_column)


def test_thread_count_independent(threads: int) -> None:
    rng = np.random.default_rng(5)
    lines = rng.choice([b"INFO a", b"ERROR b", b"  cont", b"WARNING c", b""], size=900_000)
    data = b"\n".join(lines)
    expected = native.classify_levels(data, inherit=True, threads=1)
    np.testing.assert_array_equal(native.classify_levels(data, inherit=True, threads=threads),
                                  expected)


@pytest.mark.parametrize("tokens", [{"": 1}, {"X": 255}, {"X": -1}, {"X": "1"}])
def test_bad_tokens(tokens: dict) -> None:
    with pytest.raises((TypeError, ValueError)):
        native.classify_levels(b"X", tokens)
