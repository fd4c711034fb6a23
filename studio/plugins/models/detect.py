"""Look at a folder or file and say what model it is, for the Register form and CLI.

Recognises a Hugging Face checkpoint folder (config.json + safetensors, sharded or not), a PEFT
LoRA adapter folder (adapter_config.json) and a GGUF file, then fills what it can of the
registry entry from ``trainer_state.json`` (HF Trainer; the highest ``checkpoint-N`` wins, as in
hafs' health check) and hafs' fine-tune ``metadata.json`` (hafs-formats §2.F).
"""

from __future__ import annotations

import json
import math
import os
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from studio.plugins.models.gguf_info import GGUFFormatError, read_gguf_info
from studio.plugins.models.ids import validate_model_id
from studio.plugins.models.schema import LOCATIONS, ModelEntry, new_entry

__all__ = ["DetectError", "Detection", "build_entry", "detect_model", "read_trainer_state"]

Kind = Literal["hf", "lora", "gguf"]


class DetectError(ValueError):
    """The path is not a model the studio can register; the message says what was expected."""


@dataclass
class Detection:
    """What was found at ``path``; ``fields`` are registry fields the user may still correct."""

    kind: Kind
    path: Path
    architecture: str | None = None
    parameter_count: int | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)  # files the fields came from


def detect_model(path: str | os.PathLike[str]) -> Detection:
    path = Path(path).expanduser()
    if not path.exists():
        raise DetectError(f"{path}: no such file or folder")
    if path.is_file():
        if path.suffix.lower() != ".gguf":
            raise DetectError(f"{path}: a model file must be .gguf (or give a model folder)")
        return _detect_gguf(path)
    if (path / "adapter_config.json").is_file():
        detection = _detect_lora(path)
    elif (path / "config.json").is_file():
        detection = _detect_hf(path)
    else:
        raise DetectError(f"{path}: neither a Hugging Face model folder (config.json) nor a LoRA "
                          "adapter folder (adapter_config.json)")
    _apply_trainer_state(detection)
    _apply_hafs_metadata(detection)
    return detection


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DetectError(f"{path}: cannot read ({exc})") from exc
    if not isinstance(data, dict):
        raise DetectError(f"{path}: expected a JSON object")
    return data


def _safetensors_parameters(folder: Path, pattern: str) -> int | None:
    total, found = 0, False
    for file in folder.glob(pattern):
        try:
            with open(file, "rb") as handle:
                (length,) = struct.unpack("<Q", handle.read(8))
                header = json.loads(handle.read(length))
        except (OSError, ValueError, struct.error):
            continue
        found = True
        total += sum(math.prod(spec["shape"]) for name, spec in header.items()
                     if name != "__metadata__")
    return total if found else None


def _formats(folder: Path) -> list[str]:
    formats = []
    if any(folder.glob("*.safetensors")):
        formats.append("safetensors")
    if any(folder.glob("*.bin")) or any(folder.glob("*.pt")):
        formats.append("pytorch")
    if any(folder.glob("*.gguf")):
        formats.append("gguf")
    return formats or ["pytorch"]


def _detect_hf(folder: Path) -> Detection:
    config = _read_json(folder / "config.json")
    architectures = config.get("architectures") or [config.get("model_type")]
    detection = Detection("hf", folder, architectures[0],
                          _safetensors_parameters(folder, "*.safetensors"),
                          sources=[str(folder / "config.json")])
    detection.fields["formats"] = _formats(folder)
    base = config.get("_name_or_path")
    if base and not Path(str(base)).is_absolute():
        detection.fields["base_model"] = base
    return detection


def _detect_lora(folder: Path) -> Detection:
    config = _read_json(folder / "adapter_config.json")
    detection = Detection("lora", folder, config.get("peft_type", "LORA"),
                          _safetensors_parameters(folder, "adapter_model*.safetensors"),
                          sources=[str(folder / "adapter_config.json")])
    lora = {key: config[key] for key in ("r", "lora_alpha", "lora_dropout", "target_modules",
                                         "use_rslora", "bias") if key in config}
    detection.fields.update(lora_config=lora, adapter_path=str(folder),
                            formats=_formats(folder))
    if config.get("base_model_name_or_path"):
        detection.fields["base_model"] = config["base_model_name_or_path"]
    return detection


def _detect_gguf(file: Path) -> Detection:
    try:
        info = read_gguf_info(file)
    except GGUFFormatError as exc:
        raise DetectError(str(exc)) from exc
    detection = Detection("gguf", file, info.architecture, info.parameter_count,
                          sources=[str(file)])
    detection.fields["formats"] = ["gguf"]
    base = info.metadata.get("general.base_model.0.repo_url") or info.metadata.get(
        "general.base_model.0.name")
    if isinstance(base, str):
        detection.fields["base_model"] = base
    return detection


_CHECKPOINT = re.compile(r"checkpoint-(\d+)$")


