"""JSON records → :class:`~studio.plugins.data.records.Sample`, and the counts every view shows.

:class:`SampleBuilder` turns one parsed line into a Sample (alpaca or ``messages`` template,
fields found through a :class:`FieldMapping`, missing fields counted, huge fields cut).
:class:`DatasetCounts` accumulates what ``data stats`` prints and the overview charts draw;
the CLI's streaming scan and the panel's full load feed the very same object, so both always
agree.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from studio.plugins.data.jsonl import FileReport
from studio.plugins.data.records import (
    ACCEPTED_SPLITS,
    DEFAULT_MAPPING,
    MAX_FIELD_CHARS,
    FieldMapping,
    Sample,
    as_score,
    as_text,
    content_key,
)

__all__ = ["DatasetCounts", "RecordCounter", "SampleBuilder", "extract_turns"]

_NULL_SCORE = ("", "", "null score")  # a tally key no real (domain, source, reason) has


def _hafs_field(name: str) -> Callable[[dict[str, Any]], Any]:
    """The default mapping's ``name`` or ``_metadata.name`` in one call instead of three."""

    def get(record: dict[str, Any]) -> Any:
        value = record.get(name)
        if value is None:
            meta = record.get("_metadata")
            if type(meta) is dict:
                return meta.get(name)
        return value

    return get


@dataclass(frozen=True)
class RecordCounter:
    """``count(line, record)`` per line, then ``flush()`` once at the end of the file."""

    count: Callable[[int, dict[str, Any]], None]
    flush: Callable[[], None]
    block: Callable[[bytes, int], bool] | None = None  # scan_jsonl's fast path (block_counts)


def extract_turns(messages: Any) -> tuple[str, str, str] | None:
    """(system, first user turn, the assistant turn after it) of a ``messages`` list.

    None when ``messages`` is not a list of ``{role, content}`` objects. Later turns are not
    part of instruction/output (hafs's templates write exactly one exchange).
    """
    if not isinstance(messages, list):
        return None
    system = user = assistant = ""
    seen_user = False
    for message in messages:
        if not isinstance(message, dict):
            return None
        role, content = message.get("role"), as_text(message.get("content"))
        if role == "system" and not system:
            system = content
        elif role == "user" and not seen_user:
            user, seen_user = content, True
        elif role == "assistant" and seen_user and not assistant:
            assistant = content
    return system, user, assistant


def _cut(text: str) -> tuple[str, bool]:
    if len(text) > MAX_FIELD_CHARS:
        return text[:MAX_FIELD_CHARS], True
    return text, False


class SampleBuilder:
    """Builds Samples of one file; keeps the content-key repeat counts of that file."""

    def __init__(self, split: str, mapping: FieldMapping, report: FileReport) -> None:
        self.split = split
        self.report = report
        self._seen: Counter[str] = Counter()
        get = mapping.get
        self._instruction, self._input, self._output = (get("instruction"), get("input"),
                                                        get("output"))
        self._messages, self._domain, self._source = (get("messages"), get("domain"),
                                                       get("source"))
        self._score, self._sample_id = get("quality_score"), get("sample_id")
        self._reason, self._details = get("rejection_reason"), get("rejection_details")

    def build(self, line: int, record: dict[str, Any]) -> Sample:
        system = ""
        template = "alpaca"
        raw_instruction = self._instruction(record)
        raw_output = self._output(record)
        if raw_instruction is None and raw_output is None:
            turns = extract_turns(self._messages(record))
            if turns is not None:
                template = "messages"
                system, raw_instruction, raw_output = turns
            elif self._messages(record) is not None:
                self.report.missing("messages (not a list of {role, content})")
        if raw_instruction is None:
            self.report.missing("instruction")
        if raw_output is None:
            self.report.missing("output")
        instruction, output = as_text(raw_instruction), as_text(raw_output)
        input_ = as_text(self._input(record))
        instruction_chars, output_chars = len(instruction), len(output)
        instruction, cut_i = _cut(instruction)
        input_, cut_in = _cut(input_)
        output, cut_o = _cut(output)
        sample_id = as_text(self._sample_id(record))
        key = "id:" + sample_id if sample_id else content_key(instruction, input_, output)
        self._seen[key] += 1
        if self._seen[key] > 1:
            key = f"{key}~{self._seen[key]}"
        details = self._details(record)
        return Sample(
            key=key, split=self.split, line=line, instruction=instruction, input=input_,
            output=output, domain=as_text(self._domain(record)) or "unknown",
            source=as_text(self._source(record)), quality_score=as_score(self._score(record)),
            rejection_reason=as_text(self._reason(record)),
            rejection_details=details if isinstance(details, dict) else None,
            sample_id=sample_id, template=template, system=system,
            instruction_chars=instruction_chars, output_chars=output_chars,
            truncated=cut_i or cut_in or cut_o)


