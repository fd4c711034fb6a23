"""Managed subprocesses: the one way every feature starts an external program.

Quantization, llama.cpp's converter, model servers, agents and trainers all run through
:class:`ProcessManager` (``studio.services.process``), which guarantees:

* **No shell.** ``argv`` is a list; nothing is ever parsed by a shell.
* **Own process group.** Cancelling stops the program *and* whatever it started: SIGTERM to the
  group, SIGKILL after a grace period (Windows: CTRL_BREAK, then ``taskkill /T /F``), see
  :mod:`studio.core.process_group`.
* **Output as lines.** stdout and stderr are read on two threads and handed to ``on_line``
  line by line (``\\r``-redrawn progress bars included, through ``on_partial``) and written to a
  log file (``<state>/logs/<owner>/<name>-<time>.log``) the log viewer can open.
* **Failures as data.** A non-zero exit is a :class:`ProcessFailed` carrying the exit status,
  the tail of stderr and the log file.
* **Owners.** Each process belongs to a plugin (by default the one acting now);
  :meth:`ProcessManager.terminate_owned` stops a plugin's processes when it is torn down.
* **Nothing left behind.** :meth:`ProcessManager.shutdown` runs when the studio exits (also from
  ``atexit``); long-lived processes leave a pid file so that, after a hard crash, the next start
  finds them (:meth:`ProcessManager.orphans`, :mod:`studio.core.process_orphans`).
"""

from __future__ import annotations

import atexit
import contextlib
import datetime
import itertools
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from studio.core.events import EventBus
from studio.core.jobs import NULL_CONTEXT, JobCancelled, JobContext
from studio.core.managed_process import (
    DEFAULT_GRACE_S,
    LineCallback,
    ManagedProcess,
    ProcessChanged,
    ProcessFailed,
    ProcessResult,
    pump_output,
)
from studio.core.process_group import new_group_options, process_create_time
from studio.core.process_orphans import OrphanProcess, PidFiles
from studio.core.process_output import ProcessLog

__all__ = [
    "DEFAULT_GRACE_S",
    "ManagedProcess",
    "OrphanProcess",
    "ProcessChanged",
    "ProcessFailed",
    "ProcessManager",
    "ProcessResult",
    "install_exit_on_signals",
]

log = logging.getLogger(__name__)

KEEP_LOGS = 20  # per owner and process name
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")

