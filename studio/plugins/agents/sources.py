"""Lenient readers for the small JSON and pid files hafs rewrites in place.

hafs writes ``daemon_status.json``, ``swarm_status.json`` and the campaign files with a plain
``write_text`` (truncate, then write), so a reader can find them empty or half-written. A
:class:`CachedFiles` re-reads a file only when its ``stat`` signature changed and, when the new
content does not parse, keeps the last good content next to the error: the panel never flickers
to "no data" while hafs is mid-save, and a file that stays broken is reported by name.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson

__all__ = ["CachedFiles", "FileReading", "decode_json", "parse_pid", "parse_time",
           "read_pid_file"]

_MAX_STATUS_BYTES = 8 * 1024 * 1024  # a status file is a few KB; refuse to slurp a huge one


@dataclass(frozen=True)
class FileReading:
    """One file's latest readable content (``data``) and what went wrong with the newest read."""

    path: Path
    exists: bool
    data: Any = None
    error: str | None = None
    mtime: float | None = None  # of the file when last read (successfully or not)
    good_mtime: float | None = None  # of the content in ``data``
    # How to read the writer's naive local timestamps: its UTC offset (None: this machine's
    # time zone) and the seconds to add to its clock to get ours (a remote host's skew).
    utc_offset_s: float | None = None
    clock_shift_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.exists and self.error is None and self.data is not None

    def time(self, value: Any) -> float | None:
        """A timestamp found in this file as POSIX seconds on this machine's clock."""
        seconds = parse_time(value, self.utc_offset_s)
        return None if seconds is None else seconds + self.clock_shift_s


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class CachedFiles:
    """Read small JSON files, re-parsing only those that changed since the last call."""

    def __init__(self) -> None:
        self._cache: dict[Path, tuple[tuple[int, int, int] | None, FileReading]] = {}
        self._lock = threading.Lock()

    def read_json(self, path: Path) -> FileReading:
        signature = _signature(path)
        with self._lock:
            cached = self._cache.get(path)
        if cached is not None and cached[0] == signature:
            return cached[1]
        previous = cached[1] if cached is not None else None
        reading = self._read(path, signature, previous)
        with self._lock:
            self._cache[path] = (signature, reading)
        return reading

    def forget_missing(self, keep: set[Path]) -> None:
        with self._lock:
            for path in [p for p in self._cache if p not in keep]:
                del self._cache[path]

    @staticmethod
    def _read(path: Path, signature: tuple[int, int, int] | None,
              previous: FileReading | None) -> FileReading:
        if signature is None:
            return FileReading(path, exists=False)
        mtime = signature[0] / 1e9
        try:
            if signature[1] > _MAX_STATUS_BYTES:
                raise ValueError(f"{signature[1]} bytes, more than a status file holds")
            raw = path.read_bytes()
        except FileNotFoundError:
            return FileReading(path, exists=False)
        except (OSError, ValueError) as exc:
            return _failed(path, f"{path}: {exc}", mtime, previous)
        return decode_json(path, raw, mtime, previous)


def _failed(path: Path, message: str, mtime: float | None, previous: FileReading | None,
            **clock: Any) -> FileReading:
    if previous is not None and previous.data is not None:
        return FileReading(path, True, previous.data, message, mtime, previous.good_mtime,
                           **clock)
    return FileReading(path, True, None, message, mtime, **clock)


def decode_json(path: Path, raw: bytes, mtime: float | None,
                previous: FileReading | None = None, **clock: Any) -> FileReading:
    """``raw`` (a status file's bytes) as a reading; bad content keeps ``previous``'s data.

    ``clock``: :class:`FileReading`'s ``utc_offset_s`` and ``clock_shift_s`` (remote files).
    """
    if not raw.strip():
        return _failed(path, f"{path}: empty (hafs may be rewriting it)", mtime, previous,
                       **clock)
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return _failed(path, f"{path}: not valid JSON ({exc}); hafs may be rewriting it", mtime,
                       previous, **clock)
    return FileReading(path, True, data, None, mtime, mtime, **clock)


PidFile = tuple[int | None, float | None, str | None]  # (pid, mtime, error)


def read_pid_file(path: Path) -> PidFile:
    """(pid, file mtime, error) of a hafs ``*.pid`` file (the pid as text); all None if absent."""
    try:
        st = os.stat(path)
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return None, None, None
    except OSError as exc:
        return None, None, f"{path}: {exc}"
    return parse_pid(str(path), text, st.st_mtime)


def parse_pid(where: str, text: str, mtime: float | None) -> PidFile:
    """The pid in a pid file's ``text``; ``where`` names the file in the error."""
    text = text.strip()
    try:
        pid = int(text)
    except ValueError:
        return None, mtime, f"{where}: expected a process id, found {text[:40]!r}"
    if pid <= 0:
        return None, mtime, f"{where}: {pid} is not a process id"
    return pid, mtime, None


def parse_time(value: Any, utc_offset_s: float | None = None) -> float | None:
    """hafs timestamps (naive local ISO, ``datetime.now().isoformat()``) → POSIX seconds.

    Also accepts ISO with an offset and plain POSIX numbers; anything else is None. A naive
    time is the writer's local time: this machine's zone, or ``utc_offset_s`` east of UTC
    (a file written on another host).
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if value > 0 else None
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None and utc_offset_s is not None:
        moment = moment.replace(tzinfo=timezone(timedelta(seconds=utc_offset_s)))
    return moment.timestamp()
