"""hafs generation campaigns: status files, the campaign pid, and finished datasets (§2.A-2.E).

Read leniently: hafs writes these files with plain ``json.dump`` (no temp file), so a refresh
can see an empty or half-written file; that is "no new data", never an error shown to the user.
"""

from __future__ import annotations

import contextlib
import math
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from studio.plugins.training.locations import CAMPAIGN_LOG_GLOBS, HafsTrainingPaths
from studio.plugins.training.readers.base import (
    Progress,
    ReadResult,
    StatusHint,
    as_float,
    parse_json_lenient,
)

__all__ = [
    "CampaignStatusReader",
    "DatasetRun",
    "campaign_pid",
    "dataset_log",
    "dataset_runs",
    "format_duration",
    "read_json_object",
]

DEFAULT_TARGET = 34500  # CampaignMonitor's default total (hafs-formats §2.B)


def read_json_object(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``; None if missing, empty, half-written or not an object."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        value = parse_json_lenient(data)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _iso_seconds(value: Any) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None


class CampaignStatusReader:
    """``campaign_monitor_status.json`` + ``campaign_status.json`` as progress and hints.

    Each file is followed on its own: one caught mid-write is retried next time while the
    other's news is still used.
    """

    def __init__(self, paths: HafsTrainingPaths) -> None:
        self.paths = paths
        self.path = paths.training
        self._signatures: dict[Path, tuple[int, int] | None] = {}

    def _changed(self, path: Path) -> tuple[bool, dict[str, Any] | None, float | None]:
        """(changed and readable, content, mtime) of one status file."""
        signature = _stat(path)
        if signature == self._signatures.get(path, ()) or signature is None:
            return False, None, None
        content = read_json_object(path)
        if content is None:
            return False, None, None  # half-written: keep the old signature, retry
        self._signatures[path] = signature
        return True, content, signature[0] / 1e9

    def read(self) -> ReadResult:
        result = ReadResult()
        changed, monitor, mtime = self._changed(self.paths.campaign_monitor_status)
        if changed and monitor is not None:
            result.last_update = mtime
            progress = as_float(monitor.get("progress"))
            total = as_float(monitor.get("total"))
            observed = _iso_seconds(monitor.get("last_update"))
            result.progress = Progress(
                global_step=int(progress) if progress is not None and not math.isnan(progress)
                else None,
                max_steps=int(total) if total else DEFAULT_TARGET, observed_at=observed)
            if monitor.get("is_running") is False and progress is not None and total \
                    and progress >= total:
                result.hints.append(StatusHint("completed", "campaign reached its target",
                                               observed))
        changed, status, mtime = self._changed(self.paths.campaign_status)
        if changed and status is not None:
            result.last_update = max(result.last_update or 0.0, mtime or 0.0)
            if status.get("launched") is False and status.get("error"):
                result.hints.append(StatusHint("failed", f"launch failed: {status['error']}",
                                               _iso_seconds(status.get("launch_time"))))
        elif self.paths.campaign_status.exists() and \
                read_json_object(self.paths.campaign_status) is None:
            result.partial = True
        return result


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def campaign_pid(paths: HafsTrainingPaths) -> int | None:
    """The campaign's pid as ``hafs training stop`` finds it: campaign_status.json, then
    campaign.pid (the cmdline scan is done by :mod:`studio.plugins.training.stop`)."""
    status = read_json_object(paths.campaign_status)
    pid = status.get("pid") if status else None
    if isinstance(pid, int) and pid > 0:
        return pid
    try:
        text = paths.campaign_pid.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() and int(text) > 0 else None


@dataclass(frozen=True)
class DatasetRun:
    """One finished campaign: a dataset folder with its metadata.json and stats.json."""

    run_id: str
    path: Path
    created: str
    template: str | None
    domains: tuple[str, ...]
    train_count: int | None
    final_count: int | None
    quality: float | None
    duration_seconds: float | None
    domain_counts: dict[str, int]

    def as_json(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "path": str(self.path), "created": self.created,
                "template": self.template, "domains": list(self.domains),
                "train_count": self.train_count, "final_count": self.final_count,
                "quality": self.quality, "duration_seconds": self.duration_seconds,
                "domain_counts": self.domain_counts}


def _int(value: Any) -> int | None:
    number = as_float(value)
    return int(number) if number is not None and not math.isnan(number) else None


def _dataset(folder: Path) -> DatasetRun:
    metadata = read_json_object(folder / "metadata.json") or {}
    stats = read_json_object(folder / "stats.json") or {}
    domains = metadata.get("domains") if isinstance(metadata.get("domains"), list) else []
    scores = stats.get("quality_scores") if isinstance(stats.get("quality_scores"), dict) else {}
    counts = stats.get("domain_counts") if isinstance(stats.get("domain_counts"), dict) else {}
    created = metadata.get("created")
    return DatasetRun(
        run_id=folder.name, path=folder,
        created=created if isinstance(created, str) and created else folder.name,
        template=metadata.get("template") if isinstance(metadata.get("template"), str) else None,
        domains=tuple(str(d) for d in domains),
        train_count=_int(metadata.get("train_count")), final_count=_int(stats.get("final_count")),
        quality=as_float(scores.get("average")),
        duration_seconds=as_float(stats.get("duration_seconds")),
        domain_counts={str(k): int(v) for k, v in counts.items() if _int(v) is not None})


def dataset_runs(paths: HafsTrainingPaths) -> list[DatasetRun]:
    """Every dataset folder, newest first by ``metadata.created`` (else the folder name)."""
    try:
        folders = [p for p in paths.datasets.iterdir() if p.is_dir()]
    except OSError:
        return []
    runs = [_dataset(folder) for folder in folders]
    return sorted(runs, key=lambda run: run.created, reverse=True)


def dataset_log(paths: HafsTrainingPaths, run: DatasetRun) -> Path | None:
    """The log hafs associates with a dataset: first ``CTX/logs/campaign_*<created>*.log``."""
    try:
        matches = sorted(paths.logs.glob(f"campaign_*{run.created}*.log"))
    except OSError:
        return None
    return matches[0] if matches else None


def newest_campaign_log(paths: HafsTrainingPaths) -> Path | None:
    """``hafs training logs`` without a run id: the newest of every campaign log location."""
    from studio.plugins.training.discovery import newest

    candidates = [p for p in paths.campaign_logs if p.is_file()]
    status = read_json_object(paths.campaign_status)
    if status and isinstance(status.get("log_path"), str):
        candidates.append(Path(os.path.expanduser(status["log_path"])))
    for pattern in CAMPAIGN_LOG_GLOBS:
        with contextlib.suppress(OSError):
            candidates.extend(paths.logs.glob(pattern))
    return newest(candidates)


def format_duration(seconds: float | None) -> str:
    """hafs's history column: hours above an hour, minutes above a minute, else seconds."""
    if seconds is None or math.isnan(seconds):
        return "—"
    if seconds > 3600:
        return f"{seconds / 3600:.1f}h"
    if seconds > 60:
        return f"{seconds / 60:.1f}m"
    return f"{seconds:.0f}s"
