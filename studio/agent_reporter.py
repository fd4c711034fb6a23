"""Report what an agent is doing to HAFS Studio (and hafs) through ``metrics/agents.jsonl``.

A small, dependency-free module (standard library only, Python 3.8+ syntax) that any Python
agent can copy or import. It appends one JSON object per line to the agents event file that
the studio's Agents workspace reads; the protocol is documented in ``docs/agents.md``. The task
events are hafs's own (``start``, ``success``, ``failure``, as written by hafs's
``core.metrics.MetricsLogger``), so hafs's readers understand them too; heartbeats, queue depth,
custom metrics and ``stop`` are additions the studio uses for liveness and charts::

    from studio.agent_reporter import AgentReporter

    reporter = AgentReporter("doc-indexer", kind="indexer", interval=30)
    reporter.start_heartbeats()              # a heartbeat every 30 s from a daemon thread
    with reporter.task("index batch") as task:
        task.items_processed = index_some_files()
    reporter.queue_depth(42)
    reporter.metric("files_per_second", 12.5)
    reporter.stopped()                       # on a clean shutdown

Several processes may append to the same file at once: every line is written with a single
``write()`` on a descriptor opened with ``O_APPEND`` and is at most :data:`MAX_LINE_BYTES`
long, so lines never interleave or tear on a local file system.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = [
    "MAX_LINE_BYTES",
    "PROTOCOL_VERSION",
    "AgentReporter",
    "TaskHandle",
    "default_events_path",
    "encode_event",
]

PROTOCOL_VERSION = 1
# One line = one write(); 4 KiB keeps each append within a page and within PIPE_BUF, so even
# readers tailing over pipes (ssh tail -f) receive whole lines.
MAX_LINE_BYTES = 4096
EVENTS_FILE_ENV = "HAFS_AGENT_EVENTS"
_TRUNCATION_MARK = "…[truncated]"


def default_events_path(environ: dict[str, str] | None = None) -> Path:
    """Where events go when no path is given.

    ``$HAFS_AGENT_EVENTS`` (a file), else ``<root>/metrics/agents.jsonl`` where root is
    ``$HAFS_CONTEXT_ROOT``, else ``[general].context_root`` of hafs's config file (read on
    Python 3.11+, which has ``tomllib``), else ``~/.context`` — the configured root that hafs's
    ``MetricsLogger`` writes to.
    """
    env = os.environ if environ is None else environ
    explicit = env.get(EVENTS_FILE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    root = env.get("HAFS_CONTEXT_ROOT") or _configured_root(env)
    base = Path(root).expanduser() if root else Path(env.get("HOME") or Path.home()) / ".context"
    return base / "metrics" / "agents.jsonl"


def _configured_root(env: dict[str, str]) -> str | None:
    try:
        import tomllib  # Python 3.11+
    except ImportError:
        return None
    config = env.get("HAFS_CONFIG_PATH") or os.path.join(
        env.get("HOME") or str(Path.home()), ".config", "hafs", "config.toml")
    try:
        with open(os.path.expanduser(config), "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, ValueError):
        return None
    general = data.get("general")
    value = general.get("context_root") if isinstance(general, dict) else None
    return value if isinstance(value, str) and value else None


def _now_iso() -> str:
    # hafs writes naive local ISO timestamps (datetime.now().isoformat()); so do we, so hafs's
    # readers can compare them with datetime.now().
    return datetime.now().isoformat(timespec="microseconds")


def encode_event(fields: dict[str, Any]) -> bytes:
    """One protocol line (UTF-8, newline-terminated, at most :data:`MAX_LINE_BYTES`).

    Over-long text fields (``error`` first, then other strings, longest first) are cut and
    marked; a line that still does not fit raises ``ValueError`` naming the agent.
    """
    line = _dump(fields)
    if len(line) <= MAX_LINE_BYTES:
        return line
    trimmed = dict(fields)
    trimmed["truncated"] = True
    line = _dump(trimmed)
    keys = sorted((k for k, v in trimmed.items() if isinstance(v, str) and k not in
                   ("agent", "event", "timestamp")),
                  key=lambda k: (k != "error", -len(trimmed[k])))
    mark = _TRUNCATION_MARK.encode("utf-8")
    for key in keys:
        encoded = trimmed[key].encode("utf-8")
        # JSON escapes can make a character longer in the line than in UTF-8: cut, re-measure.
        while len(line) > MAX_LINE_BYTES and encoded:
            keep = max(0, len(encoded) - (len(line) - MAX_LINE_BYTES) - len(mark))
            encoded = encoded[:keep]
            trimmed[key] = encoded.decode("utf-8", "ignore") + _TRUNCATION_MARK
            line = _dump(trimmed)
        if len(line) <= MAX_LINE_BYTES:
            return line
    raise ValueError(f"agent {fields.get('agent')!r}: event {fields.get('event')!r} is "
                     f"{len(line)} bytes, over the {MAX_LINE_BYTES}-byte line limit")


def _dump(fields: dict[str, Any]) -> bytes:
    return (json.dumps(fields, ensure_ascii=False, separators=(",", ":"), default=str)
            + "\n").encode("utf-8")


class TaskHandle:
    """A task in progress: set ``items_processed`` before the ``with`` block ends."""

    def __init__(self, reporter: AgentReporter, name: str, task_id: str) -> None:
        self.reporter = reporter
        self.name = name
        self.task_id = task_id
        self.items_processed = 0
        self.started = time.monotonic()

    @property
    def elapsed_ms(self) -> float:
        return (time.monotonic() - self.started) * 1000.0


class AgentReporter:
    """Writes one agent's events; safe to share between threads of one process."""

    def __init__(self, agent: str, path: os.PathLike | None = None, *, kind: str = "agent",
                 interval: float = 30.0, log_file: os.PathLike | None = None) -> None:
        if not isinstance(agent, str) or not agent.strip():
            raise ValueError("agent name must be a non-empty string")
        if interval <= 0:
            raise ValueError(f"agent {agent!r}: interval must be positive, got {interval!r}")
        self.agent = agent
        self.path = Path(path) if path is not None else default_events_path()
        self.kind = kind
        self.interval = float(interval)
        self.log_file = str(log_file) if log_file is not None else None
        self.pid = os.getpid()
        self.host = socket.gethostname()
        self.started = _now_iso()
        self._heartbeat_stop = threading.Event()
        self._heartbeat_thread: threading.Thread | None = None
        self._queue_depth: int | None = None

    # -- the protocol ----------------------------------------------------------------------
    def emit(self, event: str, **fields: Any) -> None:
        """Append one event line; ``None`` values are left out."""
        record = {"agent": self.agent, "event": event, "timestamp": _now_iso(),
                  "pid": self.pid, "host": self.host, "v": PROTOCOL_VERSION}
        record.update({k: v for k, v in fields.items() if v is not None})
        line = encode_event(record)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(str(self.path), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            written = os.write(fd, line)
        finally:
            os.close(fd)
        if written != len(line):  # a full disk; the partial line is skipped by readers
            raise OSError(f"{self.path}: wrote {written} of {len(line)} bytes (disk full?)")

    def heartbeat(self, queue_depth: int | None = None, **metrics: Any) -> None:
        """I am alive (the studio marks an agent Stale after two missed intervals)."""
        if queue_depth is not None:
            self._queue_depth = int(queue_depth)
        self.emit("heartbeat", kind=self.kind, interval_seconds=self.interval,
                  started=self.started, queue_depth=self._queue_depth, log_file=self.log_file,
                  **metrics)

    def task_started(self, task: str = "", task_id: str | None = None) -> str:
        """hafs's ``start``; returns the task id to pass to :meth:`task_finished`/``failed``."""
        task_id = task_id or uuid.uuid4().hex[:12]
        self.emit("start", task=task or None, task_id=task_id)
        return task_id

    def task_finished(self, task_id: str | None = None, *, task: str = "",
                      items_processed: int = 0, duration_ms: float | None = None) -> None:
        """hafs's ``success`` (with ``items_processed``, as hafs writes it)."""
        self.emit("success", task=task or None, task_id=task_id,
                  items_processed=int(items_processed),
                  duration_ms=None if duration_ms is None else round(float(duration_ms), 3))

    def task_failed(self, error: object, task_id: str | None = None, *, task: str = "",
                    duration_ms: float | None = None) -> None:
        """hafs's ``failure`` (with ``error`` as text)."""
        self.emit("failure", task=task or None, task_id=task_id, error=str(error),
                  duration_ms=None if duration_ms is None else round(float(duration_ms), 3))

    @contextlib.contextmanager
    def task(self, name: str = "") -> Iterator[TaskHandle]:
        """``start`` now; ``success`` when the block ends, ``failure`` if it raises (re-raised)."""
        handle = TaskHandle(self, name, self.task_started(name))
        try:
            yield handle
        except BaseException as exc:
            self.task_failed(f"{type(exc).__name__}: {exc}", handle.task_id, task=name,
                             duration_ms=handle.elapsed_ms)
            raise
        self.task_finished(handle.task_id, task=name, items_processed=handle.items_processed,
                           duration_ms=handle.elapsed_ms)

    def queue_depth(self, depth: int) -> None:
        """How many items wait for this agent (shown in the table and the queue view)."""
        self._queue_depth = int(depth)
        self.emit("queue", depth=self._queue_depth)

    def metric(self, name: str, value: float, unit: str | None = None) -> None:
        """A custom number (tokens/s, GPU %, …), shown in the agent's details."""
        self.emit("metric", name=str(name), value=float(value), unit=unit)

    def stopped(self, reason: str = "", exit_code: int = 0, error: str | None = None) -> None:
        """A clean exit (``exit_code`` 0) is Stopped; anything else is Failed."""
        self.stop_heartbeats()
        self.emit("stop", reason=reason or None, exit_code=int(exit_code), error=error)

    # -- heartbeats on a thread ------------------------------------------------------------
    def start_heartbeats(self) -> None:
        """Send a heartbeat now and every ``interval`` seconds until :meth:`stop_heartbeats`."""
        if self._heartbeat_thread is not None:
            return
        self._heartbeat_stop.clear()
        self.heartbeat()
        thread = threading.Thread(target=self._beat, name=f"heartbeat-{self.agent}",
                                  daemon=True)
        self._heartbeat_thread = thread
        thread.start()

    def stop_heartbeats(self) -> None:
        thread, self._heartbeat_thread = self._heartbeat_thread, None
        if thread is not None:
            self._heartbeat_stop.set()
            if thread is not threading.current_thread():
                thread.join(timeout=5)

    def _beat(self) -> None:
        while not self._heartbeat_stop.wait(self.interval):
            try:
                self.heartbeat()
            except OSError:
                # The next beat retries; a missing heartbeat is exactly what the studio shows.
                continue
