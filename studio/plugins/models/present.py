"""How registry entries read to people: shared by the panel, the dashboard cards and the CLI.

Qt-free on purpose: the CLI's rich tables and the Qt views must say the same thing the same way
(hafs' wording where it has one: "(primary)", "Not Deployed", quality floats below 1 as %).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from studio.plugins.models.schema import ModelEntry

__all__ = [
    "OTHER_ROLE_COLOR",
    "ROLE_COLORS",
    "DetailRow",
    "backends_text",
    "detail_sections",
    "format_loss",
    "format_value",
    "formats_text",
    "locations_text",
    "model_overview",
    "role_color",
    "samples_text",
    "title_of",
]

# hafs studio badge colours (hafs-formats §1.7): asm orange, debug purple, yaze blue, others green.
ROLE_COLORS = {"asm": "#f28c28", "debug": "#9b59d0", "yaze": "#3b82f6"}
OTHER_ROLE_COLOR = "#2fa84f"


def role_color(role: str | None) -> str:
    return ROLE_COLORS.get((role or "").lower(), OTHER_ROLE_COLOR)


def title_of(entry: ModelEntry) -> str:
    return entry.get("display_name") or entry["model_id"]


def format_loss(value: float | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("inf" if value > 0 else "-inf")  # hafs writes these
    return f"{value:.4f}" if isinstance(value, int | float) else str(value)


def samples_text(entry: ModelEntry) -> str:
    """``"504 samples"`` like hafs' card; train/val/test when there is a split."""
    train, val, test = (entry.get(k) or 0 for k in ("train_samples", "val_samples",
                                                     "test_samples"))
    if not (train or val or test):
        return "—"
    return f"{train:,}" if not (val or test) else f"{train:,} / {val:,} / {test:,}"


def locations_text(entry: ModelEntry, with_paths: bool = False) -> str:
    """``"windows (primary), mac"``; with paths, one location per line."""
    locations = entry.get("locations") or {}
    primary = entry.get("primary_location")
    parts = []
    for key, path in locations.items():
        label = f"{key} (primary)" if key == primary else key
        parts.append(f"{label}: {path}" if with_paths else label)
    return ("\n" if with_paths else ", ").join(parts) or "—"


def backends_text(entry: ModelEntry) -> str:
    backends = list(entry.get("deployed_backends") or [])
    if not backends:
        return "Not Deployed"
    labels = []
    for backend in backends:
        if backend == "ollama" and entry.get("ollama_model_name"):
            labels.append(f"ollama ({entry['ollama_model_name']})")
        elif backend == "halext-node" and entry.get("halext_node_id"):
            labels.append(f"halext-node ({entry['halext_node_id']})")
        else:
            labels.append(backend)
    return ", ".join(labels)


def formats_text(entry: ModelEntry) -> str:
    # hafs' convert may append "gguf" twice; show each format once.
    return ", ".join(dict.fromkeys(entry.get("formats") or [])) or "—"


