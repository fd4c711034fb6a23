"""Find training runs: HF output folders, hafs fine-tunes, hafs campaigns, user folders.

Discovery only lists folders and stats files (cheap enough for a 2-second rescan); reading
metrics is the readers' job. Each run gets a stable id derived from its kind and path, so a
rescan maps onto the runs already followed.

hafs fine-tunes (hafs-formats §2.F) live in a *training root* (``D:/hafs_training`` on the
GPU box, seen here through a sync.toml mount, or ``<context>/training`` for local runs):
``models/<name>/`` holds ``checkpoint-N/trainer_state.json`` and ``metadata.json``, and
``logs/training_<name>_<YYYYMMDD>_<HHMMSS>.log`` is its log (``.err.log`` beside it).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from studio.plugins.training.locations import CAMPAIGN_LOG_GLOBS, HafsTrainingPaths
from studio.plugins.training.readers.base import MetricReaderRegistry

__all__ = [
    "FINETUNE_LOG",
    "RunSource",
    "TrainingRoot",
    "discover_runs",
    "find_campaign",
    "hafs_finetunes",
    "newest",
    "run_folders_under",
    "run_id",
]

FINETUNE_LOG = re.compile(r"^training_(.+?)_(\d{8})_(\d{6})\.log$")


@dataclass(frozen=True)
class TrainingRoot:
    """A hafs training root as seen from here, and where it is (``local``, ``mount:<name>``)."""

    path: Path
    origin: str = "local"


@dataclass(frozen=True)
class RunSource:
    """Everything needed to follow one run."""

    id: str
    name: str
    kind: str  # "hf", "hafs-finetune", "campaign", "folder"
    origin: str  # "local", "mount:<name>", "host:<name>"
    folder: Path | None = None
    log_files: tuple[Path, ...] = ()
    campaign: HafsTrainingPaths | None = field(default=None, compare=False)
    remote: str | None = None  # "<host>:<folder>" of a run read over SSH (folder: its mirror)

    @property
    def display_origin(self) -> str:
        return self.origin.split(":", 1)[-1] if ":" in self.origin else self.origin


def run_id(kind: str, path: Path | str) -> str:
    """Stable, filesystem-safe id: ``<kind>-<8 hex of the path>``."""
    digest = hashlib.sha1(str(path).encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return f"{kind}-{digest}"


def newest(paths: Iterable[Path]) -> Path | None:
    best, best_mtime = None, -1.0
    for path in paths:
        try:
            mtime = path.stat().st_mtime
        except OSError:
            continue
        if mtime > best_mtime:
            best, best_mtime = path, mtime
    return best


def _is_run_folder(folder: Path, registry: MetricReaderRegistry) -> bool:
    for spec in registry.specs():
        if spec.id == "training.log":
            continue  # a stray *.log does not make a folder a training run
        try:
            if spec.locate(folder):
                return True
        except OSError:
            continue
    return False


def run_folders_under(folder: Path, registry: MetricReaderRegistry) -> list[Path]:
    """``folder`` itself if it is a run, else its immediate subfolders that are runs."""
    if not folder.is_dir():
        return []
    if _is_run_folder(folder, registry):
        return [folder]
    try:
        children = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return []
    return [child for child in children if _is_run_folder(child, registry)]


def hafs_finetunes(root: TrainingRoot, registry: MetricReaderRegistry) -> list[RunSource]:
    """Fine-tunes of a hafs training root: model folders paired with their newest log."""
    logs_by_model: dict[str, list[Path]] = {}
    try:
        for log in (root.path / "logs").glob("training_*.log"):
            match = FINETUNE_LOG.match(log.name)
            if match and not log.name.endswith(".err.log"):
                logs_by_model.setdefault(match.group(1), []).append(log)
    except OSError:
        pass
    runs = []
    seen = set()
    models = root.path / "models"
    try:
        folders = sorted(p for p in models.iterdir() if p.is_dir()) if models.is_dir() else []
    except OSError:
        folders = []
    for folder in folders:
        log = newest(logs_by_model.get(folder.name, []))
        if log is None and not _is_run_folder(folder, registry):
            continue  # a finished adapter without training state or log: not a run
        seen.add(folder.name)
        runs.append(RunSource(run_id("hafs", folder), folder.name, "hafs-finetune", root.origin,
                              folder, (log,) if log else ()))
    for name, logs in sorted(logs_by_model.items()):
        if name not in seen:  # training started, no checkpoint folder yet
            log = newest(logs)
            assert log is not None
            runs.append(RunSource(run_id("hafs", models / name), name, "hafs-finetune",
                                  root.origin, None, (log,)))
    return runs


def find_campaign(paths: HafsTrainingPaths) -> RunSource | None:
    """The current/last hafs generation campaign, if any trace of one exists (§2.B-2.D)."""
    logs: list[Path] = [p for p in paths.campaign_logs if p.is_file()]
    for pattern in CAMPAIGN_LOG_GLOBS:
        with contextlib.suppress(OSError):
            logs.extend(p for p in paths.logs.glob(pattern) if not p.name.endswith(".err.log"))
    status_log = _campaign_status_log(paths)
    if status_log is not None and status_log.is_file():
        logs.append(status_log)
    markers = (paths.campaign_status, paths.campaign_monitor_status, paths.campaign_pid)
    if not logs and not any(p.is_file() for p in markers):
        return None
    log = newest(logs)
    return RunSource(run_id("campaign", paths.training), "generation campaign", "campaign",
                     "local", None, (log,) if log else (), campaign=paths)


def _campaign_status_log(paths: HafsTrainingPaths) -> Path | None:
    from studio.plugins.training.campaign import read_json_object

    status = read_json_object(paths.campaign_status)
    value = status.get("log_path") if status else None
    return Path(value) if isinstance(value, str) and value else None


def discover_runs(
    *,
    paths: HafsTrainingPaths,
    roots: Iterable[TrainingRoot],
    run_folders: Iterable[Path],
    registry: MetricReaderRegistry,
    on_error: Callable[[str], None] | None = None,
) -> list[RunSource]:
    """Every run: fine-tunes of each training root, campaign, studio runs, user folders."""
    found: dict[str, RunSource] = {}

    def add(source: RunSource) -> None:
        found.setdefault(source.id, source)

    for root in roots:
        try:
            for source in hafs_finetunes(root, registry):
                add(source)
        except OSError as exc:
            if on_error:
                on_error(f"{root.path}: {exc}")
    campaign = find_campaign(paths)
    if campaign is not None:
        add(campaign)
    for given in (paths.runs, *run_folders):
        for folder in run_folders_under(Path(os.path.expanduser(str(given))), registry):
            kind = "hf" if (folder / "trainer_state.json").exists() or any(
                folder.glob("checkpoint-*")) else "folder"
            # The id must not depend on the kind: a fresh run becomes "hf" at its first save.
            add(RunSource(run_id("run", folder), folder.name, kind, "local", folder))
    return sorted(found.values(), key=lambda source: (source.kind, source.name))
