"""The diversity analysis of a loaded dataset, as one cancellable job for the panel and CLI.

Embeds every sample (per file, through the embedding cache), then computes the diversity
figures per scope (accepted, rejected, all), the near-duplicate clusters over all samples, the
length distributions and the 2-D map.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from studio.api import NULL_CONTEXT, JobContext
from studio.plugins.data.analytics import Table
from studio.plugins.data.dataset import Dataset
from studio.plugins.data.diversity import (
    DEFAULT_THRESHOLD,
    Moments,
    NearDuplicateReport,
    distinct_n,
    mean_pairwise_cosine_distance,
    near_duplicate_clusters,
    vendi_score,
)
from studio.plugins.data.embeddings import EmbedderSpec, EmbeddingCache
from studio.plugins.data.lengths import LengthReport, TokenCounter, length_report
from studio.plugins.data.progress import ProgressWindow
from studio.plugins.data.projection import Projection, project
from studio.plugins.data.records import Sample

__all__ = ["DiversityFigures", "DiversityResult", "analyse_diversity", "diversity_figures",
           "embed_dataset", "split_ranges"]


@dataclass(frozen=True)
class DiversityFigures:
    scope: str
    samples: int
    distinct_1: float | None  # over instructions + outputs
    distinct_2: float | None
    distinct_1_output: float | None
    distinct_2_output: float | None
    mean_cosine_distance: float | None
    vendi: float | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class DiversityResult:
    dataset: Dataset
    embedder: str
    embedder_note: str
    vectors: np.ndarray
    cached_files: int
    figures: list[DiversityFigures]
    duplicates: NearDuplicateReport
    lengths: LengthReport
    projection: Projection

    def figures_table(self) -> Table:
        return Table("Diversity", ("scope", "samples", "distinct_1", "distinct_2",
                                   "distinct_1_output", "distinct_2_output",
                                   "mean_cosine_distance", "vendi"),
                     [tuple(f.as_dict().values()) for f in self.figures],
                     note=f"embedder: {self.embedder}")

    def clusters_table(self) -> Table:
        samples = self.dataset.samples
        rows = []
        for number, cluster in enumerate(self.duplicates.clusters, 1):
            for index in cluster.members:
                sample = samples[index]
                rows.append((number, len(cluster.members), cluster.max_jaccard, sample.split,
                             sample.line, sample.domain, sample.key, sample.instruction[:80]))
        return Table("Near-duplicate clusters",
                     ("cluster", "size", "max_jaccard", "split", "line", "domain", "key",
                      "instruction"), rows,
                     note=f"Jaccard of 5-character shingles ≥ {self.duplicates.threshold}")


def split_ranges(samples: Sequence[Sample]) -> list[tuple[str, int, int]]:
    """(split, start, end) runs of consecutive samples of one file (how datasets load)."""
    runs: list[tuple[str, int, int]] = []
    for index, sample in enumerate(samples):
        if runs and runs[-1][0] == sample.split and runs[-1][2] == index:
            runs[-1] = (sample.split, runs[-1][1], index + 1)
        else:
            runs.append((sample.split, index, index + 1))
    return runs


def embed_dataset(dataset: Dataset, spec: EmbedderSpec, cache: EmbeddingCache,
                  ctx: JobContext = NULL_CONTEXT) -> tuple[np.ndarray, int]:
    """(vectors in sample order, how many files came from the cache)."""
    parts: list[np.ndarray] = []
    cached = 0
    runs = split_ranges(dataset.samples)
    for number, (split, start, end) in enumerate(runs):
        report = dataset.files.get(split)
        texts = [s.text for s in dataset.samples[start:end]]
        ctx.report(number / max(1, len(runs)), f"Embedding {split} ({len(texts):,} samples)")
        step = 1 / max(1, len(runs))
        vectors, hit = cache.embed(report.content_hash if report else "", texts, spec,
                                   ProgressWindow(ctx, number * step, step))
        parts.append(vectors)
        cached += hit
    if not parts:
        return np.zeros((0, 1), np.float32), 0
    return np.concatenate(parts), cached


def diversity_figures(scope: str, samples: Sequence[Sample], vectors: np.ndarray | Moments
                      ) -> DiversityFigures:
    both = [s.instruction for s in samples] + [s.output for s in samples]
    outputs = [s.output for s in samples]
    return DiversityFigures(scope, len(samples), distinct_n(both, 1), distinct_n(both, 2),
                            distinct_n(outputs, 1), distinct_n(outputs, 2),
                            mean_pairwise_cosine_distance(vectors), vendi_score(vectors))


def analyse_diversity(dataset: Dataset, spec: EmbedderSpec, cache: EmbeddingCache, *,
                      threshold: float = DEFAULT_THRESHOLD, map_method: str = "pca",
                      token_counter: TokenCounter | None = None, token_note: str = "",
                      embedder_note: str = "", ctx: JobContext = NULL_CONTEXT
                      ) -> DiversityResult:
    samples = dataset.samples
    vectors, cached = embed_dataset(dataset, spec, cache, ProgressWindow(ctx, 0.0, 0.45))
    ctx.report(0.45, "Diversity figures")
    accepted = np.fromiter((s.accepted for s in samples), bool, len(samples))
    parts = {"accepted": Moments.of(vectors[accepted]), "rejected": Moments.of(vectors[~accepted])}
    parts["all"] = parts["accepted"] + parts["rejected"]
    figures = []
    for scope, mask in (("accepted", accepted), ("rejected", ~accepted), ("all", None)):
        chosen = samples if mask is None else [s for s, keep in zip(samples, mask, strict=True)
                                               if keep]
        if chosen:
            figures.append(diversity_figures(scope, chosen, parts[scope]))
        ctx.raise_if_cancelled()
    duplicates = near_duplicate_clusters([s.text for s in samples], threshold,
                                         ProgressWindow(ctx, 0.55, 0.25))
    lengths = length_report(samples, token_counter, token_note, ProgressWindow(ctx, 0.8, 0.1))
    ctx.report(0.9, "2-D map")
    all_rows = parts["all"] if parts["all"].n == len(vectors) else None  # no zero rows
    projection = project(vectors, map_method, ctx, all_rows)
    ctx.report(1.0, f"Analysed {len(samples):,} samples")
    return DiversityResult(dataset, spec.title, embedder_note, vectors, cached, figures,
                           duplicates, lengths, projection)
