"""hafs daemons: ``<root>/<daemon>/daemon_status.json`` + ``daemon.pid`` → facts about each.

Each daemon writes its own status schema (hafs-formats §4):

* autonomy ``{pid, running, last_update, check_interval_seconds, tasks:[{name, type, enabled,
  interval_seconds, last_run, last_status, last_error, last_report, is_due}]}``
* context agent ``{…, daily_report_count, daily_limit, check_interval_seconds, tasks:[{name,
  type, enabled, last_run, is_due}]}``
* embedding ``{…, daily_count, daily_limit, batch_size, interval_seconds,
  last_batch_generated, total_symbols, total_embeddings, coverage_percent}``
* observability ``{…, check_interval_seconds, summary:{timestamp, checks, alerts, actions} or
  {enabled:false}, actions:[…]}``
* training ``{status: running|idle|running_task|stopped, pid, updated, [current_task]}`` (no
  ``running`` key), its queue in ``scheduled_tasks.json`` (read only: hafs parses it strictly).
* on shutdown the first four become ``{running:false, stopped:<ISO>}`` and ``daemon.pid`` is
  deleted. Unknown daemons found by ``*/daemon_status.json`` get the generic reading.

Everything here is Qt-free and side-effect free: :func:`daemon_facts` turns file contents into
:class:`DaemonFacts`; the monitor adds the process check and the verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.plugins.agents.locations import DAEMONS
from studio.plugins.agents.model import TaskRow
from studio.plugins.agents.sources import FileReading, PidFile

Clock = Callable[[Any], "float | None"]  # a timestamp in a file → POSIX seconds (FileReading.time)

__all__ = [
    "EMBEDDING_IDLE_SLEEP_S",
    "DaemonFacts",
    "daemon_facts",
    "discover_daemon_dirs",
    "training_tasks",
]

# The embedding daemon sleeps 5 minutes instead of its interval when nothing was left to embed
# (hafs embedding_daemon.py _run_loop): its expected update period is then 300 s.
EMBEDDING_IDLE_SLEEP_S = 300.0


@dataclass(frozen=True)
class DaemonFacts:
    """What a daemon's files say, before asking the operating system about its pid."""

    name: str
    kind: str
    pid: int | None
    pid_written_at: float | None  # mtime of daemon.pid (else the status file's): identity check
    last_update: float | None
    interval_s: float | None
    busy: bool
    stopped_cleanly: bool
    stopped_at: float | None = None
    queue_depth: int | None = None
    tasks_done: int | None = None
    failures: int | None = None
    last_error: str = ""
    details: tuple[tuple[str, str], ...] = ()
    tasks: tuple[TaskRow, ...] = ()
    problems: tuple[str, ...] = field(default=())


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _int(value: Any) -> int | None:
    number = _num(value)
    return None if number is None else int(number)


def _tasks(tasks: Any, time: Clock) -> list[tuple[dict, float | None, float | None, bool]]:
    """(task, interval, last run, enabled) of each named task object (leniently: skip the
    rest)."""
    return [(task, _num(task.get("interval_seconds")), time(task.get("last_run")),
             task.get("enabled") is not False)
            for task in (tasks if isinstance(tasks, list) else ())
            if isinstance(task, dict) and isinstance(task.get("name"), str)]


def _status_tasks(agent: str, tasks: Any, now: float, source: str, time: Clock
                  ) -> tuple[TaskRow, ...]:
    """Autonomy / context daemon ``tasks`` arrays."""
    rows = []
    for task, interval, last_run, enabled in _tasks(tasks, time):
        next_run = None
        if enabled and interval is not None:
            next_run = (last_run + interval) if last_run is not None else now
        due = bool(task.get("is_due")) if "is_due" in task else (
            enabled and next_run is not None and next_run <= now)
        rows.append(TaskRow(agent, task["name"], str(task.get("type") or ""), enabled, interval,
                            last_run, next_run, due, str(task.get("last_status") or ""),
                            str(task.get("last_error") or ""), source))
    return tuple(rows)


