"""Text for runs shared by the panel, the cards and the CLI (Qt-free)."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime

from studio.api import format_age, format_duration
from studio.plugins.training.status import RunStatus

__all__ = [
    "STATUS_COLORS",
    "format_eta",
    "format_loss",
    "format_origin",
    "format_step",
    "iso_time",
    "last_lines",
    "progress_bar_text",
    "status_style",
    "time_ago",
]

# Colours for status badges (the panel picks theme tokens; the CLI uses these rich styles).
STATUS_COLORS = {
    RunStatus.RUNNING: "#3fb950", RunStatus.COMPLETED: "#58a6ff", RunStatus.STALLED: "#d29922",
    RunStatus.FAILED: "#f85149", RunStatus.IDLE: "#8b949e",
}


def status_style(status: RunStatus) -> str:
    return {RunStatus.RUNNING: "bold green", RunStatus.COMPLETED: "blue",
            RunStatus.STALLED: "yellow", RunStatus.FAILED: "bold red",
            RunStatus.IDLE: "dim"}[status]


def format_eta(seconds: float | None) -> str:
    """Time left: "done" at zero, "<1 s" just before, else the studio's duration style."""
    if seconds is not None and 0 <= seconds < 1:
        return "done" if seconds == 0 else "<1 s"
    return format_duration(seconds)


def format_loss(value: float | None) -> str:
    if value is None:
        return "—"
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
        return f"{value:.3e}"
    return f"{value:.4f}"


def format_step(step: int | None, total: int | None) -> str:
    if step is None:
        return "—"
    return f"{step:,} / {total:,}" if total else f"{step:,}"


def progress_bar_text(fraction: float | None, width: int = 12) -> str:
    if fraction is None:
        return "—"
    filled = round(fraction * width)
    return "█" * filled + "░" * (width - filled) + f" {fraction:5.1%}"


def time_ago(stamp: float | None, now: float | None = None) -> str:
    """"12 s ago"; a stamp in the future (a mount's clock runs ahead) reads "just now"."""
    if stamp is None:
        return "—"
    age = (time.time() if now is None else now) - stamp
    return "just now" if age < 5 else f"{format_age(age)} ago"


def last_lines(data: bytes, count: int) -> str:
    """The last ``count`` lines of a log, tqdm's ``\\r`` refreshes folded to the newest."""
    text = data.decode("utf-8", "replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    tail = lines[-count:] if count else []
    folded = [line.rsplit("\r", 1)[-1] if "\r" in line.rstrip("\r") else line.rstrip("\r")
              for line in tail]
    return "".join(line + "\n" for line in folded)


def iso_time(seconds: float | None) -> str | None:
    """ISO 8601 in UTC (what ``--json`` prints); None for unknown or non-finite."""
    if seconds is None or not math.isfinite(seconds):
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


def format_origin(origin: str) -> str:
    """Where a run is, for people: "local", "gpu-box (SSH)", "windows-training (mount)"."""
    kind, _, name = origin.partition(":")
    return {"host": f"{name} (SSH)", "mount": f"{name} (mount)"}.get(kind, origin) \
        if name else origin
