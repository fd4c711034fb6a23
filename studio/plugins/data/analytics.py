"""The figures of the Data overview, Qt-free: each a :class:`Table` a chart draws and exports.

Every function derives one chart's numbers from a dataset's :class:`DatasetCounts` or from
hafs's quality files, with hafs's own rules where hafs defines them (hafs-formats §3):
acceptance = accepted / (accepted + rejected); quality trends compare the mean of the last five
values with the first five; region coverage is 1 - std/mean of the region sizes.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from studio.plugins.data.quality_files import (
    ActiveLearning,
    QualityFeedback,
    TrainingFeedback,
    total_reasons,
)
from studio.plugins.data.records import ACCEPTED_SPLITS
from studio.plugins.data.samples import DatasetCounts

__all__ = [
    "DEFAULT_DOMAIN_THRESHOLDS",
    "TREND_WINDOW",
    "Coverage",
    "Table",
    "Trend",
    "acceptance_by_domain",
    "acceptance_by_generator",
    "acceptance_by_source",
    "coverage",
    "coverage_regions",
    "domain_effectiveness",
    "overall_acceptance",
    "quality_thresholds",
    "quality_trends",
    "rejection_reasons",
    "score_histogram",
    "training_runs",
    "trend_direction",
    "trends_table",
]

# config/training.toml's per-domain quality thresholds (hafs-formats §3.1), drawn on the
# histogram when quality_feedback.json has no thresholds of its own.
DEFAULT_DOMAIN_THRESHOLDS = {"asm": 0.4, "gigaleak": 0.45, "oracle": 0.4, "cross": 0.5}
TREND_WINDOW = 5
TREND_MARGIN = 0.05


@dataclass(frozen=True)
class Table:
    """A chart's data: named columns and rows (also what "Export CSV" writes)."""

    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    note: str = ""
    marks: tuple[tuple[str, float], ...] = ()  # labelled lines a chart draws (thresholds)

    def column(self, name: str) -> list[Any]:
        index = self.columns.index(name)
        return [row[index] for row in self.rows]

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow(["" if v is None else (f"{v:.6g}" if isinstance(v, float) else v)
                             for v in row])
        return buffer.getvalue()

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "columns": list(self.columns),
                "rows": [list(row) for row in self.rows], "note": self.note}


def _rate(accepted: int, rejected: int) -> float | None:
    total = accepted + rejected
    return accepted / total if total else None


def overall_acceptance(counts: DatasetCounts) -> Table:
    rows = [(split, counts.splits[split]) for split in (*ACCEPTED_SPLITS, "rejected")]
    return Table("Samples per split", ("split", "samples"), rows,
                 note=f"acceptance {_percent(counts.acceptance_rate)}")


def _accepted_vs_rejected(title: str, name: str, accepted: Counter[str],
                          rejected: Counter[str]) -> Table:
    keys = sorted(set(accepted) | set(rejected), key=lambda k: (-(accepted[k] + rejected[k]), k))
    return Table(title, (name, "accepted", "rejected", "acceptance_rate"),
                 [(k, accepted[k], rejected[k], _rate(accepted[k], rejected[k])) for k in keys])


def acceptance_by_domain(counts: DatasetCounts) -> Table:
    """Accepted (train+val+test) vs rejected per domain, most samples first."""
    return _accepted_vs_rejected("Accepted and rejected per domain", "domain",
                                 counts.domains_of(ACCEPTED_SPLITS),
                                 counts.domains_of(("rejected",)))


def acceptance_by_source(counts: DatasetCounts) -> Table:
    return _accepted_vs_rejected("Accepted and rejected per source", "source",
                                 counts.sources_of(ACCEPTED_SPLITS),
                                 counts.sources_of(("rejected",)))


