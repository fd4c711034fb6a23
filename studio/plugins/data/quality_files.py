"""hafs's context-level quality files (hafs-formats §3), read tolerantly with an audit.

``quality_feedback.json`` (generator stats, rejection history, thresholds),
``active_learning.json`` (embedding regions) and ``training_feedback.json`` (fine-tune runs,
domain effectiveness). Like hafs's own studio, a file that is missing, empty, half-written or
malformed **keeps the last good data**; each file has a status (found / ok / error with the
reason, how many errors so far) and the audit's integrity is ok / found.
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.plugins.data.dataset import JsonFileStatus, file_state, read_json_file
from studio.plugins.data.records import as_score, as_text

__all__ = [
    "QUALITY_FILES",
    "ActiveLearning",
    "FileAudit",
    "GeneratorStats",
    "QualityFeedback",
    "QualityFiles",
    "Region",
    "TrainingFeedback",
    "TrainingRun",
    "hafs_training_file",
    "parse_active_learning",
    "parse_quality_feedback",
    "parse_training_feedback",
]

QUALITY_FEEDBACK = "quality_feedback.json"
ACTIVE_LEARNING = "active_learning.json"
TRAINING_FEEDBACK = "training_feedback.json"
QUALITY_FILES = (QUALITY_FEEDBACK, ACTIVE_LEARNING, TRAINING_FEEDBACK)


def hafs_training_file(context_root: str | Path, name: str) -> Path:
    """Where hafs keeps a context-level file: ``<context>/training/<name>`` (§3).

    The one place that knows it (issue 7 adds this lookup to ``studio.core.context``; switch
    this function to it when that lands). hafs's writers hard-code ``~/.context``; the studio
    reads them below the context root it resolved.
    """
    return Path(context_root) / "training" / name


@dataclass(frozen=True)
class GeneratorStats:
    name: str
    generated: int
    accepted: int
    rejected: int
    reasons: dict[str, int]
    avg_quality: float | None

    @property
    def acceptance_rate(self) -> float | None:
        """hafs's studio: accepted / (accepted + rejected)."""
        total = self.accepted + self.rejected
        return self.accepted / total if total else None


@dataclass(frozen=True)
class QualityFeedback:
    thresholds: dict[str, float] = field(default_factory=dict)
    generators: tuple[GeneratorStats, ...] = ()
    rejection_history: tuple[dict[str, Any], ...] = ()
    last_updated: str = ""
    skipped: int = 0  # entries of the wrong shape, left out


@dataclass(frozen=True)
class Region:
    index: int  # position in ``regions`` (hafs's studio uses it as the id)
    sample_count: int
    domain: str
    avg_quality: float | None


@dataclass(frozen=True)
class ActiveLearning:
    regions: tuple[Region, ...] = ()
    embedding_dim: int = 0
    configured_regions: int = 0  # ``num_regions``: hafs's configured k, not len(regions)
    last_updated: str = ""
    skipped: int = 0


@dataclass(frozen=True)
class TrainingRun:
    run_id: str
    model_name: str
    base_model: str
    dataset_path: str
    samples_count: int | None
    domain_distribution: dict[str, int]
    start_time: str
    end_time: str
    final_loss: float | None
    eval_metrics: dict[str, Any]
    notes: str


@dataclass(frozen=True)
class TrainingFeedback:
    runs: tuple[TrainingRun, ...] = ()
    domain_effectiveness: dict[str, float] = field(default_factory=dict)
    threshold_effectiveness: dict[str, float] = field(default_factory=dict)
    last_updated: str = ""
    skipped: int = 0


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _floats(value: Any) -> dict[str, float]:
    if not isinstance(value, dict):
        return {}
    return {str(k): s for k, v in value.items() if (s := as_score(v)) is not None}


