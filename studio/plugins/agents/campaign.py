"""The data-generation campaign as an agent: ``TRN/campaign*.json`` and ``campaign.pid``.

hafs-formats §2.B/§2.D: the campaign launcher writes ``campaign.pid`` and, after a launch
attempt, ``campaign_status.json`` (``{launched:true, pid, log_path, target, launch_time}`` or
``{launched:false, error, …}``); the campaign monitor writes ``campaign_monitor_status.json``
(``{progress, total, percentage, is_running, last_update}``) and the orchestrator
``orchestrator_state.json`` (``{phase, …}``). ``hafs training stop`` finds the pid in
``campaign_status.json`` first, then ``campaign.pid``, then in the first process whose command
line names a campaign script; so do we (:meth:`AgentFiles.campaign_process`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.plugins.agents.locations import TRAINING_DIR

if TYPE_CHECKING:
    from studio.plugins.agents.files import AgentFiles
    from studio.plugins.agents.liveness import ProcessCheck

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
    found_process: ProcessCheck | None = None  # found by its command line (no pid in files)


def _file(name: str) -> str:
    return f"{TRAINING_DIR}/{name}"


def campaign_facts(files: AgentFiles) -> CampaignFacts | None:
    """None when no campaign file exists and no campaign process runs."""
    status = files.read_json(_file("campaign_status.json"))
    monitor = files.read_json(_file("campaign_monitor_status.json"))
    orchestrator = files.read_json(_file("orchestrator_state.json"))
    pid_from_file, pid_mtime, pid_error = files.read_pid(_file("campaign.pid"))
    launch = status.data if isinstance(status.data, dict) else {}
    progress_data = monitor.data if isinstance(monitor.data, dict) else {}
    phase_data = orchestrator.data if isinstance(orchestrator.data, dict) else {}
    pid = launch.get("pid") if launch.get("launched") is True else None
    pid = pid if isinstance(pid, int) and not isinstance(pid, bool) and pid > 0 else None
    written_at = status.time(launch.get("launch_time")) or status.good_mtime
    if pid is None:
        pid, written_at = pid_from_file, pid_mtime
    found = files.campaign_process() if pid is None else None
    has_files = status.exists or monitor.exists or orchestrator.exists or pid_mtime is not None
    if not has_files and found is None:
        return None
    if found is not None:
        pid, written_at = found.pid, None
    log_file = str(launch.get("log_path") or "")
    log_mtime = None
    if not log_file:
        log_mtime = files.mtime(_file("full_campaign.log"))
        log_file = files.show(_file("full_campaign.log")) if log_mtime is not None else ""
    elif not files.remote_host:
        log_mtime = _local_mtime(log_file)
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
    updates = [monitor.time(progress_data.get("last_update")), written_at, log_mtime]
    details = []
    if found is not None:
        details.append(("Found by", "its command line (no campaign pid in the files), as "
                                    "`hafs training stop` finds it"))
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
        + ((files.show(_file("campaign.pid")),) if pid_mtime is not None else ()),
        problems=tuple(p for p in (status.error, monitor.error, orchestrator.error, pid_error)
                       if p),
        found_process=found)


def _local_mtime(path: str) -> float | None:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None
