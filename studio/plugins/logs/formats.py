"""Log formats: how to recognise a kind of log and find its levels and timestamps.

A :class:`LogFormat` is plain data plus two small functions, so a plugin can add one in a few
lines (through the ``studio_register_log_formats`` hook, see ``hookspecs.py``). Each
studio owns one :class:`FormatRegistry` (no module-level registry: two studios in one process
share nothing); the built-in formats are in :mod:`studio.plugins.logs.builtin_formats`.

Levels are found by the native kernel (``native.classify_levels``): a format names its level
tokens (whole words within the first ``level_max_column`` bytes); ``level_inherit`` lets
continuation lines (a traceback under a logging record) take the level of the line above.
"""

from __future__ import annotations

import calendar
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from studio.api import native

__all__ = [
    "DEFAULT_LEVEL_TOKENS",
    "LEVEL_NAMES",
    "PLAIN_FORMAT",
    "FormatRegistry",
    "Level",
    "LogFormat",
    "iso_timestamp",
    "matching_fraction",
    "parse_level",
    "parse_user_timestamp",
]


# The level codes and default words are the native classifier's (one definition).
Level = native.LogLevel
DEFAULT_LEVEL_TOKENS = native.DEFAULT_LEVEL_TOKENS
LEVEL_NAMES: Mapping[int, str] = {Level.UNKNOWN: "other", Level.TRACE: "trace",
                                  Level.DEBUG: "debug", Level.INFO: "info",
                                  Level.WARNING: "warning", Level.ERROR: "error"}
_ALIASES = {"warn": "warning", "critical": "error", "fatal": "error", "err": "error"}


def parse_level(name: str) -> int:
    """``"error"``, ``"WARN"``, ``"critical"`` … → a level code; ValueError naming the choices."""
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    for code, known in LEVEL_NAMES.items():
        if known == key:
            return int(code)
    raise ValueError(f"unknown level {name!r}; choose from {', '.join(LEVEL_NAMES.values())}")


TimestampParser = Callable[[str], float | None]
Detector = Callable[[Sequence[str]], float]


@dataclass(frozen=True)
class LogFormat:
    """One kind of log.

    ``detect(lines)`` scores the first lines of a file (decoded text) from 0 (not this format)
    to 1; the best score above :attr:`FormatRegistry.MIN_SCORE` wins. ``timestamp(line)``
    returns seconds (the wall-clock time read as UTC, only ever compared with each other) or
    None for a line without one.
    """

    id: str
    title: str
    detect: Detector
    level_tokens: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_LEVEL_TOKENS))
    level_ignore_case: bool = False
    level_max_column: int = 256
    level_inherit: bool = False
    timestamp: TimestampParser | None = None
    description: str = ""
    plugin: str = ""

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", self.id or ""):
            raise ValueError(f"invalid log format id {self.id!r}: use lower-case words "
                             "(a-z, 0-9, '.', '_', '-')")
        for token, code in self.level_tokens.items():
            if not token or not 0 <= int(code) <= 254:
                raise ValueError(f"log format {self.id!r}: bad level token {token!r} -> {code}")


def matching_fraction(pattern: str, flags: int = 0) -> Detector:
    """A detector: the fraction of non-empty sample lines that ``pattern`` matches at the start."""
    compiled = re.compile(pattern, flags)

    def detect(lines: Sequence[str]) -> float:
        sample = [line for line in lines if line.strip()]
        if not sample:
            return 0.0
        return sum(1 for line in sample if compiled.match(line)) / len(sample)

    return detect


_ISO = (r"(?P<y>\d{4})-(?P<mo>\d\d)-(?P<d>\d\d)[ T](?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)"
        r"(?:[,.](?P<f>\d{1,9}))?")


def _seconds(match: re.Match[str]) -> float:
    groups = match.groupdict()
    whole = calendar.timegm((int(groups["y"]), int(groups["mo"]), int(groups["d"]),
                             int(groups["h"]), int(groups["mi"]), int(groups["s"]), 0, 0, 0))
    fraction = groups.get("f")
    return whole + (int(fraction) / 10 ** len(fraction) if fraction else 0.0)


