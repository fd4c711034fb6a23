"""Name the plugin that was running when the studio died hard.

pluggy cannot catch a segfault in a plugin's C extension. So before a plugin is imported or
activated, its name and phase are written to a small file, which is emptied when that code
returns and removed when start-up is over. If the process dies in between, the next start
finds the file and can offer to disable the plugin it names.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from studio.core import small_json

__all__ = ["CrashGuard", "CrashReport"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CrashReport:
    """The previous run died while this plugin was in this phase."""

    plugin: str
    phase: str
    pid: int


class CrashGuard:
    """The guard file of one start-up. ``path=None`` disables it (tests, embedded use)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._fd: int | None = None
        self.previous_crash = self._read_previous()

    # One descriptor for the whole start, rewritten in place per plugin and phase: creating and
    # deleting the file each time cost ~0.25 ms per plugin, a quarter of activating 100 plugins.
    def enter(self, plugin: str, phase: str) -> None:
        """``plugin`` is about to run ``phase`` (load, activate, startup…)."""
        if self.path is None:
            return
        try:
            if self._fd is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            payload = small_json.dumps({"plugin": plugin, "phase": phase, "pid": os.getpid()})
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, payload, 0)
        except OSError:
            log.debug("cannot write plugin guard file", exc_info=True)

    def exit(self) -> None:
        """The plugin's code returned. An empty file means a crash now is not a plugin's fault."""
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
            except OSError:
                log.debug("cannot clear plugin guard file", exc_info=True)

    def close(self) -> None:
        """Start-up is over: remove the file."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self.path is not None:
            self.path.unlink(missing_ok=True)

    def _read_previous(self) -> CrashReport | None:
        if self.path is None or not self.path.exists():
            return None
        try:
            raw = self.path.read_bytes()
            data = small_json.loads(raw) if raw else None
            report = (
                CrashReport(str(data["plugin"]), str(data["phase"]), int(data["pid"]))
                if data
                else None
            )
        except (OSError, small_json.JSONDecodeError, KeyError, TypeError, ValueError):
            report = None
        if report is not None and report.pid != os.getpid() and _pid_alive(report.pid):
            # Another studio is starting right now and owns the file: leave it alone.
            return None
        self.path.unlink(missing_ok=True)
        return report


def _pid_alive(pid: int) -> bool:
    try:
        import psutil

        return psutil.pid_exists(pid)
    except Exception:  # no psutil or no permission: assume the writer is gone
        return False
