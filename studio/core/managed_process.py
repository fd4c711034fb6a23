"""A managed child process and what it reports: lines, tails, exit status, failure.

:class:`ManagedProcess` objects are made by :meth:`studio.core.process.ProcessManager.spawn`;
this module holds them, the reader threads that turn their pipes into lines
(:func:`pump_output`) and the data types callers see.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from studio.core.events import Event
from studio.core.process_group import stop_group
from studio.core.process_output import LineSplitter, ProcessLog, TailBuffer

if TYPE_CHECKING:
    import subprocess

__all__ = [
    "DEFAULT_GRACE_S",
    "LineCallback",
    "ManagedProcess",
    "ProcessChanged",
    "ProcessFailed",
    "ProcessResult",
    "pump_output",
]

log = logging.getLogger(__name__)

DEFAULT_GRACE_S = 5.0
TAIL_LINES = 50
_READ_SIZE = 65536

LineCallback = Callable[[str, str], None]  # (stream: "stdout" | "stderr", line)


class ProcessFailed(Exception):
    """A managed process exited with a non-zero status; the message ends with its stderr tail."""

    def __init__(self, name: str, returncode: int, stderr_tail: Sequence[str],
                 log_file: Path | None) -> None:
        self.name = name
        self.returncode = returncode
        self.stderr_tail = list(stderr_tail)
        self.log_file = log_file
        where = f" (log: {log_file})" if log_file else ""
        tail = "\n".join(self.stderr_tail[-15:])
        super().__init__(f"{name} exited with status {returncode}{where}"
                         + (f":\n{tail}" if tail else ""))


@dataclass(frozen=True, slots=True)
class ProcessChanged(Event):
    """A managed process started or ended (``state``: "running", "exited", "terminated")."""

    topic = "process.changed"
    name: str = ""
    owner: str = ""
    pid: int = 0
    state: str = ""
    returncode: int | None = None
    log_file: str | None = None


@dataclass(frozen=True)
class ProcessResult:
    """What :meth:`ProcessManager.run` returns for a successful process."""

    returncode: int
    stdout: list[str]  # captured stdout lines (empty unless ``capture_stdout``)
    stderr_tail: list[str]
    log_file: Path | None
    seconds: float


@dataclass(eq=False)
class ManagedProcess:
    """A running (or finished) managed child. Created by :meth:`ProcessManager.spawn`."""

    name: str
    owner: str
    argv: list[str]
    log_file: Path | None
    popen: subprocess.Popen[bytes] = field(repr=False)
    started_at: float = field(default_factory=time.time)
    long_lived: bool = False
    cancelled: bool = False
    _stderr: TailBuffer = field(default_factory=lambda: TailBuffer(TAIL_LINES), repr=False)
    _output: TailBuffer = field(default_factory=lambda: TailBuffer(TAIL_LINES), repr=False)
    _finished: threading.Event = field(default_factory=threading.Event, repr=False)
    _stop_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def running(self) -> bool:
        return self.popen.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.popen.poll()

    @property
    def finished(self) -> bool:
        """Exited and its output fully read (lines delivered, log closed)."""
        return self._finished.is_set()

    @property
    def stderr_tail(self) -> list[str]:
        """The last non-blank stderr lines (about 50)."""
        return self._stderr.lines()

    @property
    def output_tail(self) -> list[str]:
        """The last non-blank lines of stdout and stderr together, in arrival order."""
        return self._output.lines()

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the exit and for every output line; :class:`TimeoutError` after ``timeout``."""
        if not self._finished.wait(timeout):
            raise TimeoutError(f"{self.name} (pid {self.pid}) still runs after {timeout} s")
        code = self.popen.returncode
        assert code is not None
        return code

    def terminate(self, grace_s: float = DEFAULT_GRACE_S) -> bool:
        """Stop the process group: SIGTERM, SIGKILL after ``grace_s``. True if it had to be
        killed. Safe to call from any thread, repeatedly, and after the process ended."""
        with self._stop_lock:
            if self.popen.poll() is not None and self._finished.is_set():
                return False
            self.cancelled = True
            return stop_group(self.pid, grace_s, lambda: self.popen.poll() is not None)

    def failure(self) -> ProcessFailed:
        code = self.popen.returncode
        assert code is not None, "the process has not exited"
        return ProcessFailed(self.name, code, self.stderr_tail or self.output_tail, self.log_file)


def pump_output(stream: IO[bytes], label: str, process: ManagedProcess, process_log: ProcessLog, *,
          on_line: LineCallback | None, on_partial: LineCallback | None) -> None:
    """Read one pipe until EOF: lines to the tails, the log and the caller."""
    splitter = LineSplitter()
    tails = [process._output, process._stderr] if label == "stderr" else [process._output]

    def deliver(lines: list[str]) -> None:
        process_log.write(lines)
        for line in lines:
            for tail in tails:
                tail.add(line)
            if on_line is not None:
                _guarded(on_line, process, label, line)

    try:
        while chunk := stream.read(_READ_SIZE):
            deliver(splitter.feed(chunk))
            pending = splitter.pending()
            if pending and on_partial is not None:
                _guarded(on_partial, process, label, pending)
        deliver(splitter.close())
    except (OSError, ValueError):  # the pipe was closed under us (interpreter exit)
        pass
    finally:
        stream.close()


def _guarded(callback: LineCallback, process: ManagedProcess, label: str, line: str) -> None:
    try:
        callback(label, line)
    except Exception:  # a caller's bug must not stop the pipe from draining (the child would
        log.exception("output callback of %s failed", process.name)  # block on a full pipe)
