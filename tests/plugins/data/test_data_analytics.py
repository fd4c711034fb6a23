"""Every overview figure against an independent computation (plain json, hand arithmetic)."""

from __future__ import annotations

import json
import math
import statistics
from collections import Counter

import pytest
from data_helpers import read_lines

from studio.plugins.data import analytics
from studio.plugins.data.dataset import read_dataset
from studio.plugins.data.quality_files import (
    ActiveLearning,
    QualityFeedback,
    QualityFiles,
    Region,
    parse_active_learning,
    parse_quality_feedback,
)


def _independent(folder):
    """Counts from the files with json alone: domain at the top or under _metadata."""
    out = {}
    for split in ("train", "val", "test", "rejected"):
        rows = read_lines(folder / f"{split}.jsonl")
        out[split] = [(row.get("domain") or row.get("_metadata", {}).get("domain"),
                       row.get("quality_score", row.get("_metadata", {}).get("quality_score")),
                       row.get("rejection_reason")) for row in rows]
    return out


def test_acceptance_domains_reasons_and_histogram(sample_dataset):
    counts = read_dataset(sample_dataset.folder).counts
    lines = _independent(sample_dataset.folder)
    accepted = [x for s in ("train", "val", "test") for x in lines[s]]
    rejected = lines["rejected"]
    table = analytics.overall_acceptance(counts)
    assert dict(table.rows) == {s: len(lines[s]) for s in lines}
    assert counts.acceptance_rate == len(accepted) / (len(accepted) + len(rejected))
    assert f"{100 * len(accepted) / (len(accepted) + len(rejected)):.1f} %" in table.note
    by_domain = {row[0]: row[1:] for row in analytics.acceptance_by_domain(counts).rows}
    domains = {d for d, _, _ in accepted + rejected}
    for domain in domains:
        a = sum(d == domain for d, _, _ in accepted)
        r = sum(d == domain for d, _, _ in rejected)
        assert by_domain[domain] == (a, r, a / (a + r))
    reasons = dict(analytics.rejection_reasons(counts).rows)
    assert reasons == Counter(r for _, _, r in rejected)
    histogram = analytics.score_histogram(counts, bins=10)
    for start, end, n_accepted, n_rejected in histogram.rows:
        def inside(score, start=start, end=end):
            return score is not None and (start <= score < end or (end == 1.0 and score == 1.0))

        assert n_accepted == sum(1 for _, s, _ in accepted if inside(s))
        assert n_rejected == sum(1 for _, s, _ in rejected if inside(s))
    nulls = sum(s is None for _, s, _ in accepted + rejected)
    assert histogram.note == f"{nulls:,} samples have no score"


def test_csv_export_round_trips():
    table = analytics.Table("t", ("name", "value"), [("a", 0.5), ("b", None)])
    assert table.to_csv() == "name,value\na,0.5\nb,\n"


@pytest.mark.parametrize(("values", "direction"), [
    ([0.5] * 4, "insufficient"),
    ([0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.2, 0.2], "improving"),
    ([0.5, 0.5, 0.5, 0.5, 0.5, 0.44, 0.44, 0.44, 0.44, 0.44], "declining"),
    ([0.5, 0.5, 0.5, 0.5, 0.5, 0.55, 0.55, 0.55, 0.55, 0.55], "stable"),   # +0.05 exactly
    ([0.3, 0.4, 0.5, 0.6, 0.7], "stable"),  # last 5 = first 5
    ([0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.16], "stable"),  # overlapping windows: +0.012
    ([0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.5], "improving"),  # +0.08
])
def test_trend_direction_follows_hafs_rule(values, direction):
    assert analytics.trend_direction(values) == direction


def test_quality_trends_per_domain_and_metric_in_file_order():
    history = [{"domain": "asm", "scores": {"diversity": 0.1 * i, "coherence": 0.5}}
               for i in range(1, 8)] + [{"domain": "oracle", "scores": {"diversity": 0.9}},
                                        {"domain": "asm", "scores": "broken"}]
    trends = {(t.domain, t.metric): t for t in
              analytics.quality_trends(parse_quality_feedback({"rejection_history": history}))}
    diversity = trends[("asm", "diversity")]
    assert diversity.values == pytest.approx(tuple(0.1 * i for i in range(1, 8)))
    assert diversity.mean == pytest.approx(0.4)
    # mean(last 5) - mean(first 5) = 0.5 - 0.3 = 0.2 -> improving
    assert diversity.direction == "improving"
    assert trends[("asm", "coherence")].direction == "stable"
    assert trends[("oracle", "diversity")].direction == "insufficient"


