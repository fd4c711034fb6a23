"""The data-generation campaign as an agent: ``TRN/campaign*.json`` and ``campaign.pid``.

hafs-formats §2.B/§2.D: the campaign launcher writes ``campaign.pid`` and, after a launch
attempt, ``campaign_status.json`` (``{launched:true, pid, log_path, target, launch_time}`` or
``{launched:false, error, …}``); the campaign monitor writes ``campaign_monitor_status.json``
(``{progress, total, percentage, is_running, last_update}``) and the orchestrator
``orchestrator_state.json`` (``{phase, …}``). ``hafs training stop`` finds the pid in
``campaign_status.json`` first, then ``campaign.pid``; so do we.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from studio.plugins.agents.sources import CachedFiles, parse_time, read_pid_file

__all__ = ["CAMPAIGN_QUIET_S", "CampaignFacts", "campaign_facts"]

# A campaign logs progress continuously; hafs's health check calls a log silent for 30 minutes
# stale, so the campaign's "interval" is 15 minutes (Stale after twice that).
CAMPAIGN_QUIET_S = 900.0


@dataclass(frozen=True)
class CampaignFacts:
    pid: int | None
    pid_written_at: float | None
    last_update: float | None
    failed_reason: str
    finished: bool
    log_file: str
    progress: int | None
    total: int | None
    details: tuple[tuple[str, str], ...]
    sources: tuple[str, ...]
    problems: tuple[str, ...]


def campaign_facts(training_dir: Path, files: CachedFiles) -> CampaignFacts | None:
    """None when no campaign file exists (no campaign was ever launched here)."""
    status = files.read_json(training_dir / "campaign_status.json")
    monitor = files.read_json(training_dir / "campaign_monitor_status.json")
    orchestrator = files.read_json(training_dir / "orchestrator_state.json")
    pid_path = training_dir / "campaign.pid"
    pid_from_file, pid_mtime, pid_error = read_pid_file(pid_path)
    if not (status.exists or monitor.exists or orchestrator.exists or pid_mtime is not None):
        return None
    launch = status.data if isinstance(status.data, dict) else {}
    progress_data = monitor.data if isinstance(monitor.data, dict) else {}
    phase_data = orchestrator.data if isinstance(orchestrator.data, dict) else {}
    pid = launch.get("pid") if launch.get("launched") is True else None
    pid = pid if isinstance(pid, int) and not isinstance(pid, bool) and pid > 0 else None
    written_at = parse_time(launch.get("launch_time")) or status.good_mtime
    if pid is None:
        pid, written_at = pid_from_file, pid_mtime
    log_file = str(launch.get("log_path") or "")
    if not log_file and (training_dir / "full_campaign.log").exists():
        log_file = str(training_dir / "full_campaign.log")
    progress, total = progress_data.get("progress"), progress_data.get("total")
    progress = progress if isinstance(progress, int) else None
    total = total if isinstance(total, int) else None
    phase = str(phase_data.get("phase") or "")
    finished = phase == "campaign_complete" or (
        progress is not None and total is not None and progress >= total)
    failed = ""
    if launch.get("launched") is False:
        failed = f"launch failed: {launch.get('error') or 'no error recorded'}"
    elif phase == "launch_failed":
        failed = "the orchestrator recorded launch_failed"
    updates = [parse_time(progress_data.get("last_update")), written_at, _mtime(log_file)]
    details = []
    if phase:
        details.append(("Orchestrator phase", phase))
    if progress is not None:
        details.append(("Progress", f"{progress} / {total if total is not None else '?'}"))
    if launch.get("target"):
        details.append(("Target", str(launch["target"])))
    return CampaignFacts(
        pid=pid, pid_written_at=written_at,
        last_update=max((u for u in updates if u is not None), default=None),
        failed_reason=failed, finished=finished, log_file=log_file, progress=progress,
        total=total, details=tuple(details),
        sources=tuple(str(r.path) for r in (status, monitor, orchestrator) if r.exists)
        + ((str(pid_path),) if pid_mtime is not None else ()),
        problems=tuple(p for p in (status.error, monitor.error, orchestrator.error, pid_error)
                       if p))


def _mtime(path: str) -> float | None:
    if not path:
        return None
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None