def acceptance_by_generator(feedback: QualityFeedback) -> Table:
    """quality_feedback.json's generator stats, with hafs's accepted/(accepted+rejected)."""
    rows = sorted(((g.name, g.generated, g.accepted, g.rejected, g.acceptance_rate,
                    g.avg_quality) for g in feedback.generators),
                  key=lambda row: (-row[1], row[0]))
    return Table("Acceptance per generator (quality_feedback.json)",
                 ("generator", "generated", "accepted", "rejected", "acceptance_rate",
                  "avg_quality"), rows)


def rejection_reasons(counts: DatasetCounts, feedback: QualityFeedback | None = None) -> Table:
    """Reasons in rejected.jsonl; with ``feedback``, hafs's summed generator reasons too."""
    history = total_reasons(feedback) if feedback is not None else None
    reasons = set(counts.reasons) | set(history or ())
    ordered = sorted(reasons, key=lambda r: (-counts.reasons[r], -(history or {}).get(r, 0), r))
    if history is None:
        return Table("Rejection reasons", ("reason", "rejected"),
                     [(r, counts.reasons[r]) for r in ordered])
    return Table("Rejection reasons", ("reason", "rejected", "all_generators"),
                 [(r, counts.reasons[r], history[r]) for r in ordered],
                 note="all_generators: rejection_reasons summed over quality_feedback.json")


def score_histogram(counts: DatasetCounts, bins: int = 20,
                    marks: Sequence[tuple[str, float]] = ()) -> Table:
    """Quality scores of accepted and rejected samples in ``bins`` equal bins over [0, 1].

    The last bin is closed (1.0 falls in it); scores outside [0, 1] are clipped to the ends.
    Lines without a score (hafs writes null for validation failures) are noted, not binned.
    """
    def histogram(values: Iterable[float]) -> list[int]:
        result = [0] * bins
        for value in values:
            result[min(bins - 1, max(0, math.floor(value * bins)))] += 1
        return result

    accepted = histogram(counts.scores_of(ACCEPTED_SPLITS))
    rejected = histogram(counts.scores_of(("rejected",)))
    rows = [(i / bins, (i + 1) / bins, accepted[i], rejected[i]) for i in range(bins)]
    missing = sum(counts.null_scores.values())
    return Table("Quality scores", ("bin_start", "bin_end", "accepted", "rejected"), rows,
                 note=f"{missing:,} samples have no score" if missing else "",
                 marks=tuple(marks))


def quality_thresholds(feedback: QualityFeedback | None, domains: Sequence[str] = ()
                       ) -> list[tuple[str, float]]:
    """(label, score) lines for the histogram: min_quality_score, then per-domain defaults;
    thresholds at the same score share one line ("min_quality_score, asm, oracle")."""
    named: dict[float, list[str]] = {}
    if feedback is not None and "min_quality_score" in feedback.thresholds:
        named.setdefault(feedback.thresholds["min_quality_score"], []).append(
            "min_quality_score")
    for domain in domains:
        if domain in DEFAULT_DOMAIN_THRESHOLDS:
            named.setdefault(DEFAULT_DOMAIN_THRESHOLDS[domain], []).append(domain)
    return [(", ".join(names), value) for value, names in named.items()]


@dataclass(frozen=True)
class Trend:
    domain: str
    metric: str
    values: tuple[float, ...]

    @property
    def mean(self) -> float:
        return sum(self.values) / len(self.values)

    @property
    def direction(self) -> str:
        return trend_direction(self.values)


def trend_direction(values: Sequence[float]) -> str:
    """hafs's studio rule (§3.1): fewer than 5 values → insufficient; else mean(last 5) -
    mean(first 5) above +0.05 is improving, below -0.05 declining, otherwise stable."""
    if len(values) < TREND_WINDOW:
        return "insufficient"
    change = (sum(values[-TREND_WINDOW:]) - sum(values[:TREND_WINDOW])) / TREND_WINDOW
    if change > TREND_MARGIN:
        return "improving"
    if change < -TREND_MARGIN:
        return "declining"
    return "stable"


