"""Merge a PEFT LoRA adapter into base weights, one tensor at a time (NumPy).

``W' = W + scale · B @ A`` with ``scale = alpha / r`` (``alpha / sqrt(r)`` for rsLoRA), applied
to the HF tensor names the adapter targets. The adapter is small, so its tensors stay mapped;
base tensors are merged as the converter streams them.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from studio.plugins.models.hf_to_gguf.arch import ConversionError
from studio.plugins.models.hf_to_gguf.checkpoint import Checkpoint, CheckpointError

__all__ = ["LoraAdapter"]


class LoraAdapter:
    """A PEFT adapter folder (``adapter_config.json`` + ``adapter_model.safetensors``)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        config_file = self.folder / "adapter_config.json"
        try:
            self.config = json.loads(config_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConversionError(f"{self.folder}: no adapter_config.json (not a LoRA adapter)"
                                  ) from None
        except (OSError, ValueError) as exc:
            raise ConversionError(f"{config_file}: cannot read ({exc})") from exc
        if self.config.get("peft_type", "LORA").upper() != "LORA":
            raise ConversionError(f"{config_file}: peft_type {self.config.get('peft_type')!r} "
                                  "is not LORA")
        try:
            self.weights = Checkpoint.from_folder(self.folder, stem="adapter_model")
        except CheckpointError as exc:
            raise ConversionError(str(exc)) from exc
        rank = int(self.config.get("r", 8))
        alpha = float(self.config.get("lora_alpha", rank))
        self.rank_pattern: dict[str, int] = self.config.get("rank_pattern") or {}
        self.alpha_pattern: dict[str, float] = self.config.get("alpha_pattern") or {}
        self.rank, self.alpha = rank, alpha
        self.rslora = bool(self.config.get("use_rslora", False))
        self._pairs = self._find_pairs()

    @property
    def base_model(self) -> str | None:
        return self.config.get("base_model_name_or_path")

    def _find_pairs(self) -> dict[str, tuple[str, str]]:
        """HF base tensor name → (lora_A name, lora_B name)."""
        pairs: dict[str, tuple[str, str]] = {}
        for name in self.weights.tensors:
            if ".lora_A." not in name:
                continue
            module = name.split(".lora_A.")[0]
            b_name = name.replace(".lora_A.", ".lora_B.")
            if b_name not in self.weights.tensors:
                raise ConversionError(f"{self.folder}: {name} has no matching lora_B tensor")
            base = module.removeprefix("base_model.model.") + ".weight"
            pairs[base] = (name, b_name)
        if not pairs:
            raise ConversionError(f"{self.folder}: the adapter contains no lora_A/lora_B tensors")
        return pairs

    def targets(self) -> set[str]:
        return set(self._pairs)

    def _scale(self, base_name: str) -> float:
        module = base_name.removesuffix(".weight")
        rank, alpha = self.rank, self.alpha
        for pattern, value in self.rank_pattern.items():
            if module.endswith(pattern):
                rank = int(value)
        for pattern, value in self.alpha_pattern.items():
            if module.endswith(pattern):
                alpha = float(value)
        return alpha / math.sqrt(rank) if self.rslora else alpha / rank

    def merge(self, base_name: str, weight: np.ndarray) -> np.ndarray:
        """Return ``weight`` (float32) with the adapter's delta added, if it targets it."""
        pair = self._pairs.get(base_name)
        if pair is None:
            return weight
        lora_a = self.weights.float32(pair[0])
        lora_b = self.weights.float32(pair[1])
        delta = (lora_b @ lora_a) * np.float32(self._scale(base_name))
        if delta.shape != weight.shape:
            raise ConversionError(f"{self.folder}: adapter delta for {base_name} has shape "
                                  f"{delta.shape}, base weight {weight.shape}")
        return weight.astype(np.float32) + delta
