"""hafs's registry loader and saver, reproduced for tests (never imported by the studio).

Provenance: the public hafs repository (scawful/hafs at 14ff9ed, as documented in
../shared/hafs-formats.md §1.2-§1.4), ``src/hafs/training/model_registry.py``:

* ``ModelMetadata`` (:28-88) is a dataclass with 25 fields without a default (``model_id`` …
  ``adapter_path``) and 11 with one (``formats`` … ``updated_at``). ``from_dict`` is
  ``cls(**data)``: a missing required key or any key that is not a field raises TypeError; types
  and the Literal vocabularies are not checked.
* ``_load_registry`` (:139-152): ``json.load`` (accepts NaN/Infinity), then
  ``{model_id: ModelMetadata.from_dict(d) for model_id, d in data.get("models", {}).items()}``;
  *any* exception is logged and the registry is treated as empty.
* ``_save_registry`` (:154-172): ``open(path, "w")`` + ``json.dump(data, f, indent=2)`` of
  ``{"version": "1.0", "updated_at": now, "models": {id: asdict(m)}}``: no lock, no temp file.

The field names are written out here on purpose instead of imported from the studio's schema,
so a mistake there cannot hide in both. ``extra_fields`` models a newer hafs whose dataclass
gained defaulted fields (what an unknown key in a registry comes from).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

REQUIRED = (
    "model_id", "display_name", "version", "base_model", "role", "group", "training_date",
    "training_duration_minutes", "dataset_name", "dataset_path", "train_samples",
    "val_samples", "test_samples", "dataset_quality", "final_loss", "best_loss", "eval_loss",
    "perplexity", "lora_config", "hyperparameters", "hardware", "device", "model_path",
    "checkpoint_path", "adapter_path",
)  # fmt: skip
DEFAULTED = (
    "formats", "locations", "primary_location", "deployed_backends", "ollama_model_name",
    "halext_node_id", "git_commit", "notes", "tags", "created_at", "updated_at",
)  # fmt: skip
assert len(REQUIRED) == 25 and len(DEFAULTED) == 11


def _defaults(stamp: str) -> dict[str, Any]:
    return {"formats": ["pytorch"], "locations": {}, "primary_location": "windows",
            "deployed_backends": [], "ollama_model_name": None, "halext_node_id": None,
            "git_commit": None, "notes": "", "tags": [], "created_at": stamp,
            "updated_at": stamp}


def model_metadata(data: Any, extra_fields: Sequence[str] = ()) -> dict[str, Any]:
    """``ModelMetadata(**data)`` then ``asdict``: the entry hafs holds, or TypeError."""
    if not isinstance(data, Mapping):
        raise TypeError("argument after ** must be a mapping")
    fields = REQUIRED + DEFAULTED + tuple(extra_fields)
    unknown = [key for key in data if key not in fields]
    if unknown:
        raise TypeError(f"__init__() got an unexpected keyword argument {unknown[0]!r}")
    missing = [key for key in REQUIRED if key not in data]
    if missing:
        raise TypeError(f"__init__() missing required arguments: {missing}")
    defaults = _defaults(time.strftime("%Y-%m-%dT%H:%M:%S")) | dict.fromkeys(extra_fields)
    return {key: data[key] if key in data else defaults[key] for key in fields}


def hafs_load(path: str | os.PathLike[str], extra_fields: Sequence[str] = ()
              ) -> dict[str, dict[str, Any]] | None:
    """The models hafs holds after loading ``path``; None where hafs logs an error and holds
    an empty registry (which its next save writes over the file)."""
    try:
        with open(path) as handle:
            data = json.load(handle)
        return {model_id: model_metadata(model_data, extra_fields)
                for model_id, model_data in data.get("models", {}).items()}
    except Exception:  # exactly hafs's `except Exception`: log, hold no models
        return None


def hafs_save(path: str | os.PathLike[str], models: dict[str, dict[str, Any]]) -> None:
    """hafs's save (``ModelRegistry.__init__`` creates the folder): truncate, then
    ``json.dump(indent=2)``, which writes NaN and infinities as bare words."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        json.dump({"version": "1.0", "updated_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
                   "models": models}, handle, indent=2)


def read_models_as_hafs(path: Path) -> dict[str, Any]:
    """The raw ``models`` object exactly as ``json.load`` returns it (NaN included)."""
    with open(path) as handle:
        return json.load(handle)["models"]


def hafs_saver_loop(path: str, stop_file: str, report_file: str, lock: bool) -> int:
    """Run hafs's load-change-save cycle on ``path`` until ``stop_file`` exists, then save
    once more with ``notes = "final"``; write what it did to ``report_file`` (JSON).

    Each cycle loads like hafs (a failed load is recorded: hafs would then save an empty
    registry), renames nothing, adds ``hafs-<n>`` and bumps ``hafs-own``'s notes, then saves
    like hafs: truncate, then small chunks with pauses, so studio processes meet an empty and
    a half-written file many times. With ``lock`` the cycle holds the studio's lock from its
    load until the truncation only: that keeps hafs's own lost update (it saves the copy it
    loaded, reverting whatever was written in between) out of the measurement, while the
    half-written file is still there for every studio writer to meet.
    """
    from filelock import FileLock

    guard = FileLock(path + ".lock") if lock else None
    added: list[str] = []
    failed_loads = 0
    cycle = 0
    final = False
    while True:
        final = os.path.exists(stop_file)
        if guard is not None:
            guard.acquire()
        try:
            models = hafs_load(path)
            if models is None:
                failed_loads += 1
                models = {}
            models.setdefault("hafs-own", model_metadata(_hafs_like_entry("hafs-own")))
            if final:
                models["hafs-own"]["notes"] = "final"
            else:
                cycle += 1
                model_id = f"hafs-{cycle}"
                models[model_id] = model_metadata(_hafs_like_entry(model_id))
                added.append(model_id)
                models["hafs-own"]["notes"] = f"save {cycle}"
            handle = open(path, "w")  # noqa: SIM115 - hafs's truncation, then the lock goes
        finally:
            if guard is not None:
                guard.release()
        text = json.dumps({"version": "1.0", "updated_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
                           "models": models}, indent=2)
        with handle:
            for start in range(0, len(text), 2048):
                handle.write(text[start:start + 2048])
                handle.flush()
                time.sleep(0.0005)
        if final:
            break
        time.sleep(0.005)  # hafs commands are not back to back
    with open(report_file, "w") as out:
        json.dump({"added": added, "failed_loads": failed_loads, "cycles": cycle}, out)
    return 0


def _hafs_like_entry(model_id: str) -> dict[str, Any]:
    entry: dict[str, Any] = dict.fromkeys(REQUIRED, None)
    entry.update(model_id=model_id, display_name=model_id, version="v1", base_model="b",
                 role="general", group="g", training_date="2025-12-22", dataset_name="",
                 dataset_path="", training_duration_minutes=0, train_samples=0,
                 val_samples=0, test_samples=0, dataset_quality={}, lora_config={},
                 hyperparameters={}, hardware="windows-rtx-5060", device="cuda",
                 model_path=f"D:/hafs_training/models/{model_id}")
    return entry


if __name__ == "__main__":
    import sys

    sys.exit(hafs_saver_loop(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "lock"))
