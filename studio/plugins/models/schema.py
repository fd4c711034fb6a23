"""The hafs model-registry entry: its 36 keys, their order, defaults and vocabularies.

hafs builds each entry with ``ModelMetadata(**data)`` (hafs-formats §1.4): the 25
:data:`REQUIRED_FIELDS` must be present, the 11 :data:`OPTIONAL_FIELDS` get hafs's defaults
(:func:`hafs_default`), and one unknown or missing key makes it treat the *whole* registry as
empty and overwrite it on its next save. So every entry the studio creates or changes is a plain
dict with exactly these keys, in hafs's ``asdict`` order, and studio-only data goes to the
sidecar file instead (see :mod:`studio.plugins.models.sidecar`). How entries hafs wrote in
another shape are read and written back is described in :mod:`.registry_format`.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Mapping
from typing import Any, TypedDict

from studio.plugins.models.ids import InvalidModelIdError, validate_model_id

__all__ = [
    "BACKENDS",
    "FIELDS",
    "FORMATS",
    "LOCATIONS",
    "REQUIRED_FIELDS",
    "EntryError",
    "ModelEntry",
    "check_entry_keys",
    "entry_problems",
    "hafs_default",
    "new_entry",
    "now_iso",
]

# Key order of hafs' ModelMetadata dataclass (serialised with dataclasses.asdict).
REQUIRED_FIELDS: tuple[str, ...] = (
    "model_id", "display_name", "version", "base_model", "role", "group",
    "training_date", "training_duration_minutes", "dataset_name", "dataset_path",
    "train_samples", "val_samples", "test_samples", "dataset_quality",
    "final_loss", "best_loss", "eval_loss", "perplexity", "lora_config", "hyperparameters",
    "hardware", "device", "model_path", "checkpoint_path", "adapter_path",
)  # fmt: skip
OPTIONAL_FIELDS: tuple[str, ...] = (
    "formats", "locations", "primary_location", "deployed_backends", "ollama_model_name",
    "halext_node_id", "git_commit", "notes", "tags", "created_at", "updated_at",
)  # fmt: skip
FIELDS: tuple[str, ...] = REQUIRED_FIELDS + OPTIONAL_FIELDS
FIELD_SET = frozenset(FIELDS)
OPTIONAL_SET = frozenset(OPTIONAL_FIELDS)
assert len(FIELDS) == 36

LOCATIONS: tuple[str, ...] = ("mac", "windows", "cloud", "halext")
BACKENDS: tuple[str, ...] = ("ollama", "llama.cpp", "vllm", "transformers", "halext-node")
FORMATS: tuple[str, ...] = ("pytorch", "gguf", "onnx", "safetensors")


class ModelEntry(TypedDict):
    """One registry entry, exactly as hafs stores it (a plain dict at run time)."""

    model_id: str
    display_name: str
    version: str
    base_model: str
    role: str
    group: str
    training_date: str
    training_duration_minutes: int
    dataset_name: str
    dataset_path: str
    train_samples: int
    val_samples: int
    test_samples: int
    dataset_quality: dict[str, float]
    final_loss: float | None
    best_loss: float | None
    eval_loss: float | None
    perplexity: float | None
    lora_config: dict[str, Any]
    hyperparameters: dict[str, Any]
    hardware: str
    device: str
    model_path: str
    checkpoint_path: str | None
    adapter_path: str | None
    formats: list[str]
    locations: dict[str, str]
    primary_location: str
    deployed_backends: list[str]
    ollama_model_name: str | None
    halext_node_id: str | None
    git_commit: str | None
    notes: str
    tags: list[str]
    created_at: str
    updated_at: str


class EntryError(ValueError):
    """An entry does not have the shape hafs requires; the message names the entry and field."""


def now_iso() -> str:
    """Local time without a timezone, as hafs writes it (``datetime.now().isoformat()``)."""
    return _dt.datetime.now().isoformat()


# hafs's field defaults (model_registry.py:72-88); created_at/updated_at default to "now".
_DEFAULTS: dict[str, Callable[[str], Any]] = {
    "formats": lambda _stamp: ["pytorch"],
    "locations": lambda _stamp: {},
    "primary_location": lambda _stamp: "windows",
    "deployed_backends": lambda _stamp: [],
    "ollama_model_name": lambda _stamp: None,
    "halext_node_id": lambda _stamp: None,
    "git_commit": lambda _stamp: None,
    "notes": lambda _stamp: "",
    "tags": lambda _stamp: [],
    "created_at": lambda stamp: stamp,
    "updated_at": lambda stamp: stamp,
}
assert _DEFAULTS.keys() == set(OPTIONAL_FIELDS)


def hafs_default(key: str, stamp: str) -> Any:
    """hafs's default for one of the 11 :data:`OPTIONAL_FIELDS` (a fresh list or dict each call).

    ``stamp`` is what hafs's ``default_factory`` gives ``created_at``/``updated_at``: the time
    of the load. A required field has no default: KeyError.
    """
    return _DEFAULTS[key](stamp)


def new_entry(model_id: str, **fields: Any) -> ModelEntry:
    """Build a complete 36-key entry: given fields, hafs' defaults for the rest, null otherwise.

    Unknown field names raise :class:`EntryError` (they would break hafs).
    """
    validate_model_id(model_id)
    unknown = sorted(set(fields) - FIELD_SET)
    if unknown:
        raise EntryError(f"unknown registry field(s) {', '.join(unknown)}")
    stamp = now_iso()
    entry = {key: fields[key] if key in fields else
             (hafs_default(key, stamp) if key in OPTIONAL_SET else None) for key in FIELDS}
    entry["model_id"] = model_id
    return entry  # type: ignore[return-value]


def check_entry_keys(model_id: str, entry: Any, source: str) -> None:
    """Raise :class:`EntryError` unless ``entry`` is a dict with exactly the 36 hafs keys."""
    if not isinstance(entry, dict):
        raise EntryError(f"{source}: model {model_id!r} is a {type(entry).__name__}, not an object")
    if entry.keys() == FIELD_SET:
        return
    missing = [key for key in FIELDS if key not in entry]
    extra = sorted(key for key in entry if key not in FIELD_SET)
    parts = []
    if missing:
        parts.append(f"missing {', '.join(missing)}")
    if extra:
        parts.append(f"unknown {', '.join(extra)}")
    raise EntryError(
        f"{source}: model {model_id!r} does not have the 36 hafs keys ({'; '.join(parts)})"
    )


_TYPES: dict[str, tuple[type, ...]] = {
    **dict.fromkeys(
        ("display_name", "version", "base_model", "role", "group", "training_date",
         "dataset_name", "dataset_path", "hardware", "device", "model_path",
         "primary_location", "notes", "created_at", "updated_at"), (str,)),
    **dict.fromkeys(
        ("training_duration_minutes", "train_samples", "val_samples", "test_samples"), (int,)),
    **dict.fromkeys(("final_loss", "best_loss", "eval_loss", "perplexity"), (int, float)),
    **dict.fromkeys(("dataset_quality", "lora_config", "hyperparameters", "locations"), (dict,)),
    **dict.fromkeys(("formats", "deployed_backends", "tags"), (list,)),
    **dict.fromkeys(
        ("checkpoint_path", "adapter_path", "ollama_model_name", "halext_node_id",
         "git_commit", "model_id"), (str,)),
}  # fmt: skip


def entry_problems(entry: Mapping[str, Any]) -> list[str]:
    """Type and vocabulary problems of an entry (empty when it is clean).

    Reading tolerates these (hafs does), but the studio refuses to *write* them.
    """
    problems: list[str] = []
    for key, types in _TYPES.items():
        value = entry.get(key)
        if value is not None and (not isinstance(value, types) or isinstance(value, bool)):
            problems.append(f"{key} should be {'/'.join(t.__name__ for t in types)}, "
                            f"not {type(value).__name__}")
    try:
        validate_model_id(entry.get("model_id") or "")
    except InvalidModelIdError as exc:
        problems.append(str(exc))
    locations = entry.get("locations") or {}
    if isinstance(locations, dict):
        problems += [f"location {k!r} is not one of {', '.join(LOCATIONS)}"
                     for k in locations if k not in LOCATIONS]
    primary = entry.get("primary_location")
    if primary is not None and primary not in LOCATIONS:
        problems.append(f"primary_location {primary!r} is not one of {', '.join(LOCATIONS)}")
    for key, vocabulary in (("deployed_backends", BACKENDS), ("formats", FORMATS)):
        values = entry.get(key) or []
        if isinstance(values, list):
            problems += [f"{key} value {v!r} is not one of {', '.join(vocabulary)}"
                         for v in values if v not in vocabulary]
    return problems
