"""``hafs-studio agents …``: the Agents workspace for terminals and scripts.

Headless (never imports Qt), built on the same :class:`AgentsMonitor` as the panel.
``list --json`` prints ``{"agents": [{name, status, pid, tasks_done, failures, success_rate,
last_error, …}], "events_file": …, "looked_at": [...]}``.

Exit codes: 0 success · 1 failure (an action refused or failed) · 2 bad usage or unknown agent.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from studio.api import format_duration
from studio.plugins.agents.aggregate import normalise_event
from studio.plugins.agents.api import ControlError, agents, agents_monitor
from studio.plugins.agents.eventlog import EventLogTail, parse_lines
from studio.plugins.agents.model import AgentEvent, AgentStatus
from studio.plugins.agents.present import (
    STATUS_STYLE,
    format_percent,
    format_time,
    how_to_report,
)

__all__ = ["app"]

EXIT_FAILED = 1
EXIT_USAGE = 2

app = typer.Typer(help="Background agents: hafs daemons, campaigns and any agent that reports "
                  "to metrics/agents.jsonl.", no_args_is_help=True)
# Piped output keeps whole rows (rich would wrap every column at 80 characters).
out = Console(highlight=False, soft_wrap=False,
              width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 220)
err = Console(stderr=True, highlight=False, soft_wrap=True)

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _fail(message: str, code: int = EXIT_FAILED) -> typer.Exit:
    err.print(f"[red]error:[/] {message}", markup=True, soft_wrap=True)
    return typer.Exit(code)


def _monitor(ctx: typer.Context) -> Any:
    return agents_monitor(ctx.obj, start=False)


def _read(ctx: typer.Context) -> Any:
    """Every agent now: the remote hosts of ``agents.remote_hosts`` first (over SSH, on this
    thread: the CLI has no reader threads), then this machine."""
    monitor = _monitor(ctx)
    monitor.refresh_remotes()
    return monitor.refresh_now()


@app.command("list")
def list_agents(ctx: typer.Context, as_json: AsJson = False) -> None:
    """Every agent with its status, pid, tasks done, failures and last error."""
    snapshot = _read(ctx)
    if as_json:
        sys.stdout.write(json.dumps({
            "agents": [row.as_json() for row in snapshot.rows],
            "events_file": snapshot.events_path,
            "looked_at": [{"what": what, "path": path, "exists": exists}
                          for what, path, exists in snapshot.looked_at],
            "problems": list(snapshot.problems),
        }, indent=2, ensure_ascii=False) + "\n")
        return
    for problem in snapshot.problems:
        err.print(f"[yellow]warning:[/] {problem}", markup=True, soft_wrap=True)
    if not snapshot.rows:
        err.print("No agents found. Looked at:")
        for what, path, exists in snapshot.looked_at:
            err.print(f"  {what}: {path}" + ("" if exists is not False else " (missing)"))
        err.print(how_to_report(snapshot.events_path))
        return
    table = Table(title=f"{len(snapshot.rows)} agent{'s' * (len(snapshot.rows) != 1)}",
                  title_justify="left")
    for column in ("Name", "Kind", "Status", "PID", "Host", "Uptime", "Queue", "Done", "Failed",
                   "Success", "Latency", "Per min", "Last error"):
        table.add_column(column, overflow="fold")
    now = snapshot.taken_at
    for row in snapshot.rows:
        uptime = row.uptime_s(now)
        table.add_row(
            row.name, row.kind, Text(row.status.value, style=STATUS_STYLE[row.status]),
            str(row.pid or "—"), row.host or "—",
            format_duration(uptime) if uptime is not None else "—",
            _n(row.queue_depth), _n(row.tasks_done), _n(row.failures),
            format_percent(row.success_rate),
            f"{row.mean_latency_ms:.0f} ms" if row.mean_latency_ms is not None else "—",
            f"{row.throughput_per_min:.1f}" if row.throughput_per_min is not None else "—",
            row.last_error[:80] or "—")
    out.print(table)


def _n(value: int | None) -> str:
    return "—" if value is None else str(value)


def _print_event(event: AgentEvent, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(event.raw, ensure_ascii=False) + "\n")
    else:
        style = {"failure": "red", "stop": "yellow", "success": "green"}.get(event.event, "")
        out.print(f"{format_time(event.timestamp)}  {event.agent:<24} "
                  + (f"[{style}]{event.event:<9}[/]" if style else f"{event.event:<9}")
                  + f" {event.summary()}", markup=True, soft_wrap=True)
    sys.stdout.flush()


def _last_events(path: Path, count: int) -> list[Any]:
    """The last ``count`` records without reading a whole (possibly huge) file."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            start = max(0, size - (count + 1) * 4096)
            handle.seek(start)
            data = handle.read(size - start)
    except FileNotFoundError:
        return []
    if start > 0:
        data = data[data.find(b"\n") + 1:]
    data = data[:data.rfind(b"\n") + 1]
    values, _bad = parse_lines(data)
    return values[-count:] if count else []


@app.command("events")
def events(ctx: typer.Context,
           follow: Annotated[bool, typer.Option("--follow", "-f",
                                                help="Keep printing new events.")] = False,
           agent: Annotated[str | None, typer.Option("--agent", "-a",
                                                     help="Only this agent.")] = None,
           lines: Annotated[int, typer.Option("--lines", "-n", min=0,
                                              help="How many past events to show.")] = 20,
           as_json: AsJson = False) -> None:
    """Recent events from metrics/agents.jsonl (like `tail`, `-f` to follow)."""
    path = _monitor(ctx).locations.events_file
    if not path.exists() and not follow:
        err.print(f"No events yet: {path} does not exist.")
        err.print(how_to_report(str(path)))
        return

    def show(records: list[Any]) -> None:
        for record in records:
            if isinstance(record, dict) and (agent is None or record.get("agent") == agent):
                _print_event(normalise_event(record), as_json)

    pool = _last_events(path, lines * 50 if agent else lines) if lines else []
    if agent:
        pool = [r for r in pool if isinstance(r, dict) and r.get("agent") == agent][-lines:]
    show(pool)
    if not follow:
        return
    tail = EventLogTail(path, decode=parse_lines)  # raw lines: --json prints every key
    tail.offset = path.stat().st_size if path.exists() else 0
    tail.inode = path.stat().st_ino if path.exists() else None
    try:
        while True:
            tail.poll(show)
            time.sleep(0.2)
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


@app.command("stop")
def stop(ctx: typer.Context, name: Annotated[str, typer.Argument(help="The agent's name.")],
         yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False) -> None:
    """Send SIGTERM to the agent's process (after checking it is still that process); an
    agent on a remote host (``name@host``) is stopped there, over SSH."""
    snapshot = _read(ctx)
    row = snapshot.get(name)
    if row is None:
        known = ", ".join(r.name for r in snapshot.rows) or "none"
        raise _fail(f"no agent called {name!r} (known: {known})", EXIT_USAGE)
    if row.status not in (AgentStatus.RUNNING, AgentStatus.IDLE, AgentStatus.STALE):
        raise _fail(f"{name} is not running ({row.status.value}: {row.reason})")
    if not yes and not typer.confirm(f"Send SIGTERM to {name} (pid {row.pid})?"):
        raise typer.Exit(EXIT_FAILED)
    try:
        result = agents(ctx.obj).stop(name, row=row)
    except ControlError as exc:
        raise _fail(str(exc)) from None
    if not result.ok:
        raise _fail(result.message)
    out.print(result.message)
