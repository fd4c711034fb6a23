"""Supported architectures: hyper-parameters from config.json and the HF → GGUF tensor map."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from studio.plugins.models.hf_to_gguf.hf_config import RopeSettings, check_config, read_rope

__all__ = [
    "SUPPORTED_ARCHITECTURES",
    "ConversionError",
    "ModelParams",
    "gguf_tensor_name",
    "llama3_rope_factors",
    "read_params",
    "rope_permute",
]

# HF ``architectures[0]`` → GGUF ``general.architecture``. Mistral is the llama graph in
# llama.cpp; Qwen2 differs by q/k/v biases and NeoX-style rotary (no Q/K permutation).
SUPPORTED_ARCHITECTURES: dict[str, str] = {
    "LlamaForCausalLM": "llama",
    "MistralForCausalLM": "llama",
    "Qwen2ForCausalLM": "qwen2",
}


class ConversionError(Exception):
    """Conversion cannot proceed; the message says what is missing or unsupported."""


@dataclass(frozen=True)
class ModelParams:
    """Hyper-parameters read from config.json."""

    hf_architecture: str
    arch: str
    vocab_size: int
    n_embd: int
    n_layer: int
    n_head: int
    n_head_kv: int
    n_ff: int
    head_dim: int
    context_length: int
    norm_eps: float
    tie_embeddings: bool
    rope: RopeSettings
    bos_token_id: int | None
    eos_token_id: int | None
    warnings: tuple[str, ...] = ()  # config values not converted (see hf_config)

    @property
    def rope_theta(self) -> float:
        return self.rope.theta

    @property
    def permutes_qk(self) -> bool:
        """llama.cpp's llama graph rotates adjacent pairs; HF rotates halves (see rope_permute)."""
        return self.arch == "llama"


def read_params(model_dir: Path) -> ModelParams:
    config_file = model_dir / "config.json"
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConversionError(f"{model_dir}: no config.json (not a Hugging Face model folder)"
                              ) from None
    except (OSError, ValueError) as exc:
        raise ConversionError(f"{config_file}: cannot read ({exc})") from exc
    architectures = config.get("architectures") or []
    hf_arch = architectures[0] if architectures else config.get("model_type", "?")
    if hf_arch not in SUPPORTED_ARCHITECTURES:
        raise ConversionError(
            f"{config_file}: architecture {hf_arch!r} is not supported by the built-in "
            f"converter (supported: {', '.join(SUPPORTED_ARCHITECTURES)}); use llama.cpp's "
            "convert_hf_to_gguf.py for other models")

    def need(key: str) -> Any:
        if key not in config:
            raise ConversionError(f"{config_file}: missing {key!r}")
        return config[key]

    warnings: list[str] = []
    try:
        check_config(config, config_file, warnings)
        rope = read_rope(config, config_file, warnings)
    except ValueError as exc:
        raise ConversionError(str(exc)) from None
    for key, default in (("rms_norm_eps", 1e-6), ("max_position_embeddings", 2048)):
        if key not in config:
            warnings.append(f"{config_file}: no {key}; using {default:g}")
    n_embd, n_head = int(need("hidden_size")), int(need("num_attention_heads"))
    eos = config.get("eos_token_id")
    return ModelParams(
        hf_architecture=hf_arch,
        arch=SUPPORTED_ARCHITECTURES[hf_arch],
        vocab_size=int(need("vocab_size")),
        n_embd=n_embd,
        n_layer=int(need("num_hidden_layers")),
        n_head=n_head,
        n_head_kv=int(config.get("num_key_value_heads") or n_head),
        n_ff=int(need("intermediate_size")),
        head_dim=int(config.get("head_dim") or n_embd // n_head),
        context_length=int(config.get("max_position_embeddings", 2048)),
        norm_eps=float(config.get("rms_norm_eps", 1e-6)),
        tie_embeddings=bool(config.get("tie_word_embeddings", False)),
        rope=rope,
        bos_token_id=config.get("bos_token_id"),
        eos_token_id=eos[0] if isinstance(eos, list) and eos else eos,
        warnings=tuple(warnings),
    )


_LAYER = re.compile(r"model\.layers\.(\d+)\.(.+)")
_LAYER_NAMES = {
    "input_layernorm.weight": "attn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.q_proj.bias": "attn_q.bias",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.k_proj.bias": "attn_k.bias",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.v_proj.bias": "attn_v.bias",
    "self_attn.o_proj.weight": "attn_output.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
}
_GLOBAL_NAMES = {
    "model.embed_tokens.weight": "token_embd.weight",
    "model.norm.weight": "output_norm.weight",
    "lm_head.weight": "output.weight",
}
# Buffers some exports include that llama.cpp recomputes itself.
_SKIPPED = re.compile(r".*(rotary_emb\.inv_freq|\.masked_bias|\.attn\.bias)$")


def gguf_tensor_name(hf_name: str) -> str | None:
    """GGUF name of an HF tensor, None for buffers to skip; ConversionError if unknown."""
    if _SKIPPED.match(hf_name):
        return None
    if hf_name in _GLOBAL_NAMES:
        return _GLOBAL_NAMES[hf_name]
    match = _LAYER.fullmatch(hf_name)
    if match and match.group(2) in _LAYER_NAMES:
        return f"blk.{match.group(1)}.{_LAYER_NAMES[match.group(2)]}"
    raise ConversionError(f"tensor {hf_name!r} has no GGUF equivalent in the built-in converter")


def rope_permute(weights: np.ndarray, n_heads: int) -> np.ndarray:
    """Reorder Q/K rows from HF's rotate-half layout to llama.cpp's interleaved pairs.

    HF rotates dimension i with i + d/2 of each head; llama.cpp's llama graph rotates 2i with
    2i+1. Within each head, rows [x0..x(d/2-1), y0..y(d/2-1)] become [x0, y0, x1, y1, …].
    Works for weights (rows, cols) and biases (rows,).
    """
    rows = weights.shape[0]
    return (weights.reshape(n_heads, 2, rows // n_heads // 2, *weights.shape[1:])
            .swapaxes(1, 2)
            .reshape(weights.shape))


def llama3_rope_factors(params: ModelParams) -> np.ndarray | None:
    """The ``rope_freqs.weight`` tensor for Llama-3.1-style rope scaling, else None."""
    rope = params.rope
    if rope.kind != "llama3":
        return None
    dim = params.head_dim
    freqs = 1.0 / (rope.theta ** (np.arange(0, dim, 2, dtype=np.float64) / dim))
    low, high, factor = rope.low_freq_factor, rope.high_freq_factor, rope.factor
    old_ctx = float(rope.original_context or 8192)
    low_wavelen, high_wavelen = old_ctx / low, old_ctx / high
    factors = []
    for freq in freqs:
        wavelen = 2 * math.pi / freq
        if wavelen < high_wavelen:
            factors.append(1.0)
        elif wavelen > low_wavelen:
            factors.append(factor)
        else:
            smooth = (old_ctx / wavelen - low) / (high - low)
            factors.append(1.0 / ((1 - smooth) / factor + smooth))
    return np.asarray(factors, dtype=np.float32)