def training_tasks(reading: FileReading, now: float, agent: str = "training_daemon"
                   ) -> tuple[TaskRow, ...]:
    """``training_daemon/scheduled_tasks.json`` ``{"tasks":[…TrainingTask…]}``, read only."""
    data = reading.data
    tasks = data.get("tasks") if isinstance(data, dict) else None
    rows = []
    for task, interval, last_run, enabled in _tasks(tasks, reading.time):
        # hafs's should_run(): enabled and (never ran or interval elapsed). next_run is stored
        # but hafs never fills it, so it is used only when present.
        next_run = reading.time(task.get("next_run"))
        if next_run is None and enabled:
            next_run = now if last_run is None else last_run + (interval or 86400.0)
        due = enabled and next_run is not None and next_run <= now
        label = str(task.get("task_type") or "")
        if task.get("domain"):
            label += f" ({task['domain']})"
        rows.append(TaskRow(agent, task["name"], label, enabled, interval, last_run,
                            next_run if enabled else None, due, "", "", str(reading.path)))
    return tuple(rows)


def daemon_facts(folder: str, status: FileReading, pid_file: PidFile, now: float, *,
                 scheduled: FileReading | None = None, name: str | None = None) -> DaemonFacts:
    """Interpret one daemon folder's files (see the module docstring for each schema).

    ``name``: the agent's name in the table (default the folder; ``folder@host`` remotely).
    """
    name = name or folder
    data = status.data if isinstance(status.data, dict) else {}
    problems = [p for p in (status.error, pid_file[2]) if p]
    if status.data is not None and not isinstance(status.data, dict):
        problems.append(f"{status.path}: expected a JSON object")
    pid_from_file, pid_mtime, _ = pid_file
    pid = pid_from_file if pid_from_file is not None else _int(data.get("pid"))
    pid = pid if pid is not None and pid > 0 else None
    written_at = pid_mtime if pid_from_file is not None else status.good_mtime
    last_update = status.time(data.get("last_update")) or status.time(data.get("updated"))
    spec = DAEMONS.get(folder)
    interval = (_num(data.get("check_interval_seconds")) or _num(data.get("interval_seconds"))
                or (spec.default_interval_s if spec else None))
    stopped_at = status.time(data.get("stopped"))
    stopped = (data.get("running") is False and "stopped" in data) or (
        data.get("status") == "stopped")
    kind = "hafs daemon" if folder in DAEMONS else "daemon"
    facts: dict[str, Any] = {"busy": True, "details": [], "tasks": ()}
    source = str(status.path)
    if folder == "training_daemon":
        _training(name, data, facts, scheduled, now)
    elif folder == "embedding_service":
        interval = _embedding(data, facts, interval)
    elif folder == "observability_daemon":
        _observability(data, facts)
    elif "tasks" in data:  # autonomy, context agent and unknown daemons with a task list
        _task_daemon(name, data, facts, now, source=source, time=status.time)
    if stopped and stopped_at is None and folder == "training_daemon":
        stopped_at = last_update
    return DaemonFacts(
        name=name, kind=kind, pid=pid, pid_written_at=written_at, last_update=last_update,
        interval_s=interval, busy=facts["busy"], stopped_cleanly=stopped, stopped_at=stopped_at,
        queue_depth=facts.get("queue_depth"), tasks_done=facts.get("tasks_done"),
        failures=facts.get("failures"), last_error=facts.get("last_error", ""),
        details=tuple(facts["details"]), tasks=facts["tasks"], problems=tuple(problems))


def _task_daemon(name: str, data: dict, facts: dict, now: float, *, source: str,
                 time: Clock) -> None:
    tasks = _status_tasks(name, data.get("tasks"), now, source, time)
    facts["tasks"] = tasks
    ran = [t for t in tasks if t.last_run is not None]
    facts["queue_depth"] = sum(1 for t in tasks if t.due and t.enabled)
    if any(t.last_status for t in tasks):  # autonomy: per-task outcome of the latest run
        facts["tasks_done"] = sum(1 for t in ran if t.last_status in ("success", "completed"))
        facts["failures"] = sum(1 for t in ran if t.last_status == "error")
        failed = sorted((t for t in ran if t.last_error), key=lambda t: t.last_run or 0)
        if failed:
            facts["last_error"] = f"{failed[-1].name}: {failed[-1].last_error}"
    facts["details"].append(("Tasks", f"{len(tasks)} ({sum(t.enabled for t in tasks)} enabled, "
                                      f"{facts['queue_depth']} due)"))
    if "daily_report_count" in data:  # context agent daemon
        facts["tasks_done"] = _int(data.get("daily_report_count"))
        facts["details"].append(("Reports today", f"{data.get('daily_report_count')} of "
                                                  f"{data.get('daily_limit', '?')}"))