def test_generator_acceptance_and_summed_reasons():
    feedback = parse_quality_feedback({"generator_stats": {
        "AsmDataGenerator": {"samples_generated": 500, "samples_accepted": 410,
                             "samples_rejected": 90, "rejection_reasons":
                                 {"low_diversity": 60, "duplicate": 30},
                             "avg_quality_score": 0.66},
        "Other": {"samples_generated": 10, "samples_accepted": 0, "samples_rejected": 10,
                  "rejection_reasons": {"duplicate": 10}},
        "Broken": "not an object"}})
    rows = {r[0]: r for r in analytics.acceptance_by_generator(feedback).rows}
    assert rows["AsmDataGenerator"][4] == 410 / 500 and rows["Other"][4] == 0.0
    assert feedback.skipped == 1
    from studio.plugins.data.samples import DatasetCounts

    table = analytics.rejection_reasons(DatasetCounts(), feedback)
    assert {r[0]: r[2] for r in table.rows} == {"duplicate": 40, "low_diversity": 60}


def test_derived_coverage_matches_hand_arithmetic():
    active = parse_active_learning({"regions": [
        {"sample_count": 10, "domain": "asm", "avg_quality": 0.5},
        {"sample_count": 30, "domain": "asm"},
        {"sample_count": 50, "domain": "oracle"},
        {"sample_count": "x"}], "num_regions": 50})
    result = analytics.coverage(active)
    counts = [10, 30, 50]
    mean = statistics.fmean(counts)
    std = statistics.pstdev(counts)
    assert result.total_samples == 90 and result.num_regions == 3
    assert result.configured_regions == 50 and active.skipped == 1
    assert result.coverage_score == pytest.approx(max(0.0, 1 - std / mean))
    assert result.sparse_regions == 1  # 10 < 30
    assert result.very_sparse_regions == 1  # 10 < 15
    assert result.small_regions == 1  # < 20
    assert result.domain_coverage == {"asm": 40 / 90, "oracle": 50 / 90}
    assert analytics.coverage(ActiveLearning()).coverage_score is None
    flat = analytics.coverage(ActiveLearning(tuple(Region(i, 7, "a", None) for i in range(3))))
    assert flat.coverage_score == 1.0 and flat.sparse_regions == 0


def test_training_runs_and_effectiveness(context_with_data):
    root, _ = context_with_data
    files = QualityFiles(root).reload()
    runs = analytics.training_runs(files.training)
    raw = json.loads((root / "training" / "training_feedback.json").read_text())["training_runs"]
    assert [r[0] for r in runs.rows] == sorted(raw, key=lambda k: raw[k]["start_time"])
    assert {r[0]: (r[3], r[4]) for r in runs.rows} == {
        k: (v["samples_count"], v["final_loss"]) for k, v in raw.items()}
    effectiveness = analytics.domain_effectiveness(files.training)
    assert effectiveness.rows[0] == ("asm", 0.025)


def test_thresholds_come_from_the_file_then_hafs_defaults():
    feedback = QualityFeedback(thresholds={"min_quality_score": 0.7})
    assert analytics.quality_thresholds(feedback, ["asm", "cpp", "gigaleak", "oracle"]) == [
        ("min_quality_score", 0.7), ("asm, oracle", 0.4), ("gigaleak", 0.45)]


def test_quality_files_keep_the_last_good_data(context_with_data):
    root, _ = context_with_data
    files = QualityFiles(root).reload()
    assert files.integrity == 1.0
    good = files.quality
    path = root / "training" / "quality_feedback.json"
    path.write_text('{"generator_stats": {', encoding="utf-8")  # half-written by hafs
    files.reload()
    audit = files.audit["quality_feedback.json"]
    assert (audit.state, audit.stale, audit.error_count) == ("error", True, 1)
    assert "line 1" in audit.last_error
    assert files.quality is good  # the charts keep showing the last good data
    assert files.integrity == pytest.approx(2 / 3)
    path.unlink()
    files.reload()
    assert files.audit["quality_feedback.json"].state == "not found"
    assert files.quality is good
    path.write_text(json.dumps({"generator_stats": {}}), encoding="utf-8")
    files.reload()
    assert files.quality is not good and not files.audit["quality_feedback.json"].stale
    assert not math.isnan(files.integrity)