class ProcessManager:
    """Spawns, tracks and stops the studio's child processes (one per studio: no globals).

    ``state_dir``: where logs (``logs/``) and pid files (``processes/``) go; None keeps no
    log files and allows no long-lived processes (a domain function called without a studio).
    ``owner_of()``: the plugin acting now (the studio passes its plugin manager's).
    """

    def __init__(self, state_dir: Path | None = None, *, bus: EventBus | None = None,
                 owner_of: Callable[[], str] | None = None,
                 grace_s: float = DEFAULT_GRACE_S) -> None:
        self.state_dir = state_dir
        self.logs_dir = state_dir / "logs" if state_dir is not None else None
        self.pid_files = PidFiles(state_dir / "processes") if state_dir is not None else None
        self.grace_s = grace_s
        self._bus = bus
        self._owner_of = owner_of or (lambda: "studio")
        self._live: dict[int, ManagedProcess] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._atexit_registered = False
        self._serial = itertools.count(1)

    # -- starting ----------------------------------------------------------------------------
    def spawn(self, argv: Sequence[str | os.PathLike[str]], *, name: str,
              owner: str | None = None, cwd: str | os.PathLike[str] | None = None,
              env: Mapping[str, str | None] | None = None,
              log_file: str | os.PathLike[str] | None = None,
              on_line: LineCallback | None = None, on_partial: LineCallback | None = None,
              on_exit: Callable[[ManagedProcess], None] | None = None,
              long_lived: bool = False) -> ManagedProcess:
        """Start ``argv`` (no shell) in its own process group and return it at once.

        ``env``: variables set (or, with None, removed) on top of this process's environment.
        ``on_line(stream, line)``: each complete line, from a reader thread. ``on_partial``:
        the unterminated rest after each read (a ``\\r`` progress bar), for progress parsers.
        ``on_exit(process)``: once the exit status is known and all output delivered.
        ``long_lived``: keep a pid file so a crash of the studio leaves a findable orphan.
        """
        argv = [os.fspath(arg) for arg in argv]
        if not argv:
            raise ValueError("argv is empty")
        owner = owner or self._owner_of()
        _check_name("process name", name)
        _check_name("owner", owner)
        if long_lived and self.pid_files is None:
            raise ValueError("long-lived processes need a process manager with a state folder")
        with self._lock:
            if self._closed:
                raise RuntimeError("the process manager is shut down")
        import subprocess  # here: the studio starts without it

        log_path = Path(log_file) if log_file is not None else self._default_log(owner, name)
        process_log = ProcessLog(log_path)
        process_log.note(f"{name} (owner {owner}): {subprocess.list2cmdline(argv)}")
        if cwd is not None:
            process_log.note(f"working folder: {os.fspath(cwd)}")
        try:
            popen = subprocess.Popen(argv, cwd=cwd, env=_environment(env),
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, bufsize=0, **new_group_options())
        except OSError as exc:
            process_log.note(f"could not start: {exc}")
            process_log.close()
            raise
        process = ManagedProcess(name, owner, argv, log_path, popen, long_lived=long_lived)
        if long_lived and self.pid_files is not None:
            self.pid_files.write(process.pid, process_create_time(process.pid), name=name,
                                 owner=owner, argv=argv, log_file=log_path)
        with self._lock:
            self._live[process.pid] = process
            self._register_atexit()
        self._publish(process, "running")
        readers = [
            _start_thread(f"{name}-{label}", pump_output, pipe, label, process, process_log,
                          on_line=on_line, on_partial=on_partial)
            for label, pipe in (("stdout", popen.stdout), ("stderr", popen.stderr))
        ]
        _start_thread(f"{name}-wait", self._await_exit, process, process_log, readers, on_exit)
        return process

    def run(self, argv: Sequence[str | os.PathLike[str]], *, name: str,
            ctx: JobContext = NULL_CONTEXT, owner: str | None = None,
            cwd: str | os.PathLike[str] | None = None,
            env: Mapping[str, str | None] | None = None,
            log_file: str | os.PathLike[str] | None = None,
            on_line: LineCallback | None = None, on_partial: LineCallback | None = None,
            capture_stdout: bool = False, timeout: float | None = None,
            grace_s: float | None = None) -> ProcessResult:
        """Run ``argv`` to completion on this (job) thread.

        Cancelling ``ctx`` terminates the process group and raises ``JobCancelled``; a non-zero
        exit raises :class:`ProcessFailed`; ``timeout`` (seconds) terminates it and raises
        :class:`TimeoutError`. Every output line has been delivered when this returns.
        """
        ctx.raise_if_cancelled()
        captured: list[str] = []

        def line(stream: str, text: str) -> None:
            if capture_stdout and stream == "stdout":
                captured.append(text)
            if on_line is not None:
                on_line(stream, text)

        started = time.monotonic()
        process = self.spawn(argv, name=name, owner=owner, cwd=cwd, env=env, log_file=log_file,
                             on_line=line, on_partial=on_partial)
        grace = self.grace_s if grace_s is None else grace_s
        try:
            while not process._finished.wait(0.05):
                if ctx.cancelled:
                    process.terminate(grace)
                    raise JobCancelled()
                if timeout is not None and time.monotonic() - started > timeout:
                    process.terminate(grace)
                    raise TimeoutError(f"{name} did not finish within {timeout} s "
                                       f"(log: {process.log_file})")
        finally:
            if not process.finished:  # an exception in this thread (KeyboardInterrupt …)
                process.terminate(grace)
                process._finished.wait(grace + 5)
        code = process.wait()
        if ctx.cancelled:
            raise JobCancelled()
        if code != 0:
            raise process.failure()
        return ProcessResult(code, captured, process.stderr_tail, process.log_file,
                             time.monotonic() - started)

    # -- tracking and stopping ---------------------------------------------------------------
    def processes(self, owner: str | None = None) -> list[ManagedProcess]:
        """Running processes (of ``owner`` when given), oldest first."""
        with self._lock:
            live = list(self._live.values())
        return [p for p in live if owner is None or p.owner == owner]

    def terminate_owned(self, owner: str, grace_s: float | None = None) -> list[ManagedProcess]:
        """Stop every process of plugin ``owner`` (its teardown); return them."""
        return self._terminate_all(self.processes(owner), grace_s)

    def orphans(self) -> list[OrphanProcess]:
        """Long-lived processes a previous, crashed session left running (pid files checked
        against each process's creation time and command line; stale files are removed)."""
        if self.pid_files is None:
            return []
        with self._lock:
            ours = set(self._live)
        return self.pid_files.orphans(exclude=ours)

    def shutdown(self, grace_s: float | None = None) -> None:
        """Stop every managed process (the studio is exiting); no new ones start afterwards."""
        with self._lock:
            self._closed = True
            if self._atexit_registered:
                atexit.unregister(self.shutdown)
                self._atexit_registered = False
        self._terminate_all(self.processes(), grace_s)

    def _terminate_all(self, processes: list[ManagedProcess],
                       grace_s: float | None) -> list[ManagedProcess]:
        # In parallel: n processes stop within one grace period, not n of them.
        grace = self.grace_s if grace_s is None else grace_s
        threads = [_start_thread(f"stop-{p.name}", p.terminate, grace) for p in processes]
        for thread in threads:
            thread.join()
        for process in processes:
            process._finished.wait(5)
        return processes

    # -- internals ---------------------------------------------------------------------------
    def _default_log(self, owner: str, name: str) -> Path | None:
        if self.logs_dir is None:
            return None
        folder = self.logs_dir / owner
        folder.mkdir(parents=True, exist_ok=True)
        _prune_logs(folder, name)
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        path = folder / f"{name}-{stamp}.log"
        while path.exists():  # two starts within a second
            path = folder / f"{name}-{stamp}-{next(self._serial)}.log"
        return path

    def _await_exit(self, process: ManagedProcess, process_log: ProcessLog,
                    readers: list[threading.Thread],
                    on_exit: Callable[[ManagedProcess], None] | None) -> None:
        code = process.popen.wait()
        for reader in readers:
            # A grandchild may hold the pipes open after the leader exited; its output is not
            # worth hanging for.
            reader.join(timeout=2.0)
        how = "terminated" if process.cancelled else "exited"
        process_log.note(f"{how} with status {code} after "
                         f"{time.time() - process.started_at:.1f} s")
        process_log.close()
        if process.long_lived and self.pid_files is not None:
            self.pid_files.remove(process.pid)
        with self._lock:
            self._live.pop(process.pid, None)
            if not self._live and self._atexit_registered:
                # Nothing to stop at exit any more; also lets a short-lived manager (a version
                # probe) be collected instead of living on in atexit's list.
                atexit.unregister(self.shutdown)
                self._atexit_registered = False
        process._finished.set()
        self._publish(process, how)
        if on_exit is not None:
            try:
                on_exit(process)
            except Exception:
                log.exception("on_exit callback of %s failed", process.name)

    def _publish(self, process: ManagedProcess, state: str) -> None:
        if self._bus is not None:
            self._bus.publish(ProcessChanged(
                name=process.name, owner=process.owner, pid=process.pid, state=state,
                returncode=process.popen.returncode,
                log_file=str(process.log_file) if process.log_file else None))

    def _register_atexit(self) -> None:
        # Per manager, while it has children: a CLI that ends without Studio.shutdown (an
        # exception, sys.exit) still stops them. Unregistered again by shutdown().
        if not self._atexit_registered:
            atexit.register(self.shutdown)
            self._atexit_registered = True


