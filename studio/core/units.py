"""How the studio writes sizes and durations for people: one style in every panel and command.

Sizes are binary (a GGUF's 4.9 GiB is what ``ls -lh`` and llama.cpp print); durations read from
the largest unit down, two units at most ("2 h 05 min"), because a person scanning a table of
uptimes or ETAs wants the magnitude first. Unknown values are an em dash, never "0".
"""

from __future__ import annotations

import math

__all__ = ["format_age", "format_bytes", "format_duration", "format_rate"]

_BINARY_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB")


def format_bytes(size: float | None) -> str:
    """``1536`` → ``"1.5 KiB"``, ``512`` → ``"512 B"``; ``None`` → ``"—"``."""
    if size is None or not math.isfinite(size):
        return "—"
    if abs(size) < 1024:
        return f"{size:.0f} B"
    value = float(size)
    for unit in _BINARY_UNITS:
        value /= 1024
        if abs(value) < 1024 or unit == _BINARY_UNITS[-1]:
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable: the last unit always returns")


def format_duration(seconds: float | None) -> str:
    """``7500`` → ``"2 h 05 min"``, ``187`` → ``"3 min 07 s"``, ``42.7`` → ``"42 s"``.

    Whole seconds, truncated (an uptime of 59.9 s is not yet a minute); negative durations (a
    clock step between two machines) show as ``"0 s"``; ``None``, NaN and infinity as ``"—"``.
    """
    if seconds is None or not math.isfinite(seconds):
        return "—"
    whole = max(0, int(seconds))
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def format_age(seconds: float | None) -> str:
    """How long since something happened, as a reading rather than a stopwatch: one rounded
    unit — ``"12 s"``, ``"15 min"``, ``"3.5 h"``, ``"3 d"``. Callers add "ago" or "for"."""
    if seconds is None or not math.isfinite(seconds):
        return "—"
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} d"


def format_rate(bytes_per_s: float) -> str:
    """A transfer rate in the units of the sizes beside it: ``1536`` → ``"1.5 KiB/s"``."""
    return f"{format_bytes(bytes_per_s)}/s"