def _ints(value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        return {}
    return {str(k): n for k, v in value.items() if (n := _int(v)) is not None}


def parse_quality_feedback(data: dict[str, Any]) -> QualityFeedback:
    generators, skipped = [], 0
    raw = data.get("generator_stats")
    for name, stats in (raw.items() if isinstance(raw, dict) else ()):
        if not isinstance(stats, dict):
            skipped += 1
            continue
        generators.append(GeneratorStats(
            str(name), _int(stats.get("samples_generated")) or 0,
            _int(stats.get("samples_accepted")) or 0, _int(stats.get("samples_rejected")) or 0,
            _ints(stats.get("rejection_reasons")), as_score(stats.get("avg_quality_score"))))
    history = data.get("rejection_history")
    entries = [e for e in history if isinstance(e, dict)] if isinstance(history, list) else []
    skipped += (len(history) - len(entries)) if isinstance(history, list) else 0
    return QualityFeedback(_floats(data.get("thresholds")), tuple(generators), tuple(entries),
                           as_text(data.get("last_updated")), skipped)


def parse_active_learning(data: dict[str, Any]) -> ActiveLearning:
    regions, skipped = [], 0
    raw = data.get("regions")
    for index, region in enumerate(raw if isinstance(raw, list) else ()):
        count = _int(region.get("sample_count")) if isinstance(region, dict) else None
        if count is None:
            skipped += 1
            continue
        regions.append(Region(index, count, as_text(region.get("domain")) or "unknown",
                              as_score(region.get("avg_quality"))))
    return ActiveLearning(tuple(regions), _int(data.get("embedding_dim")) or 0,
                          _int(data.get("num_regions")) or 0, as_text(data.get("last_updated")),
                          skipped)


def parse_training_feedback(data: dict[str, Any]) -> TrainingFeedback:
    runs, skipped = [], 0
    raw = data.get("training_runs")
    for run_id, run in (raw.items() if isinstance(raw, dict) else ()):
        if not isinstance(run, dict):
            skipped += 1
            continue
        metrics = run.get("eval_metrics")
        runs.append(TrainingRun(
            str(run_id), as_text(run.get("model_name")), as_text(run.get("base_model")),
            as_text(run.get("dataset_path")), _int(run.get("samples_count")),
            _ints(run.get("domain_distribution")), as_text(run.get("start_time")),
            as_text(run.get("end_time")), as_score(run.get("final_loss")),
            metrics if isinstance(metrics, dict) else {}, as_text(run.get("notes"))))
    runs.sort(key=lambda r: (r.start_time, r.run_id))
    return TrainingFeedback(tuple(runs), _floats(data.get("domain_effectiveness")),
                            _floats(data.get("quality_threshold_effectiveness")),
                            as_text(data.get("last_updated")), skipped)


_PARSERS = {QUALITY_FEEDBACK: parse_quality_feedback, ACTIVE_LEARNING: parse_active_learning,
            TRAINING_FEEDBACK: parse_training_feedback}


@dataclass
class FileAudit:
    """One row of the data-integrity audit."""

    name: str
    path: Path
    found: bool = False
    ok: bool = False
    last_error: str = ""
    error_count: int = 0
    loaded_at: str = ""  # when the data shown was last read successfully
    stale: bool = False  # showing the last good data of a file that is now broken/missing

    @property
    def state(self) -> str:
        return file_state(self.found, self.ok)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "path": str(self.path), "state": self.state,
                "error": self.last_error, "error_count": self.error_count,
                "loaded_at": self.loaded_at, "stale": self.stale}


class QualityFiles:
    """The three files of one context root; :meth:`reload` keeps the last good data."""

    def __init__(self, context_root: str | Path) -> None:
        self.context_root = Path(context_root)
        self.audit = {name: FileAudit(name, hafs_training_file(self.context_root, name))
                      for name in QUALITY_FILES}
        self.quality = QualityFeedback()
        self.active = ActiveLearning()
        self.training = TrainingFeedback()

    @property
    def integrity(self) -> float | None:
        """ok / found, as hafs's audit shows it (None when no file was found)."""
        found = [a for a in self.audit.values() if a.found]
        return sum(a.ok for a in found) / len(found) if found else None

    def reload(self) -> QualityFiles:
        for name, audit in self.audit.items():
            self._load(name, audit, read_json_file(audit.path))
        return self

    def _load(self, name: str, audit: FileAudit, status: JsonFileStatus) -> None:
        audit.found = status.found
        if status.ok:
            try:
                parsed = _PARSERS[name](status.data)
            except (AttributeError, TypeError, ValueError) as exc:  # a shape we did not foresee
                status.ok, status.error = False, f"unexpected content: {exc}"
            else:
                setattr(self, _ATTRIBUTE[name], parsed)
                audit.ok, audit.last_error, audit.stale = True, "", False
                audit.loaded_at = _dt.datetime.now().isoformat(timespec="seconds")
                return
        audit.ok = False
        if status.found:
            audit.last_error = status.error
            audit.error_count += 1
        audit.stale = bool(audit.loaded_at)


_ATTRIBUTE = {QUALITY_FEEDBACK: "quality", ACTIVE_LEARNING: "active",
              TRAINING_FEEDBACK: "training"}


def total_reasons(feedback: QualityFeedback) -> Counter[str]:
    """hafs's global rejection summary: ``rejection_reasons`` summed over all generators."""
    total: Counter[str] = Counter()
    for generator in feedback.generators:
        total.update(generator.reasons)
    return total