def quality_trends(feedback: QualityFeedback) -> list[Trend]:
    """One trend per (domain, metric) of rejection_history, values in file order."""
    series: dict[tuple[str, str], list[float]] = {}
    for entry in feedback.rejection_history:
        scores = entry.get("scores")
        if not isinstance(scores, dict):
            continue
        domain = str(entry.get("domain") or "unknown")
        for metric, value in scores.items():
            if isinstance(value, int | float) and not isinstance(value, bool) \
                    and math.isfinite(value):
                series.setdefault((domain, str(metric)), []).append(float(value))
    return [Trend(domain, metric, tuple(values))
            for (domain, metric), values in sorted(series.items())]


def trends_table(trends: Sequence[Trend]) -> Table:
    return Table("Quality trends (rejection_history)",
                 ("domain", "metric", "values", "mean", "direction"),
                 [(t.domain, t.metric, len(t.values), t.mean, t.direction) for t in trends],
                 note="direction: mean of the last 5 values vs the first 5 (hafs's rule; "
                      "for hallucination_risk a rise is worse)")


@dataclass(frozen=True)
class Coverage:
    """Derived coverage of active_learning.json's regions (hafs-formats §3.2)."""

    total_samples: int
    num_regions: int
    configured_regions: int
    sparse_regions: int  # below the average region size (Python get_coverage_report)
    very_sparse_regions: int  # below 50 % of the average (the Coverage Density chart)
    small_regions: int  # fewer than 20 samples (the Latent chart)
    coverage_score: float | None  # clamp(1 - std/mean, 0, 1), population std
    domain_coverage: dict[str, float]


def coverage(active: ActiveLearning) -> Coverage:
    counts = [r.sample_count for r in active.regions]
    total = sum(counts)
    domain_totals: dict[str, int] = {}
    for region in active.regions:
        domain_totals[region.domain] = domain_totals.get(region.domain, 0) + region.sample_count
    if not counts:
        return Coverage(0, 0, active.configured_regions, 0, 0, 0, None, {})
    mean = total / len(counts)
    std = math.sqrt(sum((c - mean) ** 2 for c in counts) / len(counts))
    score = min(1.0, max(0.0, 1 - std / mean)) if mean else 0.0
    return Coverage(
        total, len(counts), active.configured_regions,
        sum(c < mean for c in counts), sum(c < 0.5 * mean for c in counts),
        sum(c < 20 for c in counts), score,
        {d: (n / total if total else 0.0) for d, n in sorted(domain_totals.items())})


def coverage_regions(active: ActiveLearning) -> Table:
    counts = [r.sample_count for r in active.regions]
    mean = sum(counts) / len(counts) if counts else 0.0
    return Table("Embedding regions (active_learning.json)",
                 ("region", "domain", "samples", "avg_quality", "sparse"),
                 [(r.index, r.domain, r.sample_count, r.avg_quality, r.sample_count < 0.5 * mean)
                  for r in active.regions],
                 note="sparse: below 50 % of the average region size")


def training_runs(training: TrainingFeedback) -> Table:
    """Runs by start time; loss vs samples plots the ones with a final loss."""
    return Table("Training runs (training_feedback.json)",
                 ("run", "model", "base_model", "samples", "final_loss", "start_time",
                  "end_time", "domains"),
                 [(r.run_id, r.model_name, r.base_model, r.samples_count, r.final_loss,
                   r.start_time, r.end_time,
                   " ".join(f"{d}:{n}" for d, n in sorted(r.domain_distribution.items())))
                  for r in training.runs])


def domain_effectiveness(training: TrainingFeedback) -> Table:
    rows = sorted(training.domain_effectiveness.items(), key=lambda kv: (-kv[1], kv[0]))
    return Table("Domain effectiveness (loss improvement per domain share, EMA)",
                 ("domain", "effectiveness"), rows)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"