def format_value(value: Any) -> str:
    """Any entry value as one readable string (dicts as ``k: v`` pairs)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {format_value(v)}" for k, v in value.items()) or "—"
    if isinstance(value, list | tuple):
        return ", ".join(format_value(v) for v in value) or "—"
    return str(value) or "—"


def _quality(quality: dict[str, Any] | None) -> str:
    if not quality:
        return "—"
    parts = []
    for key, value in quality.items():
        if isinstance(value, float) and 0 <= value < 1:
            parts.append(f"{key}: {value:.1%}")  # hafs prints floats below 1 as percent
        else:
            parts.append(f"{key}: {format_value(value)}")
    return ", ".join(parts)


@dataclass(frozen=True)
class DetailRow:
    label: str
    value: str
    field: str  # the registry key (or "" for derived rows)


def detail_sections(entry: ModelEntry, studio_data: dict[str, Any] | None = None,
                    unknown_keys: dict[str, Any] | None = None
                    ) -> list[tuple[str, list[DetailRow]]]:
    """Every one of the 36 fields, grouped for reading, the keys hafs's 36 do not include (a
    newer hafs wrote them; kept as they are) and the studio's own files."""

    def row(label: str, key: str, text: str | None = None) -> DetailRow:
        return DetailRow(label, format_value(entry.get(key)) if text is None else text, key)

    duration = entry.get("training_duration_minutes")
    sections = [
        ("Identity", [
            row("ID", "model_id"), row("Display name", "display_name"),
            row("Version", "version"), row("Base model", "base_model"), row("Role", "role"),
            row("Group", "group"), row("Git commit", "git_commit"),
        ]),
        ("Training", [
            row("Date", "training_date"),
            row("Duration", "training_duration_minutes",
                f"{duration} min" if duration else "—"),
            row("Hardware", "hardware"), row("Device", "device"),
        ]),
        ("Dataset", [
            row("Name", "dataset_name"), row("Path", "dataset_path"),
            row("Samples (train / val / test)", "train_samples",
                f"{entry.get('train_samples') or 0:,} / {entry.get('val_samples') or 0:,} / "
                f"{entry.get('test_samples') or 0:,}"),
            row("Quality", "dataset_quality", _quality(entry.get("dataset_quality"))),
        ]),
        ("Metrics", [
            row("Final loss", "final_loss", format_loss(entry.get("final_loss"))),
            row("Best loss", "best_loss", format_loss(entry.get("best_loss"))),
            row("Eval loss", "eval_loss", format_loss(entry.get("eval_loss"))),
            row("Perplexity", "perplexity"),
        ]),
        ("LoRA and hyperparameters", [
            row("LoRA config", "lora_config"), row("Hyperparameters", "hyperparameters"),
        ]),
        ("Files and locations", [
            row("Model path", "model_path"), row("Checkpoint", "checkpoint_path"),
            row("Adapter", "adapter_path"), row("Formats", "formats", formats_text(entry)),
            row("Locations", "locations", locations_text(entry, with_paths=True)),
            row("Primary location", "primary_location"),
        ]),
        ("Deployment", [
            row("Backends", "deployed_backends", backends_text(entry)),
            row("Ollama name", "ollama_model_name"), row("halext node", "halext_node_id"),
        ]),
        ("Notes", [
            row("Notes", "notes"),
            row("Tags", "tags", " ".join(f"#{t}" for t in entry.get("tags") or []) or "—"),
            row("Created", "created_at"), row("Updated", "updated_at"),
        ]),
    ]
    if unknown_keys:
        sections.append(("Other keys (kept as written, e.g. by a newer hafs)", [
            DetailRow(key, format_value(value), "") for key, value in unknown_keys.items()]))
    artifacts = (studio_data or {}).get("artifacts") or []
    if artifacts:
        sections.append(("Studio files", [
            DetailRow(a.get("type", "?"), f"{a.get('path')} ({a.get('size', 0):,} bytes)", "")
            for a in artifacts]))
    return sections


@dataclass(frozen=True)
class Overview:
    """What the dashboard cards show."""

    total: int
    by_role: list[tuple[str, int]]
    latest: ModelEntry | None
    not_converted: list[ModelEntry]
    not_deployed: list[ModelEntry]


def _recency(entry: ModelEntry) -> str:
    return entry.get("training_date") or entry.get("created_at") or ""


def model_overview(models: Sequence[ModelEntry] | Iterable[ModelEntry]) -> Overview:
    models = list(models)
    roles = Counter((m.get("role") or "—") for m in models)
    latest = max(models, key=_recency) if models else None
    return Overview(
        total=len(models), by_role=roles.most_common(), latest=latest,
        not_converted=[m for m in models if "gguf" not in (m.get("formats") or [])],
        not_deployed=[m for m in models if not m.get("deployed_backends")],
    )
