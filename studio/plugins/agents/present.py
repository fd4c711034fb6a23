"""How agents are shown: status colours, number and time formats, the "how to report" text.

Qt-free so the CLI and the panel say the same things the same way.
"""

from __future__ import annotations

import time

from studio.api import format_duration
from studio.plugins.agents.model import AgentStatus

__all__ = [
    "STATUS_STYLE",
    "STATUS_TOKEN",
    "format_clock",
    "format_percent",
    "format_short_time",
    "format_time",
    "how_to_report",
]

# Theme tokens (docs/themes.md) for the panel, rich styles for the terminal.
STATUS_TOKEN = {
    AgentStatus.RUNNING: "success", AgentStatus.IDLE: "info", AgentStatus.STALE: "warning",
    AgentStatus.STOPPED: "text.muted", AgentStatus.FAILED: "error",
}
STATUS_STYLE = {
    AgentStatus.RUNNING: "bold green", AgentStatus.IDLE: "cyan",
    AgentStatus.STALE: "bold yellow", AgentStatus.STOPPED: "dim", AgentStatus.FAILED: "bold red",
}


def format_percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def format_time(seconds: float | None) -> str:
    """Local date and time (the event stream, task runs)."""
    if seconds is None:
        return "—"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds))


def format_clock(seconds: float | None, now: float) -> str:
    """Time of day for today, date and time otherwise; "in 5m" / "5m ago" appended."""
    if seconds is None:
        return "—"
    same_day = time.localtime(seconds)[:3] == time.localtime(now)[:3]
    text = time.strftime("%H:%M:%S" if same_day else "%Y-%m-%d %H:%M", time.localtime(seconds))
    delta = seconds - now
    if abs(delta) < 1:
        return f"{text} (now)"
    relative = (f"in {format_duration(delta)}" if delta > 0
                else f"{format_duration(-delta)} ago")
    return f"{text} ({relative})"


def format_short_time(seconds: float | None, now: float) -> str:
    """``HH:MM:SS`` for today, ``MM-DD HH:MM`` before (narrow event lists)."""
    if seconds is None:
        return "—"
    local = time.localtime(seconds)
    if local[:3] == time.localtime(now)[:3]:
        return time.strftime("%H:%M:%S", local)
    return time.strftime("%m-%d %H:%M", local)


def how_to_report(events_path: str) -> str:
    """What an agent does to appear here (the empty state and ``agents list``)."""
    return (
        "Any agent can report by appending JSON lines to " + events_path + ":\n"
        "  from studio.agent_reporter import AgentReporter\n"
        "  reporter = AgentReporter(\"my-agent\", interval=30); reporter.start_heartbeats()\n"
        "  with reporter.task(\"batch\"): ...\n"
        "The protocol (heartbeat, start/success/failure, queue, metric, stop) is in "
        "docs/agents.md; hafs's own MetricsLogger lines are understood as they are."
    )
