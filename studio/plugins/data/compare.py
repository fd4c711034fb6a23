"""Two datasets side by side: sizes, rates, domains, diversity, overlap and duplicates.

*Overlap* counts samples whose text (instruction, input, output) is identical in both; *near
duplicates between them* are pairs, one from each side, whose 5-character shingle sets have
Jaccard ≥ the threshold (the native MinHash kernel over both, verified exactly, pairs within
one dataset ignored).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from studio.api import NULL_CONTEXT, JobContext
from studio.plugins.data.analysis import DiversityFigures, diversity_figures, embed_dataset
from studio.plugins.data.analytics import Table
from studio.plugins.data.dataset import Dataset
from studio.plugins.data.diversity import DEFAULT_THRESHOLD
from studio.plugins.data.embeddings import EmbedderSpec, EmbeddingCache
from studio.plugins.data.progress import ProgressWindow
from studio.plugins.data.records import ACCEPTED_SPLITS, content_key

__all__ = ["Comparison", "compare_datasets"]


@dataclass(frozen=True)
class Comparison:
    left: Dataset
    right: Dataset
    figures: tuple[DiversityFigures, DiversityFigures]  # accepted samples of each
    identical: int  # distinct texts present in both
    near_pairs: list[tuple[int, int, float]]  # (left index, right index, jaccard)
    threshold: float

    def summary(self) -> Table:
        rows: list[tuple[Any, ...]] = []
        left, right = self.left.counts, self.right.counts

        def row(name: str, a: Any, b: Any) -> None:
            rows.append((name, a, b))

        for split in (*ACCEPTED_SPLITS, "rejected"):
            row(f"{split} samples", left.splits[split], right.splits[split])
        row("acceptance rate", left.acceptance_rate, right.acceptance_rate)
        for name in ("distinct_1", "distinct_2", "mean_cosine_distance", "vendi"):
            row(name, getattr(self.figures[0], name), getattr(self.figures[1], name))
        row("texts in both (identical)", self.identical, self.identical)
        near_left = len({a for a, _, _ in self.near_pairs})
        near_right = len({b for _, b, _ in self.near_pairs})
        row(f"near-duplicates of the other (Jaccard ≥ {self.threshold})", near_left, near_right)
        return Table("Compare datasets", ("figure", self.left.name, self.right.name), rows)

    def domains(self) -> Table:
        a = self.left.counts.domains_of(ACCEPTED_SPLITS)
        b = self.right.counts.domains_of(ACCEPTED_SPLITS)
        names = sorted(set(a) | set(b), key=lambda d: (-(a[d] + b[d]), d))
        return Table("Accepted samples per domain", ("domain", self.left.name, self.right.name),
                     [(d, a[d], b[d]) for d in names])

    def pairs(self) -> Table:
        rows = []
        for i, j, jaccard in self.near_pairs:
            x, y = self.left.samples[i], self.right.samples[j]
            rows.append((jaccard, x.split, x.line, y.split, y.line, x.instruction[:80]))
        return Table("Near-duplicates between the datasets",
                     ("jaccard", "left_split", "left_line", "right_split", "right_line",
                      "instruction"), rows)


def _text_keys(dataset: Dataset) -> set[str]:
    return {content_key(s.instruction, s.input, s.output) for s in dataset.samples}


def compare_datasets(left: Dataset, right: Dataset, spec: EmbedderSpec, cache: EmbeddingCache,
                     *, threshold: float = DEFAULT_THRESHOLD,
                     ctx: JobContext = NULL_CONTEXT) -> Comparison:
    from studio.api import native

    figures = []
    for number, dataset in enumerate((left, right)):
        vectors, _ = embed_dataset(dataset, spec, cache,
                                   ProgressWindow(ctx, 0.3 * number, 0.3))
        accepted = np.fromiter((s.accepted for s in dataset.samples), bool,
                               len(dataset.samples))
        chosen = [s for s in dataset.samples if s.accepted]
        figures.append(diversity_figures("accepted", chosen, vectors[accepted]))
    ctx.report(0.6, "Overlap")
    identical = len(_text_keys(left) & _text_keys(right))
    ctx.raise_if_cancelled()
    texts = [s.text for s in left.samples] + [s.text for s in right.samples]
    found = native.find_near_duplicates(texts, threshold=threshold, k=5)
    ctx.raise_if_cancelled()
    split_at = len(left.samples)
    near = []
    for (a, b), jaccard in zip(found.pairs.tolist(), found.jaccard.tolist(), strict=True):
        low, high = min(a, b), max(a, b)
        if low < split_at <= high:
            near.append((low, high - split_at, float(jaccard)))
    near.sort(key=lambda p: (-p[2], p[0], p[1]))
    ctx.report(1.0, "Compared")
    return Comparison(left, right, (figures[0], figures[1]), identical, near, threshold)