def _training(name: str, data: dict, facts: dict, scheduled: FileReading | None, now: float
              ) -> None:
    state = str(data.get("status") or "")
    facts["busy"] = state == "running_task"
    facts["details"].append(("Daemon state", state or "?"))
    if data.get("current_task") and state == "running_task":
        facts["details"].append(("Current task", str(data["current_task"])))
        facts["details"].append(("Note", "the training daemon updates its status only between "
                                         "tasks; a long task looks Stale"))
    if scheduled is not None:
        tasks = training_tasks(scheduled, now, name)
        facts["tasks"] = tasks
        facts["queue_depth"] = sum(1 for t in tasks if t.due)
        if scheduled.error:
            facts["details"].append(("Task file", scheduled.error))


def _embedding(data: dict, facts: dict, interval: float | None) -> float | None:
    generated = _int(data.get("last_batch_generated"))
    total_symbols = _int(data.get("total_symbols"))
    total_embeddings = _int(data.get("total_embeddings"))
    facts["tasks_done"] = _int(data.get("daily_count"))
    if total_symbols is not None and total_embeddings is not None:
        facts["queue_depth"] = max(0, total_symbols - total_embeddings)
    facts["busy"] = bool(generated)
    facts["details"] += [
        ("Embedded today", f"{data.get('daily_count', '?')} of {data.get('daily_limit', '?')}"),
        ("Coverage", f"{data.get('total_embeddings', '?')} of {data.get('total_symbols', '?')}"
                     f" symbols ({data.get('coverage_percent', '?')} %)"),
        ("Last batch", f"{generated if generated is not None else '?'} of batch size "
                       f"{data.get('batch_size', '?')}"),
    ]
    if generated == 0:  # caught up: hafs sleeps 300 s before the next status update
        return max(interval or 0.0, EMBEDDING_IDLE_SLEEP_S)
    return interval


def _observability(data: dict, facts: dict) -> None:
    summary = data.get("summary") if isinstance(data.get("summary"), dict) else {}
    actions = data.get("actions") if isinstance(data.get("actions"), list) else []
    if summary.get("enabled") is False:
        facts["busy"] = False
        facts["details"].append(("Checks", "observability is disabled in hafs's config"))
        return
    facts["tasks_done"] = _int(summary.get("checks"))
    failed = [a for a in actions if isinstance(a, dict) and a.get("success") is False]
    facts["failures"] = len(failed)
    if failed:
        last = failed[-1]
        facts["last_error"] = (f"{last.get('action')} {last.get('target')}: "
                               f"{last.get('message') or last.get('reason') or 'failed'}")
    facts["details"] += [("Last pass", f"{summary.get('checks', '?')} checks, "
                                       f"{summary.get('alerts', '?')} alerts, "
                                       f"{summary.get('actions', '?')} actions")]


def discover_daemon_dirs(roots: tuple[Path, ...], expected: Callable[[str], Path]
                         ) -> list[tuple[str, Path]]:
    """(folder name, folder) of every ``<root>/*/`` holding ``daemon_status.json`` or
    ``daemon.pid``; a name found under several roots is read where hafs writes it
    (``expected(name)``), else where it was found first."""
    found: dict[str, Path] = {}
    for root in roots:
        try:
            children = sorted(root.iterdir())
        except OSError:
            continue
        for child in children:
            if child.name in found or not _has_daemon_files(child):
                continue
            preferred = expected(child.name)
            found[child.name] = preferred if (
                preferred != child and _has_daemon_files(preferred)) else child
    return list(found.items())


def _has_daemon_files(folder: Path) -> bool:
    return (folder / "daemon_status.json").is_file() or (folder / "daemon.pid").is_file()
