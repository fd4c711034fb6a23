"""What config.json says about RoPE and the rest, read so that nothing is silently defaulted.

Rotary settings come in two spellings:

* transformers 4: ``rope_theta`` at the top level, scaling in ``rope_scaling``
  (``{"type"|"rope_type": …, "factor": …}``);
* transformers 5: everything in ``rope_parameters`` (``{"rope_theta": …, "rope_type": …,
  "factor": …}``), with no top-level ``rope_theta``.

Both are read (a checkpoint carrying both uses ``rope_parameters``, as transformers 5 does, and
a disagreement is reported). Every config value the converter does not turn into GGUF is either
a warning (the model still computes the same thing within its original context, or the value is
bookkeeping it can ignore) or a refusal (the GGUF would compute something else): a value is never
dropped without a word. The warnings end up in ``ConversionResult.warnings``, which the CLI and
the Jobs view show.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["RopeSettings", "check_config", "read_rope"]

DEFAULT_ROPE_THETA = 10000.0  # transformers' LlamaConfig/MistralConfig/Qwen2Config default


class _Refusal(Exception):
    """Internal: the config asks for something the converter cannot reproduce."""


@dataclass(frozen=True)
class RopeSettings:
    """The rotary embedding as the GGUF must describe it."""

    theta: float
    kind: str = "default"  # default, linear, yarn, llama3, dynamic
    factor: float = 1.0
    original_context: int | None = None
    low_freq_factor: float = 1.0
    high_freq_factor: float = 4.0


# Keys each rope type may carry (besides rope_theta/rope_type/type) and what becomes of them.
_CONVERTED = {
    "default": set(),
    "linear": {"factor"},
    "yarn": {"factor", "original_max_position_embeddings"},
    "llama3": {"factor", "low_freq_factor", "high_freq_factor",
               "original_max_position_embeddings"},
    "dynamic": set(),
}
_IGNORED_WITH_WARNING = {
    "dynamic": ("dynamic NTK scaling is not in GGUF: the model is the same up to its original "
                "context and differs beyond it"),
}
_REFUSED = {
    "longrope": "LongRoPE's per-dimension factors are not converted by the built-in converter",
    "su": "LongRoPE's per-dimension factors are not converted by the built-in converter",
}


def read_rope(config: dict[str, Any], source: Path, warnings: list[str]) -> RopeSettings:
    """The rotary settings from either spelling; ConversionError-worthy problems raise
    ValueError with a message naming the file and key."""
    legacy_scaling = config.get("rope_scaling")
    parameters = config.get("rope_parameters")
    if parameters is not None and not isinstance(parameters, dict):
        raise ValueError(f"{source}: rope_parameters should be an object, not {parameters!r}")
    if isinstance(parameters, dict) and parameters and all(
            isinstance(v, dict) for v in parameters.values()):
        raise ValueError(f"{source}: rope_parameters per layer type "
                         f"({', '.join(parameters)}) are not supported by the built-in converter")
    if legacy_scaling is not None and not isinstance(legacy_scaling, dict):
        raise ValueError(f"{source}: rope_scaling should be an object, not {legacy_scaling!r}")
    merged: dict[str, Any] = dict(legacy_scaling or {})
    if "rope_theta" in config:
        merged["rope_theta"] = config["rope_theta"]
    for key, value in (parameters or {}).items():
        if key in merged and merged[key] != value and key != "type":
            warnings.append(f"{source}: rope_parameters.{key} = {value!r} differs from the "
                            f"transformers 4 setting {merged[key]!r}; using rope_parameters "
                            "(as transformers 5 does)")
        merged[key] = value
    if "rope_type" in (parameters or {}):
        merged.pop("type", None)
    kind = str(merged.pop("rope_type", merged.pop("type", "default")) or "default").lower()
    merged.pop("type", None)
    if kind in _REFUSED:
        raise ValueError(f"{source}: rope type {kind!r}: {_REFUSED[kind]}; use llama.cpp's "
                         "convert_hf_to_gguf.py")
    if kind not in _CONVERTED:
        raise ValueError(f"{source}: rope type {kind!r} is not understood by the built-in "
                         f"converter (it knows {', '.join(_CONVERTED)}); converting without it "
                         "would change the model's output")
    if "rope_theta" in merged:
        theta = _number(merged.pop("rope_theta"), source, "rope_theta")
    else:
        theta = DEFAULT_ROPE_THETA
        warnings.append(f"{source}: no rope_theta (neither at the top level nor in "
                        f"rope_parameters); using transformers' default {DEFAULT_ROPE_THETA:g}")
    if kind in _IGNORED_WITH_WARNING:
        warnings.append(f"{source}: rope type {kind!r}: {_IGNORED_WITH_WARNING[kind]}")
    unused = sorted(set(merged) - _CONVERTED[kind])
    if unused:
        warnings.append(f"{source}: rope setting{'s' * (len(unused) > 1)} "
                        f"{', '.join(f'{k} = {merged[k]!r}' for k in unused)} not converted "
                        f"for rope type {kind!r}; llama.cpp uses its defaults")
    settings = RopeSettings(theta=theta, kind=kind)
    if kind in ("linear", "yarn", "llama3"):
        if "factor" not in merged:
            raise ValueError(f"{source}: rope type {kind!r} needs a factor")
        original = merged.get("original_max_position_embeddings")
        settings = RopeSettings(
            theta=theta, kind=kind, factor=_number(merged["factor"], source, "factor"),
            original_context=int(original) if original is not None else None,
            low_freq_factor=_number(merged.get("low_freq_factor", 1.0), source,
                                    "low_freq_factor"),
            high_freq_factor=_number(merged.get("high_freq_factor", 4.0), source,
                                     "high_freq_factor"))
        if kind == "llama3" and settings.original_context is None:
            raise ValueError(f"{source}: rope type 'llama3' needs "
                             "original_max_position_embeddings")
    return settings


def _number(value: Any, source: Path, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{source}: {key} should be a number, not {value!r}")
    return float(value)


# Keys the converter reads (arch.read_params and read_rope) or checks below.
_UNDERSTOOD = {
    "architectures", "model_type", "vocab_size", "hidden_size", "intermediate_size",
    "num_attention_heads", "num_hidden_layers", "num_key_value_heads", "head_dim",
    "max_position_embeddings", "rope_theta", "rope_scaling", "rope_parameters", "rms_norm_eps",
    "tie_word_embeddings", "bos_token_id", "eos_token_id", "hidden_act", "attention_bias",
    "mlp_bias", "sliding_window", "use_sliding_window", "max_window_layers", "layer_types",
    "pretraining_tp", "partial_rotary_factor", "quantization_config",
}  # fmt: skip
# Bookkeeping and training-only settings: they do not change what the model computes.
_IRRELEVANT = {
    "_name_or_path", "torch_dtype", "dtype", "transformers_version", "use_cache",
    "initializer_range", "attention_dropout", "pad_token_id", "output_attentions",
    "output_hidden_states", "return_dict", "_attn_implementation", "residual_dropout",
    "embd_pdrop", "resid_pdrop", "hidden_dropout", "use_return_dict", "id2label", "label2id",
    "tokenizer_class", "task_specific_params", "problem_type",
}  # fmt: skip


def check_config(config: dict[str, Any], source: Path, warnings: list[str]) -> None:
    """Refuse what the GGUF cannot reproduce; warn about everything else it does not convert."""
    act = config.get("hidden_act", "silu")
    if act not in ("silu", "swish"):
        raise ValueError(f"{source}: hidden_act {act!r}: llama.cpp's graph for this "
                         "architecture uses SiLU")
    if config.get("quantization_config"):
        method = config["quantization_config"].get("quant_method", "?") if isinstance(
            config["quantization_config"], dict) else "?"
        raise ValueError(f"{source}: the weights are quantized ({method}); convert the "
                         "unquantized checkpoint")
    for flag in ("attention_bias", "mlp_bias"):
        if config.get(flag) and config.get("model_type") != "qwen2":
            raise ValueError(f"{source}: {flag} = true is not supported by the built-in "
                             "converter")
    partial = config.get("partial_rotary_factor", 1.0)
    if partial not in (1, 1.0, None):
        raise ValueError(f"{source}: partial_rotary_factor {partial!r} is not supported by "
                         "the built-in converter")
    window = _sliding_window(config)
    if window:
        warnings.append(f"{source}: sliding-window attention ({window} tokens) is not "
                        "converted: the model is the same up to that many tokens and differs "
                        "beyond")
    unknown = sorted(set(config) - _UNDERSTOOD - _IRRELEVANT)
    if unknown:
        warnings.append(f"{source}: not used by the converter: {', '.join(unknown)}")


def _sliding_window(config: dict[str, Any]) -> int | None:
    window = config.get("sliding_window")
    if not window:
        return None
    layer_types = config.get("layer_types")
    if isinstance(layer_types, list):
        return int(window) if "sliding_attention" in layer_types else None
    if config.get("model_type") == "qwen2" or "use_sliding_window" in config:
        return int(window) if config.get("use_sliding_window") else None
    return int(window)