def install_exit_on_signals() -> None:
    """Make SIGTERM and SIGHUP end this process through ``SystemExit`` (main thread only).

    By default they kill Python on the spot: no ``finally``, no ``atexit``, so managed children
    would outlive a terminated ``hafs-studio`` command. Handlers someone else installed are
    left alone. Windows has neither signal; there the console's close events end the process
    group (our children have their own groups and are stopped by ``atexit``).
    """
    import signal

    if threading.current_thread() is not threading.main_thread():
        return

    def exit_now(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None and signal.getsignal(number) is signal.SIG_DFL:
            signal.signal(number, exit_now)


def _start_thread(name: str, target: Callable[..., Any], *args: Any,
                  **kwargs: Any) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, kwargs=kwargs, name=f"process-{name}",
                              daemon=True)
    thread.start()
    return thread


def _environment(overrides: Mapping[str, str | None] | None) -> dict[str, str] | None:
    if not overrides:
        return None
    env = dict(os.environ)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _check_name(what: str, value: str) -> None:
    # Names become file names (logs, pid files): no separators, no traversal, no surprises.
    if not _SAFE_NAME.match(value or ""):
        raise ValueError(f"{what} {value!r} must be 1-80 letters, digits, '.', '_' or '-' and "
                         "start with a letter or digit")


def _prune_logs(folder: Path, name: str) -> None:
    own = re.compile(re.escape(name) + r"-\d{8}-\d{6}(-\d+)?\.log")  # not "<name>-server-…"
    logs = sorted((p for p in folder.glob(f"{name}-*.log") if own.fullmatch(p.name)),
                  key=lambda p: p.stat().st_mtime)
    for old in logs[:max(0, len(logs) - (KEEP_LOGS - 1))]:
        with contextlib.suppress(OSError):
            old.unlink()
