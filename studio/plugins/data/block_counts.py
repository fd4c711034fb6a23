"""The fast path of ``data stats``: a block of JSONL lines → counts, without Python dicts.

hafs's lines are mostly instruction and output text; ``data stats`` needs four small fields.
msgspec decodes a whole block of lines (``Decoder.decode_lines``) into small structs holding
only those fields: it still checks every line is valid JSON, but skips the long strings
instead of building Python objects for them, so a million lines take about a third of the time
of ``orjson.loads`` per line plus dict look-ups (benchmarks/results/data_stats.json).

Only hafs's own layout (the default :class:`FieldMapping` for the counted fields) takes this
path; anything else, and any block the decoder refuses (a malformed, blank or non-object line,
``_metadata`` that is not an object, invalid UTF-8), goes through the per-line reader, which
finds and numbers the problem. Both paths produce the same counts (tests/plugins/data).
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Callable
from typing import Any

import msgspec

from studio.plugins.data.records import DEFAULT_MAPPING, FieldMapping, as_score

__all__ = ["COUNTED_FIELDS", "block_counter"]

COUNTED_FIELDS = ("domain", "source", "quality_score", "rejection_reason")


class _Metadata(msgspec.Struct, gc=False):  # JSON values hold no cycles: skip GC tracking
    domain: Any = None
    source: Any = None
    quality_score: Any = None


class _Row(msgspec.Struct, gc=False):
    domain: Any = None
    source: Any = None
    quality_score: Any = None
    rejection_reason: Any = None
    metadata: _Metadata | None = msgspec.field(default=None, name="_metadata")


_DECODER = msgspec.json.Decoder(_Row)  # thread-safe: holds no per-call state
_ERRORS = (msgspec.DecodeError, msgspec.ValidationError)

Tally = dict[tuple[Any, Any, Any], int]
_METADATA = operator.attrgetter("metadata")
_SCORE = operator.attrgetter("quality_score")
_TOP_WITH_REASON = operator.attrgetter("domain", "source", "rejection_reason")
_TOP = operator.attrgetter("domain", "source")
_NESTED = operator.attrgetter("domain", "source")


def _count_keys(rows: list[_Row], metas: list[_Metadata | None], with_reason: bool,
                tally: Tally, odd: list[tuple[Any, Any, Any]]) -> None:
    """(domain, source, reason) per row into ``tally``, the top-level value winning over
    ``_metadata``'s as in hafs. The rows are grouped by their raw values in C first (a block
    holds a handful of distinct ones), so Python resolves each distinct combination once."""
    tops = map(_TOP_WITH_REASON if with_reason else _TOP, rows)
    nested: list[tuple[Any, Any] | None]
    if None not in metas:  # train/val/test: every line has _metadata
        nested = list(map(_NESTED, metas))
    elif metas.count(None) == len(metas):  # rejected: none has
        nested = [None] * len(metas)
    else:
        nested = [None if meta is None else (meta.domain, meta.source) for meta in metas]
    try:
        top_list = list(tops)
        empty = (None, None, None) if with_reason else (None, None)
        if top_list.count(empty) == len(top_list):  # train: only _metadata has the fields
            groups = Counter({(empty, key): n for key, n in Counter(nested).items()})
        else:
            groups = Counter(zip(top_list, nested, strict=True))
    except TypeError:  # an unhashable value (a list as domain): one row at a time
        groups = Counter()
        for pair in zip(map(_TOP_WITH_REASON if with_reason else _TOP, rows), nested,
                        strict=True):
            try:
                groups[pair] += 1
            except TypeError:
                odd.append(_resolve(*pair))
    for pair, count in groups.items():
        key = _resolve(*pair)
        try:
            tally[key] = tally.get(key, 0) + count
        except TypeError:
            odd.extend([key] * count)


def _resolve(top: tuple[Any, ...], nested: tuple[Any, Any] | None) -> tuple[Any, Any, Any]:
    domain, source = top[0], top[1]
    if nested is not None:
        domain = nested[0] if domain is None else domain
        source = nested[1] if source is None else source
    return domain, source, top[2] if len(top) == 3 else None


def _add_scores(raw: list[Any], metas: list[_Metadata | None], scores: list[float],
                tally: Tally, null_key: tuple[str, str, str]) -> None:
    """Finite scores appended in line order; null, non-numeric and NaN/inf ones counted."""
    if None not in metas and raw.count(None) == len(raw):  # scores only under _metadata
        merged = list(map(_SCORE, metas))
    elif metas.count(None) == len(metas):  # no _metadata at all
        merged = raw
    else:
        merged = [score if score is not None or meta is None else meta.quality_score
                  for score, meta in zip(raw, metas, strict=True)]
    finite = [score for score in merged if type(score) is float and score - score == 0.0]
    if len(finite) == len(merged):  # the usual block: every score a finite float
        scores.extend(finite)
        return
    nulls = 0
    for score in merged:
        value = as_score(score)
        if value is None:
            nulls += 1
        else:
            scores.append(value)
    if nulls:
        tally[null_key] = tally.get(null_key, 0) + nulls


def block_counter(split: str, mapping: FieldMapping, *, tally: Tally, scores: list[float],
                  odd: list[tuple[Any, Any, Any]], null_key: tuple[str, str, str]
                  ) -> Callable[[bytes, int], bool] | None:
    """A ``scan_jsonl`` block handler feeding the same tally as the per-line counter, or
    None when ``mapping`` moves a counted field away from where hafs writes it."""
    if any(getattr(mapping, name) != getattr(DEFAULT_MAPPING, name) for name in COUNTED_FIELDS):
        return None
    with_reason = split == "rejected"

    def on_block(body: bytes, lines: int) -> bool:
        if not body.isascii():
            try:  # msgspec does not check the strings it skips; the line reader repairs them
                body.decode("utf-8")
            except UnicodeDecodeError:
                return False
        try:
            rows = _DECODER.decode_lines(body)
        except _ERRORS:
            return False
        if len(rows) != lines:  # decode_lines skips blank lines; the line reader counts them
            return False
        metas = list(map(_METADATA, rows))
        _count_keys(rows, metas, with_reason, tally, odd)
        _add_scores(list(map(_SCORE, rows)), metas, scores, tally, null_key)
        return True

    return on_block
