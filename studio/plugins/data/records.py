"""One training sample as the Data plugin sees it, how JSON lines map onto it, and its key.

A hafs dataset line comes in two templates (hafs-formats §2.A): alpaca
(``instruction``/``input``/``output``) and ``messages`` (user/assistant turns); ``domain``,
``source`` and ``quality_score`` sit at the top level (rejected.jsonl) or under ``_metadata``
(train/val/test). :class:`FieldMapping` names where each field lives (dotted paths, tried in
order), so any JSONL dataset can be read with another mapping.

**Stable keys.** hafs's daemon may rewrite train.jsonl at any time (re-scored lines, new line
order), and rejected.jsonl lines carry no id. A sample's key is therefore

* ``id:<_metadata.sample_id>`` when the line has a sample id (train/val/test), and otherwise
* ``text:<hash>`` — a 20-hex-digit BLAKE2b digest of instruction, input and output — with
  ``~2``, ``~3`` … appended for the second, third … identical line in the same file.

Both survive re-scoring and reordering; a content key changes only when the text itself does,
which makes it a different sample. Annotations (``user_annotations.json``) store the key.
"""

from __future__ import annotations

import hashlib
import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import orjson

__all__ = [
    "ACCEPTED_SPLITS",
    "DEFAULT_MAPPING",
    "MAX_FIELD_CHARS",
    "SPLITS",
    "FieldMapping",
    "MappingError",
    "Sample",
    "content_key",
    "text_of",
]

SPLITS = ("train", "val", "test", "rejected")
ACCEPTED_SPLITS = ("train", "val", "test")
# Longer fields are cut for display and analysis (the length figures use the full length), so
# a 50 MB "output" never ends up in a table cell or an embedding batch.
MAX_FIELD_CHARS = 100_000


class MappingError(ValueError):
    """A field mapping the user typed is not valid; the message says which part."""


Getter = Callable[[dict[str, Any]], Any]


def _getter(path: str) -> Getter:
    parts = path.split(".")
    if len(parts) == 1:
        return operator.methodcaller("get", parts[0])
    if len(parts) == 2:  # "_metadata.domain": the common case, without a loop
        outer, inner = parts

        def nested2(record: dict[str, Any]) -> Any:
            value = record.get(outer)
            return value.get(inner) if type(value) is dict else None

        return nested2

    def nested(record: dict[str, Any]) -> Any:
        value: Any = record
        for part in parts:
            if not isinstance(value, dict):
                return None
            value = value.get(part)
        return value

    return nested


def _first_of(paths: Sequence[str]) -> Getter:
    getters = [_getter(path) for path in paths]
    if len(getters) == 1:
        return getters[0]
    if len(getters) == 2:
        first_get, second_get = getters

        def first2(record: dict[str, Any]) -> Any:
            value = first_get(record)
            return value if value is not None else second_get(record)

        return first2

    def first(record: dict[str, Any]) -> Any:
        for get in getters:
            value = get(record)
            if value is not None:
                return value
        return None

    return first


@dataclass(frozen=True)
class FieldMapping:
    """Where each sample field lives in a JSON line: dotted paths, the first non-null wins."""

    instruction: tuple[str, ...] = ("instruction",)
    input: tuple[str, ...] = ("input",)
    output: tuple[str, ...] = ("output",)
    messages: tuple[str, ...] = ("messages",)
    domain: tuple[str, ...] = ("domain", "_metadata.domain")
    source: tuple[str, ...] = ("source", "_metadata.source")
    quality_score: tuple[str, ...] = ("quality_score", "_metadata.quality_score")
    sample_id: tuple[str, ...] = ("_metadata.sample_id", "sample_id")
    rejection_reason: tuple[str, ...] = ("rejection_reason",)
    rejection_details: tuple[str, ...] = ("rejection_details",)
    _getters: dict[str, Getter] = field(default_factory=dict, init=False, repr=False,
                                        compare=False)

    def __post_init__(self) -> None:
        for item in fields(self):
            if item.name.startswith("_"):
                continue
            paths = getattr(self, item.name)
            if isinstance(paths, str):
                paths = (paths,)
                object.__setattr__(self, item.name, paths)
            if not paths or not all(isinstance(p, str) and p.strip(".") for p in paths):
                raise MappingError(f"field {item.name!r}: give at least one JSON key path")
            self._getters[item.name] = _first_of(paths)

    def get(self, name: str) -> Getter:
        return self._getters[name]

    @classmethod
    def parse(cls, text: str, base: FieldMapping | None = None) -> FieldMapping:
        """``"instruction=prompt,output=completion,domain=meta.topic|tag"`` over ``base``.

        ``|`` separates alternatives tried in order; unknown field names are an error.
        """
        base = base or DEFAULT_MAPPING
        names = {item.name for item in fields(cls) if not item.name.startswith("_")}
        changes: dict[str, tuple[str, ...]] = {}
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            name, sep, value = part.partition("=")
            name = name.strip()
            if not sep:
                raise MappingError(f"{part!r}: expected field=path (e.g. output=completion)")
            if name not in names:
                raise MappingError(f"unknown field {name!r}; known: {', '.join(sorted(names))}")
            paths = tuple(p.strip() for p in value.split("|") if p.strip())
            if not paths:
                raise MappingError(f"field {name!r}: empty path")
            changes[name] = paths
        return replace(base, **changes)

    def as_dict(self) -> dict[str, list[str]]:
        return {item.name: list(getattr(self, item.name)) for item in fields(self)
                if not item.name.startswith("_")}


DEFAULT_MAPPING = FieldMapping()


@dataclass(slots=True)
class Sample:
    """One line of a dataset file, normalised; ``line`` is 1-based in ``split``'s file."""

    key: str
    split: str
    line: int
    instruction: str
    input: str
    output: str
    domain: str = "unknown"
    source: str = ""
    quality_score: float | None = None
    rejection_reason: str = ""
    rejection_details: dict[str, Any] | None = None
    sample_id: str = ""
    template: str = "alpaca"  # or "messages"
    system: str = ""  # a system message of the messages template
    instruction_chars: int = 0  # full lengths, before MAX_FIELD_CHARS cuts
    output_chars: int = 0
    truncated: bool = False

    @property
    def accepted(self) -> bool:
        return self.split != "rejected"

    @property
    def text(self) -> str:
        """What embeddings and near-duplicate detection compare."""
        return text_of(self.instruction, self.input, self.output)

    def as_alpaca(self) -> dict[str, Any]:
        """hafs's alpaca shape: ``input`` only when non-empty (curator ``to_jsonl_entry``)."""
        entry: dict[str, Any] = {"instruction": self.instruction}
        if self.input:
            entry["input"] = self.input
        entry["output"] = self.output
        return entry


def text_of(instruction: str, input_: str, output: str) -> str:
    return f"{instruction}\n{input_}\n{output}" if input_ else f"{instruction}\n{output}"


def content_key(instruction: str, input_: str, output: str) -> str:
    """``text:<20 hex>``: the key of a line without a sample id (see the module docstring)."""
    digest = hashlib.blake2b(digest_size=10)
    for part in (instruction, input_, output):
        data = part.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return "text:" + digest.hexdigest()


def as_text(value: Any) -> str:
    """A field value as text: strings as they are, other JSON values serialised."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return str(value)
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return str(value)


def as_score(value: Any) -> float | None:
    """A quality score, or None for null, non-numbers and NaN/inf."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None
