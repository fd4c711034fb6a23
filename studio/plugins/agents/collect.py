"""Every agent of one machine: daemon folders, the campaign, agents known from events.

:func:`collect_agents` reads through an :class:`~.files.AgentFiles` (this machine or a remote
host) and the event summaries of that machine's ``agents.jsonl``, and returns table rows, task
rows and problems. Remote rows are named ``<agent>@<host>`` so that two machines running the
same daemon never share a row (and ``agents stop NAME`` stays unambiguous).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from studio.plugins.agents.campaign import campaign_facts
from studio.plugins.agents.daemons import daemon_facts, training_tasks
from studio.plugins.agents.locations import SCHEDULED_TASKS_FILE, daemon_log_name
from studio.plugins.agents.rows import campaign_row, daemon_row, event_row

if TYPE_CHECKING:
    from studio.plugins.agents.aggregate import AgentSummary
    from studio.plugins.agents.files import AgentFiles
    from studio.plugins.agents.model import AgentRow, ServiceState, TaskRow

__all__ = ["Collected", "collect_agents", "qualified", "split_qualified"]


@dataclass
class Collected:
    rows: list[AgentRow] = field(default_factory=list)
    tasks: list[TaskRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def qualified(name: str, remote_host: str) -> str:
    """The table name of agent ``name`` read from ``remote_host`` ("" for this machine)."""
    return f"{name}@{remote_host}" if remote_host else name


def split_qualified(name: str, remote_hosts: set[str] | frozenset[str]) -> tuple[str, str]:
    """(agent, remote host) of a table name; ("name", "") when no watched host is named."""
    agent, at, host = name.rpartition("@")
    if at and host in remote_hosts:
        return agent, host
    return name, ""


def collect_agents(files: AgentFiles, summaries: Mapping[str, AgentSummary], *, now: float,
                   events_path: str, stale_after_s: float,
                   services: Mapping[str, ServiceState] | None = None) -> Collected:
    remote = files.remote_host
    out = Collected()
    names: set[str] = set()
    for folder in files.daemon_dirs():
        status = files.read_json(f"{folder}/daemon_status.json")
        scheduled = files.read_json(SCHEDULED_TASKS_FILE) if folder == "training_daemon" \
            else None
        name = qualified(folder, remote)
        facts = daemon_facts(folder, status, files.read_pid(f"{folder}/daemon.pid"), now,
                             scheduled=scheduled, name=name)
        out.problems += facts.problems
        log = daemon_log_name(folder)
        log_file = files.show(log) if log and files.mtime(log) is not None else ""
        out.rows.append(daemon_row(
            facts, summaries.get(folder), now=now, host=files.host, log_file=log_file,
            sources=(files.show(f"{folder}/daemon_status.json"),
                     files.show(f"{folder}/daemon.pid")),
            service=(services or {}).get(folder), check=files.check, remote_host=remote))
        out.tasks += facts.tasks
        names.add(folder)
    if "training_daemon" not in names:  # the queue file can outlive the daemon's status
        scheduled = files.read_json(SCHEDULED_TASKS_FILE)
        if scheduled.exists:
            out.tasks += training_tasks(scheduled, now, qualified("training_daemon", remote))
    campaign = campaign_facts(files)
    if campaign is not None:
        out.rows.append(campaign_row(campaign, now=now, host=files.host, check=files.check,
                                     name=qualified("campaign", remote), remote_host=remote))
        out.problems += campaign.problems
        names.add("campaign")
    out.rows += [event_row(summary, now=now, host=files.host, events_path=events_path,
                           stale_after_s=stale_after_s, check=files.check,
                           here=files.is_this_host(summary.host), name=qualified(name, remote),
                           remote_host=remote)
                 for name, summary in summaries.items() if name not in names]
    return out
