"""The studio's one style for sizes and durations (studio.core.units, exported by studio.api)."""

from __future__ import annotations

import math

import pytest

from studio.api import format_age, format_bytes, format_duration, format_rate


@pytest.mark.parametrize(("size", "text"), [
    (0, "0 B"),
    (512, "512 B"),
    (1023, "1023 B"),
    (1024, "1.0 KiB"),
    (1536, "1.5 KiB"),
    (5 * 2**20, "5.0 MiB"),
    (int(4.9 * 2**30), "4.9 GiB"),
    (3 * 2**40, "3.0 TiB"),
    (2**60, "1024.0 PiB"),  # the largest unit keeps counting
    (None, "—"),
    (math.nan, "—"),
])
def test_format_bytes(size, text):
    assert format_bytes(size) == text


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0 s"),
    (42.7, "42 s"),  # truncated: not yet 43 s
    (59.99, "59 s"),
    (60, "1 min 00 s"),
    (187, "3 min 07 s"),
    (3600, "1 h 00 min"),
    (7500, "2 h 05 min"),
    (86400 + 4 * 3600 + 59, "1 d 4 h"),
    (-5, "0 s"),  # clocks of two machines disagree: never a negative duration
    (None, "—"),
    (math.nan, "—"),
    (math.inf, "—"),
])
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0 s"),
    (89, "89 s"),
    (90, "2 min"),  # one rounded unit: a reading, not a stopwatch
    (31 * 60, "31 min"),
    (90 * 60, "1.5 h"),
    (47 * 3600, "47.0 h"),
    (3 * 86400, "3 d"),
    (-30, "0 s"),
    (None, "—"),
])
def test_format_age(seconds, text):
    assert format_age(seconds) == text


def test_format_rate_uses_the_units_of_sizes():
    assert format_rate(1536) == "1.5 KiB/s"
    assert format_rate(12 * 2**20) == "12.0 MiB/s"