def read_trainer_state(folder: Path) -> tuple[Path, dict[str, Any]] | None:
    """``trainer_state.json`` of the highest ``checkpoint-N`` (else the folder's own)."""
    checkpoints = sorted(
        (int(m.group(1)), child) for child in folder.glob("checkpoint-*")
        if (m := _CHECKPOINT.search(child.name)) and (child / "trainer_state.json").is_file())
    candidates = [checkpoints[-1][1] / "trainer_state.json"] if checkpoints else []
    candidates.append(folder / "trainer_state.json")
    for candidate in candidates:
        if candidate.is_file():
            return candidate, _read_json(candidate)
    return None


def _apply_trainer_state(detection: Detection) -> None:
    found = read_trainer_state(detection.path)
    if found is None:
        return
    source, state = found
    history = [e for e in state.get("log_history") or [] if isinstance(e, dict)]
    losses = [e["loss"] for e in history if isinstance(e.get("loss"), int | float)]
    evals = [e["eval_loss"] for e in history if isinstance(e.get("eval_loss"), int | float)]
    fields = detection.fields
    if losses:
        fields["final_loss"], fields["best_loss"] = float(losses[-1]), float(min(losses))
    if evals:
        fields["eval_loss"] = float(evals[-1])
        fields["perplexity"] = math.exp(min(evals[-1], 50.0))
    hyper = fields.setdefault("hyperparameters", {})
    for key in ("num_train_epochs", "max_steps", "train_batch_size", "global_step", "epoch"):
        if key in state:
            hyper[key] = state[key]
    if state.get("best_model_checkpoint"):
        fields["checkpoint_path"] = str(state["best_model_checkpoint"])
    detection.sources.append(str(source))


def _apply_hafs_metadata(detection: Detection) -> None:
    file = detection.path / "metadata.json"
    if not file.is_file():
        return
    meta = _read_json(file)
    expert, model = meta.get("expert") or {}, meta.get("model") or {}
    training, hardware = meta.get("training") or {}, meta.get("hardware") or {}
    extra = meta.get("metadata") or {}
    if not (expert or model or training):
        return  # some other tool's metadata.json
    fields = detection.fields
    if expert.get("name"):
        # config_trainer.py:422 writes the expert's display_name here, already complete
        # ("Oracle: Rauru Assembler"): used as it is (hafs-formats §2.F).
        fields["display_name"] = str(expert["name"])
    for key in ("role", "group"):
        if expert.get(key):
            fields[key] = expert[key]
    if model.get("base"):
        fields["base_model"] = model["base"]
    if model.get("lora_rank") is not None:
        fields.setdefault("lora_config", {}).update(r=model["lora_rank"],
                                                    lora_alpha=model.get("lora_alpha"))
    if training.get("dataset"):
        dataset = str(training["dataset"]).replace("\\", "/").rstrip("/")
        fields.update(dataset_path=dataset, dataset_name=dataset.rsplit("/", 1)[-1])
    if training.get("num_samples") is not None:
        fields["train_samples"] = int(training["num_samples"])
    if training.get("duration_minutes") is not None:
        fields["training_duration_minutes"] = round(float(training["duration_minutes"]))
    hyper = fields.setdefault("hyperparameters", {})
    for key in ("learning_rate", "batch_size", "num_epochs", "gradient_accumulation",
                "sequence_length"):
        if training.get(key) is not None:
            hyper[key] = training[key]
    if hardware.get("name"):
        fields["hardware"] = hardware["name"]
    if hardware.get("device"):
        fields["device"] = hardware["device"]
    if extra.get("created"):
        fields["training_date"] = str(extra["created"])
    if extra.get("git_commit"):
        fields["git_commit"] = extra["git_commit"]
    detection.sources.append(str(file))


def build_entry(detection: Detection, *, model_id: str | None = None,
                display_name: str | None = None, base_model: str | None = None,
                role: str | None = None, location: str = "mac", **overrides: Any) -> ModelEntry:
    """A complete 36-key entry from a detection plus the user's corrections.

    Unknown values follow hafs' ``register``: the id is the folder's name (spaces included),
    zero counts, ``{}`` dicts, ``"unknown"`` hardware.
    """
    if location not in LOCATIONS:
        raise DetectError(f"location {location!r} is not one of {', '.join(LOCATIONS)}")
    name = detection.path.stem if detection.kind == "gguf" else detection.path.name
    model_id = validate_model_id(model_id or name)  # hafs's register: the folder's name
    fields: dict[str, Any] = {
        "display_name": model_id, "version": "v1", "base_model": "", "role": "general",
        "group": "rom-tooling", "training_date": "", "training_duration_minutes": 0,
        "dataset_name": "", "dataset_path": "", "train_samples": 0, "val_samples": 0,
        "test_samples": 0, "dataset_quality": {}, "lora_config": {}, "hyperparameters": {},
        "hardware": "unknown", "device": "unknown",
    }
    fields.update(detection.fields)
    given = {"display_name": display_name, "base_model": base_model, "role": role}
    fields.update({key: value for key, value in given.items() if value})
    fields.update(overrides)
    path = str(detection.path)
    fields.update(model_path=path, locations={location: path}, primary_location=location)
    return new_entry(model_id, **fields)
