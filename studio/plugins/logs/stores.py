"""What the Logs plugin remembers: bookmarks per file and the recently opened files.

Both live in the studio's own state folder (``<state>/logs/``), never next to the user's log,
and are written atomically on a background thread (the GUI never waits for an fsync). A damaged
file is kept as ``.bak`` and the store starts empty.
"""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from studio.api import atomic_write_text, backup_file

__all__ = ["BookmarkStore", "RecentFiles"]

log = logging.getLogger(__name__)


class _JsonStore:
    """A small JSON file read once and written behind (never on the caller's thread)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._data: dict[str, Any] | None = None
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="logs-store")
        self._pending: Future[None] | None = None
        self.problem: str | None = None  # set when the file was damaged and reset

    def _read(self) -> dict[str, Any]:
        """The current data (loaded from disk on first use; callers hold ``_lock``)."""
        if self._data is None:
            self._data = self._load()
        return self._data

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError("top level is not an object")
            return data
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            backup = backup_file(self.path)
            self.problem = f"{self.path}: unreadable ({exc}); kept as {backup}, starting empty"
            log.warning("%s", self.problem)
            return {}

    def _write(self, data: dict[str, Any]) -> None:
        text = json.dumps(data, indent=1, sort_keys=True) + "\n"
        self._pending = self._writer.submit(self._write_now, text)

    def _write_now(self, text: str) -> None:
        try:
            atomic_write_text(self.path, text)
        except OSError as exc:
            self.problem = f"{self.path}: cannot save ({exc})"
            log.warning("%s", self.problem)

    def flush(self) -> None:
        """Wait until what was changed is on disk."""
        pending = self._pending
        if pending is not None:
            pending.result()

    def close(self) -> None:
        """Finish pending writes and stop the writer (idempotent)."""
        self.flush()
        self._writer.shutdown(wait=True)


class BookmarkStore(_JsonStore):
    """Bookmarked lines (0-based) per absolute file path (or remote ``host:path``)."""

    def lines(self, key: str) -> list[int]:
        with self._lock:
            files = self._read().get("files", {})
        entry = files.get(key, {}) if isinstance(files, dict) else {}
        values = entry.get("lines", []) if isinstance(entry, dict) else []
        return sorted({int(v) for v in values if isinstance(v, int) and v >= 0})

    def toggle(self, key: str, line: int) -> bool:
        """Add or remove a bookmark; returns True when the line is now bookmarked."""
        with self._lock:
            data = self._read()
            files = data.setdefault("files", {})
            lines = set(files.get(key, {}).get("lines", []))
            added = line not in lines
            (lines.add if added else lines.discard)(line)
            if lines:
                files[key] = {"lines": sorted(lines)}
            else:
                files.pop(key, None)
            data["version"] = 1
            self._write(data)
        return added

    def clear(self, key: str) -> None:
        with self._lock:
            data = self._read()
            if data.get("files", {}).pop(key, None) is not None:
                self._write(data)


class RecentFiles(_JsonStore):
    """The most recently opened logs, newest first (at most :attr:`LIMIT`)."""

    LIMIT = 20

    def items(self) -> list[str]:
        with self._lock:
            values = self._read().get("files", [])
        return [v for v in values if isinstance(v, str)][: self.LIMIT]

    def add(self, key: str) -> None:
        with self._lock:
            data = self._read()
            files = [v for v in data.get("files", []) if isinstance(v, str) and v != key]
            data["files"] = [key, *files][: self.LIMIT]
            data["version"] = 1
            self._write(data)

    def remove(self, key: str) -> None:
        with self._lock:
            data = self._read()
            files = [v for v in data.get("files", []) if v != key]
            if files != data.get("files"):
                data["files"] = files
                self._write(data)
