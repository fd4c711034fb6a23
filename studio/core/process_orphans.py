"""Pid files of long-lived managed processes, and the orphans a crashed session left behind.

A long-lived process (a model server, an agent) gets ``<state>/processes/<pid>.json`` while it
runs: its pid and creation time, command line, owner, log file, and the studio process that
started it. When that studio dies without stopping it (killed, power cut, a segfault), the file
stays; the next start lists it as an :class:`OrphanProcess` and offers to stop it.

A pid alone proves nothing (pids are recycled), so a file only names an orphan while a process
with that pid exists with the *same creation time and command line*; otherwise the file is
stale and removed. Files of another studio that is still running (two windows, the CLI beside
the GUI) are left alone: those processes are not orphans.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.core.atomic import atomic_write_text
from studio.core.process_group import is_same_process, process_create_time, stop_group

__all__ = ["OrphanProcess", "PidFiles"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OrphanProcess:
    """A managed process still running although the studio that started it is gone."""

    pid: int
    create_time: float
    name: str
    owner: str
    argv: list[str]
    log_file: Path | None
    started_at: str
    pid_file: Path

    def still_running(self) -> bool:
        """Whether the pid is still *this* process (not exited, not recycled)."""
        return is_same_process(self.pid, self.create_time, self.argv)

    def terminate(self, grace_s: float = 5.0) -> bool:
        """Stop its process group (SIGTERM, SIGKILL after ``grace_s``); True when it was ours
        to stop. The identity is checked again right before signalling."""
        if not self.still_running():
            self.forget()
            return False
        if _leads_own_group(self.pid):
            stop_group(self.pid, grace_s, lambda: not self.still_running())
        else:  # it left its group (a setsid of its own): stop it alone
            _stop_one(self.pid, grace_s, self.still_running)
        self.forget()
        return True

    def forget(self) -> None:
        """Drop the pid file (the user keeps the process running on purpose)."""
        with contextlib.suppress(FileNotFoundError):
            self.pid_file.unlink()


def _leads_own_group(pid: int) -> bool:
    if os.name == "nt":
        return True  # taskkill /T follows the tree from the pid
    try:
        return os.getpgid(pid) == pid
    except ProcessLookupError:
        return False


def _stop_one(pid: int, grace_s: float, running: Callable[[], bool]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while running() and time.monotonic() < deadline:
        time.sleep(0.02)
    if running():
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


class PidFiles:
    """The ``processes/`` folder of one studio state directory."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._identity: tuple[int, float] | None = None

    @property
    def _studio(self) -> tuple[int, float]:
        """This studio process (pid, creation time), read once when first needed."""
        if self._identity is None:
            self._identity = (os.getpid(), process_create_time(os.getpid()) or 0.0)
        return self._identity

    def write(self, pid: int, create_time: float | None, *, name: str, owner: str,
              argv: list[str], log_file: Path | None) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{pid}.json"
        record = {
            "pid": pid, "create_time": create_time, "name": name, "owner": owner,
            "argv": argv, "log_file": str(log_file) if log_file else None,
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "studio_pid": self._studio[0], "studio_create_time": self._studio[1],
        }
        atomic_write_text(path, json.dumps(record, indent=2))
        return path

    def remove(self, pid: int) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.folder / f"{pid}.json").unlink()

    def orphans(self, exclude: Collection[int] = ()) -> list[OrphanProcess]:
        found: list[OrphanProcess] = []
        if not self.folder.is_dir():
            return found
        for path in sorted(self.folder.glob("*.json")):
            record = _read(path)
            if record is None:
                continue
            pid = record["pid"]
            if pid in exclude or self._studio_alive(record):
                continue
            orphan = OrphanProcess(
                pid=pid, create_time=float(record["create_time"]), name=str(record["name"]),
                owner=str(record["owner"]), argv=[str(a) for a in record["argv"]],
                log_file=Path(record["log_file"]) if record.get("log_file") else None,
                started_at=str(record.get("started_at") or ""), pid_file=path)
            if orphan.still_running():
                found.append(orphan)
            else:
                orphan.forget()  # exited, or the pid now belongs to another program
        return found

    def _studio_alive(self, record: dict[str, Any]) -> bool:
        studio_pid = record.get("studio_pid")
        if not isinstance(studio_pid, int):
            return False
        if (studio_pid, record.get("studio_create_time")) == self._studio:
            return True  # ours: this studio still manages it
        created = record.get("studio_create_time")
        return isinstance(created, int | float) and is_same_process(studio_pid, float(created))


def _read(path: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(record, dict) or not isinstance(record.get("pid"), int) \
                or not isinstance(record.get("argv"), list) or record.get("create_time") is None:
            raise ValueError("missing pid, argv or create_time")
        return record
    except (OSError, ValueError) as exc:
        # Half-written (the studio died mid-save) or damaged: nothing to act on safely.
        log.warning("ignoring unreadable pid file %s: %s", path, exc)
        with contextlib.suppress(OSError):
            path.unlink()
        return None