@dataclass
class DatasetCounts:
    """Counts per split, domain, source and rejection reason, and the quality scores."""

    splits: Counter[str] = field(default_factory=Counter)
    domains: dict[str, Counter[str]] = field(default_factory=dict)  # split -> domain -> n
    sources: dict[str, Counter[str]] = field(default_factory=dict)  # split -> source -> n
    reasons: Counter[str] = field(default_factory=Counter)  # rejected lines only
    reasons_by_domain: dict[str, Counter[str]] = field(default_factory=dict)
    scores: dict[str, list[float]] = field(default_factory=dict)  # split -> scores
    null_scores: Counter[str] = field(default_factory=Counter)

    def add(self, split: str, domain: str, source: str, score: float | None,
            reason: str = "") -> None:
        self.add_counts(split, domain, source, reason)
        if score is None:
            self.null_scores[split] += 1
        else:
            self.scores.setdefault(split, []).append(score)

    def add_counts(self, split: str, domain: str, source: str, reason: str = "",
                   count: int = 1) -> None:
        """Everything but the score, ``count`` times."""
        self.splits[split] += count
        if split not in self.domains:
            self.domains[split], self.sources[split] = Counter(), Counter()
        self.domains[split][domain] += count
        self.sources[split][source or "unknown"] += count
        if split == "rejected":
            reason = reason or "unknown"
            self.reasons[reason] += count
            if domain not in self.reasons_by_domain:
                self.reasons_by_domain[domain] = Counter()
            self.reasons_by_domain[domain][reason] += count

    def add_sample(self, sample: Sample) -> None:
        self.add(sample.split, sample.domain, sample.source, sample.quality_score,
                 sample.rejection_reason)

    def record_counter(self, split: str, mapping: FieldMapping) -> RecordCounter:
        """The streaming path of ``data stats``: ``(line, record)`` → counts, no Samples.

        Per line it only looks the four fields up and bumps one dict entry keyed by the raw
        (domain, source, reason) values; :meth:`RecordCounter.flush` folds those into the
        counters at the end of the file, through :meth:`add_counts` as the Sample path does.
        """
        domain_of, source_of = mapping.get("domain"), mapping.get("source")
        score_of = mapping.get("quality_score")
        reason_of = mapping.get("rejection_reason") if split == "rejected" else None
        if mapping == DEFAULT_MAPPING:
            domain_of, source_of, score_of = _hafs_field("domain"), _hafs_field("source"), \
                _hafs_field("quality_score")
        tally: dict[tuple[Any, Any, Any], int] = {}
        scores = self.scores.setdefault(split, [])
        odd: list[tuple[Any, Any, Any]] = []  # unhashable values (a list as domain, …)

        def count(_line: int, record: dict[str, Any]) -> None:
            key = (domain_of(record), source_of(record),
                   reason_of(record) if reason_of is not None else None)
            try:
                tally[key] = tally.get(key, 0) + 1
            except TypeError:
                odd.append(key)
            score = score_of(record)
            if type(score) is float and math.isfinite(score):
                scores.append(score)
            else:
                score = as_score(score)
                if score is None:
                    tally[_NULL_SCORE] = tally.get(_NULL_SCORE, 0) + 1
                else:
                    scores.append(score)

        def flush() -> None:
            nulls = tally.pop(_NULL_SCORE, 0)
            for (domain, source, reason), n in [*tally.items(), *((k, 1) for k in odd)]:
                self.add_counts(split, as_text(domain) or "unknown", as_text(source),
                                as_text(reason), count=n)
            if nulls:
                self.null_scores[split] += nulls
            if not scores:
                self.scores.pop(split, None)
            tally.clear()
            odd.clear()

        from studio.plugins.data.block_counts import block_counter

        return RecordCounter(count, flush,
                             block_counter(split, mapping, tally=tally, scores=scores, odd=odd,
                                           null_key=_NULL_SCORE))

    # -- derived figures -------------------------------------------------------------------
    @property
    def accepted(self) -> int:
        return sum(self.splits[s] for s in ACCEPTED_SPLITS)

    @property
    def rejected(self) -> int:
        return self.splits["rejected"]

    @property
    def acceptance_rate(self) -> float | None:
        total = self.accepted + self.rejected
        return self.accepted / total if total else None

    def domains_of(self, splits: tuple[str, ...]) -> Counter[str]:
        total: Counter[str] = Counter()
        for split in splits:
            total.update(self.domains.get(split, Counter()))
        return total

    def sources_of(self, splits: tuple[str, ...]) -> Counter[str]:
        total: Counter[str] = Counter()
        for split in splits:
            total.update(self.sources.get(split, Counter()))
        return total

    def scores_of(self, splits: tuple[str, ...]) -> list[float]:
        return [score for split in splits for score in self.scores.get(split, [])]