def iso_timestamp(prefix: str = r"^\s*\[?", *, search: bool = False) -> TimestampParser:
    """A timestamp parser for ``YYYY-MM-DD HH:MM:SS[,fff]`` (or ``T``) after ``prefix``.

    With ``search`` the timestamp may be anywhere in the first 64 characters.
    """
    compiled = re.compile(("" if search else prefix) + _ISO)

    def parse(line: str) -> float | None:
        match = compiled.search(line[:64]) if search else compiled.match(line)
        if match is None:
            return None
        try:
            return _seconds(match)
        except ValueError:  # month 13 and the like
            return None

    return parse


_USER_TIME = re.compile(r"^\s*(?:(?P<date>\d{4}-\d\d-\d\d)[ T])?(?P<h>\d{1,2}):(?P<mi>\d\d)"
                        r"(?::(?P<s>\d\d)(?:[,.](?P<f>\d{1,9}))?)?\s*$")


def parse_user_timestamp(text: str, reference: float | None = None) -> float:
    """Parse what a user types into "Go to time": a full timestamp or a time of day.

    A time of day takes its date from ``reference`` (the first timestamp of the file).
    ValueError says what is expected.
    """
    match = _USER_TIME.match(text)
    if match is None:
        raise ValueError(f"expected a time such as 2025-12-22 18:31:02 or 18:31, got {text!r}")
    date = match["date"]
    if date is None:
        if reference is None:
            raise ValueError("this log has no timestamps to take the date from; give the date "
                             "too (2025-12-22 18:31)")
        year, month, day = (int(part) for part in _date_of(reference).split("-"))
    else:
        year, month, day = (int(part) for part in date.split("-"))
    fraction = match["f"]
    try:
        whole = calendar.timegm((year, month, day, int(match["h"]), int(match["mi"]),
                                 int(match["s"] or 0), 0, 0, 0))
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a valid time: {exc}") from None
    return whole + (int(fraction) / 10 ** len(fraction) if fraction else 0.0)


def _date_of(seconds: float) -> str:
    import time

    return time.strftime("%Y-%m-%d", time.gmtime(seconds))


PLAIN_FORMAT = LogFormat(
    "plain", "Plain text", lambda lines: 0.0, timestamp=iso_timestamp(search=True),
    description="Any text: default level words, ISO timestamps anywhere near the start.")


class FormatRegistry:
    """The formats one studio knows, by id; :meth:`detect` picks one for a file."""

    MIN_SCORE = 0.3

    def __init__(self) -> None:
        self._formats: dict[str, LogFormat] = {PLAIN_FORMAT.id: PLAIN_FORMAT}
        self._lock = threading.Lock()

    def register(self, fmt: LogFormat) -> LogFormat:
        if not isinstance(fmt, LogFormat):
            raise TypeError(f"expected a LogFormat, got {type(fmt).__name__}")
        with self._lock:
            existing = self._formats.get(fmt.id)
            if existing is not None:
                owner = f" by plugin {existing.plugin!r}" if existing.plugin else ""
                raise ValueError(f"log format {fmt.id!r} is already registered{owner}")
            self._formats[fmt.id] = fmt
        return fmt

    def remove_plugin(self, plugin: str) -> None:
        """Forget the formats a plugin registered (it was disabled or failed)."""
        with self._lock:
            for format_id in [k for k, f in self._formats.items() if f.plugin == plugin]:
                if format_id != PLAIN_FORMAT.id:
                    del self._formats[format_id]

    def get(self, format_id: str) -> LogFormat:
        with self._lock:
            fmt = self._formats.get(format_id)
        if fmt is None:
            raise KeyError(f"unknown log format {format_id!r}; known: {', '.join(self.ids())}")
        return fmt

    def ids(self) -> list[str]:
        with self._lock:
            return list(self._formats)

    def items(self) -> list[LogFormat]:
        with self._lock:
            return list(self._formats.values())

    def detect(self, lines: Sequence[str]) -> LogFormat:
        """The best-scoring format for these first lines of a file; plain text when none fits."""
        best, best_score = PLAIN_FORMAT, self.MIN_SCORE
        for fmt in self.items():
            if fmt is PLAIN_FORMAT:
                continue
            try:
                score = float(fmt.detect(lines))
            except Exception:  # a plugin's detector must never stop a file from opening
                continue
            if score > best_score:
                best, best_score = fmt, score
        return best
