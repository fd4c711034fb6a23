"""The Agents workspace's records: one row per agent, its tasks, the swarm graph, events.

Plain frozen dataclasses, Qt-free, shared by the panel, the CLI and other plugins (through
:mod:`studio.plugins.agents.api`). Times are POSIX seconds (floats); ``None`` means unknown.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "SELECTION_KIND",
    "AgentEvent",
    "AgentRow",
    "AgentStatus",
    "ServiceState",
    "SwarmEdge",
    "SwarmGraph",
    "SwarmNode",
    "TaskRow",
]

SELECTION_KIND = "agent"  # studio.selection kind: agent names as the table shows them


class AgentStatus(enum.StrEnum):
    RUNNING = "Running"  # alive, recently heard from, working
    IDLE = "Idle"  # alive, recently heard from, nothing to do
    STALE = "Stale"  # alive (or unknown) but silent for longer than twice its interval
    STOPPED = "Stopped"  # ended cleanly
    FAILED = "Failed"  # ended without a clean stop (crash, kill, failed launch)

    @property
    def alive(self) -> bool:
        return self in (AgentStatus.RUNNING, AgentStatus.IDLE, AgentStatus.STALE)


@dataclass(frozen=True)
class ServiceState:
    """A hafs managed service as the init system sees it (systemd user unit or launchd)."""

    manager: str  # "systemd" or "launchd"
    unit: str  # hafs-autonomy-daemon / com.hafs.autonomy-daemon
    state: str  # running / stopped / failed / starting / stopping / unknown
    pid: int | None = None
    last_exit_code: int | None = None
    error: str | None = None  # why the state could not be read


@dataclass(frozen=True)
class TaskRow:
    """A scheduled task of a daemon (the task-queue view)."""

    agent: str
    name: str
    type: str = ""
    enabled: bool = True
    interval_s: float | None = None
    last_run: float | None = None
    next_run: float | None = None
    due: bool = False
    last_status: str = ""
    last_error: str = ""
    source: str = ""


@dataclass(frozen=True)
class AgentRow:
    """Everything the table, the detail view and ``agents list`` show about one agent."""

    name: str
    kind: str
    status: AgentStatus
    reason: str = ""  # why this status, in words
    pid: int | None = None
    host: str = ""
    local: bool = True  # pid and process identity checked on this machine
    remote_host: str = ""  # the sync.toml host it was read from (its pid checked there)
    create_time: float | None = None  # of the live process we verified (identity for Stop)
    started: float | None = None
    queue_depth: int | None = None
    tasks_done: int | None = None
    failures: int | None = None
    success_rate: float | None = None
    mean_latency_ms: float | None = None
    throughput_per_min: float | None = None
    last_error: str = ""
    last_update: float | None = None
    interval_s: float | None = None
    log_file: str = ""
    sources: tuple[str, ...] = ()
    service: ServiceState | None = None
    details: tuple[tuple[str, str], ...] = ()
    metrics: tuple[tuple[str, float], ...] = ()

    @property
    def stoppable(self) -> bool:
        """Alive with a verified process the studio can signal (here or through its host)."""
        return (self.status.alive and self.pid is not None and self.create_time is not None
                and (self.local or bool(self.remote_host)))

    def uptime_s(self, now: float) -> float | None:
        if self.started is None or not self.status.alive:
            return None
        return max(0.0, now - self.started)

    def as_json(self) -> dict[str, Any]:
        """The ``agents list --json`` record."""
        return {
            "name": self.name, "kind": self.kind, "status": self.status.value,
            "reason": self.reason, "pid": self.pid, "host": self.host,
            "remote_host": self.remote_host or None,
            "queue_depth": self.queue_depth, "tasks_done": self.tasks_done,
            "failures": self.failures, "success_rate": self.success_rate,
            "mean_latency_ms": self.mean_latency_ms,
            "throughput_per_min": self.throughput_per_min, "last_error": self.last_error,
            "last_update": self.last_update, "started": self.started,
            "log_file": self.log_file or None, "sources": list(self.sources),
        }


@dataclass(frozen=True)
class AgentEvent:
    """One line of ``agents.jsonl``, normalised (the event stream and ``agents events``)."""

    timestamp: float | None
    agent: str
    event: str
    task: str = ""
    error: str = ""
    items: int | None = None
    duration_ms: float | None = None
    value: float | None = None  # queue depth or a metric's value
    name: str = ""  # a metric's name
    pid: int | None = None
    host: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    def summary(self) -> str:
        """The stream's "details" column."""
        parts = []
        if self.task:
            parts.append(self.task)
        if self.event == "success" and self.items:
            parts.append(f"{self.items} items")
        if self.duration_ms is not None:
            parts.append(f"{self.duration_ms:.0f} ms")
        if self.event == "queue" and self.value is not None:
            parts.append(f"depth {self.value:g}")
        if self.event == "metric":
            parts.append(f"{self.name} = {self.value:g}" if self.value is not None else self.name)
        if self.event == "stop":
            reason = self.raw.get("reason")
            if reason:
                parts.append(str(reason))
            if self.raw.get("exit_code") not in (None, 0):
                parts.append(f"exit code {self.raw['exit_code']}")
        if self.error:
            parts.append(self.error)
        return " · ".join(parts)


@dataclass(frozen=True)
class SwarmNode:
    id: str
    label: str
    status: str = "pending"


@dataclass(frozen=True)
class SwarmEdge:
    source: str
    target: str
    label: str = ""


@dataclass(frozen=True)
class SwarmGraph:
    nodes: tuple[SwarmNode, ...] = ()
    edges: tuple[SwarmEdge, ...] = ()
    topic: str = ""
    start_time: str = ""
    path: str = ""
    error: str = ""
