"""Which samples to show or export: one filter for the review list, the CLI and the manifest.

On the command line a filter is a list of ``name=value`` terms, all of which must hold::

    split=train,val   domain=asm,oracle   reason=low_diversity   score=0.4..0.9
    text=LDA          review=approved|rejected|unreviewed|feedback|edited

``score=0.5..`` and ``score=..0.5`` leave one end open; a sample without a score never matches
a score range. ``text`` is a case-insensitive substring of instruction, input or output.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from studio.plugins.data.annotations import Annotation
from studio.plugins.data.records import SPLITS, Sample

__all__ = ["REVIEW_STATES", "FilterError", "SampleFilter"]

REVIEW_STATES = ("approved", "rejected", "unreviewed", "feedback", "edited")


class FilterError(ValueError):
    """A filter term is not understood; the message names it."""


def _float(text: str, term: str) -> float | None:
    if not text.strip():
        return None
    try:
        return float(text)
    except ValueError:
        raise FilterError(f"{term!r}: {text!r} is not a number") from None


@dataclass(frozen=True)
class SampleFilter:
    splits: frozenset[str] = frozenset()  # empty: every split
    domains: frozenset[str] = frozenset()
    reasons: frozenset[str] = frozenset()
    min_score: float | None = None
    max_score: float | None = None
    text: str = ""
    review: str = ""
    keys: frozenset[str] | None = field(default=None)  # e.g. "near-duplicates of this"

    @classmethod
    def parse(cls, terms: Iterable[str]) -> SampleFilter:
        result = cls()
        for term in terms:
            name, sep, value = term.partition("=")
            name = name.strip().lower()
            if not sep:
                raise FilterError(f"{term!r}: expected name=value (e.g. split=train)")
            items = frozenset(v.strip() for v in value.split(",") if v.strip())
            if name == "split":
                unknown = items - set(SPLITS)
                if unknown:
                    raise FilterError(f"{term!r}: unknown split {sorted(unknown)}; known: "
                                      f"{', '.join(SPLITS)}")
                result = replace(result, splits=items)
            elif name == "domain":
                result = replace(result, domains=items)
            elif name == "reason":
                result = replace(result, reasons=items)
            elif name == "score":
                low, dots, high = value.partition("..")
                if not dots:
                    raise FilterError(f"{term!r}: expected score=LOW..HIGH (either may be empty)")
                result = replace(result, min_score=_float(low, term),
                                 max_score=_float(high, term))
            elif name == "text":
                result = replace(result, text=value)
            elif name == "review":
                if value not in REVIEW_STATES:
                    raise FilterError(f"{term!r}: review must be one of "
                                      f"{', '.join(REVIEW_STATES)}")
                result = replace(result, review=value)
            else:
                raise FilterError(f"unknown filter {name!r}; known: split, domain, reason, "
                                  "score, text, review")
        return result

    @property
    def active(self) -> bool:
        return self != SampleFilter()

    def matches(self, sample: Sample, annotation: Annotation | None = None) -> bool:
        if self.keys is not None and sample.key not in self.keys:
            return False
        if self.splits and sample.split not in self.splits:
            return False
        if self.domains and sample.domain not in self.domains:
            return False
        if self.reasons and sample.rejection_reason not in self.reasons:
            return False
        if self.min_score is not None or self.max_score is not None:
            score = sample.quality_score
            if score is None or (self.min_score is not None and score < self.min_score) \
                    or (self.max_score is not None and score > self.max_score):
                return False
        if self.review and not _review_matches(self.review, annotation):
            return False
        if self.text:
            needle = self.text.casefold()
            if not any(needle in part.casefold()
                       for part in (sample.instruction, sample.input, sample.output)):
                return False
        return True

    def apply(self, samples: Iterable[Sample],
              annotations: Mapping[str, Annotation] | None = None) -> list[Sample]:
        notes = annotations or {}
        return [s for s in samples if self.matches(s, notes.get(s.key))]

    def describe(self) -> dict[str, Any]:
        """The manifest's record of this filter (only the terms in use)."""
        out: dict[str, Any] = {}
        for name in ("splits", "domains", "reasons"):
            if getattr(self, name):
                out[name] = sorted(getattr(self, name))
        if self.min_score is not None:
            out["min_score"] = self.min_score
        if self.max_score is not None:
            out["max_score"] = self.max_score
        if self.text:
            out["text"] = self.text
        if self.review:
            out["review"] = self.review
        if self.keys is not None:
            out["keys"] = sorted(self.keys)
        return out


def _review_matches(state: str, annotation: Annotation | None) -> bool:
    if state == "unreviewed":
        return annotation is None or (not annotation.decision and not annotation.feedback
                                      and annotation.edited is None)
    if annotation is None:
        return False
    if state == "feedback":
        return bool(annotation.feedback)
    if state == "edited":
        return annotation.edited is not None
    return annotation.decision == state
