"""Hugging Face checkpoint → CTranslate2 model, without torch.

CTranslate2's own ``ct2-transformers-converter`` loads the model with torch. For the LLaMA
family (llama, mistral, qwen2) the decoder spec is simple enough to fill from NumPy arrays: a
:class:`ctranslate2.converters.Converter` subclass builds a ``TransformerDecoderModelSpec``
(pre-norm, RMSNorm, SwiGLU, rotary embeddings in HF's rotate-half layout, grouped-query
attention, Qwen2's q/k/v biases) from the weights the Models plugin reads, and CTranslate2
quantizes and saves it.

The output is written to a hidden temporary folder and renamed into place only after the
conversion finished, so a failure or a cancel never leaves a partial model. The folder also
gets ``tokenizer.json`` (to tokenize at run time) and ``studio.json`` (source, compute type,
chat template) next to CTranslate2's ``model.bin``, ``config.json`` and vocabulary.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from studio.api import NULL_CONTEXT, JobContext
from studio.plugins.deploy.backend import DeployError
from studio.plugins.deploy.templates import ChatTemplate, template_from_vocabulary

__all__ = ["COMPUTE_TYPES", "convert_to_ct2", "ct2_model_dir", "read_studio_info"]

COMPUTE_TYPES = ("int8", "int8_float32", "float16", "float32")
STUDIO_INFO = "studio.json"


def ct2_model_dir(source: Path, model_id: str | None, compute_type: str) -> Path:
    """``<parent>/<id>-ct2-<compute type>`` next to the checkpoint folder (like GGUF files)."""
    return source.parent / f"{model_id or source.name}-ct2-{compute_type}"


def read_studio_info(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / STUDIO_INFO).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _fingerprint(source: Path) -> list[list[Any]]:
    """Names, sizes and mtimes of the checkpoint's files: changes when it is retrained."""
    files = sorted(p for p in source.iterdir() if p.is_file()
                   and (p.suffix in (".safetensors", ".json")))
    return [[p.name, p.stat().st_size, int(p.stat().st_mtime)] for p in files]


def convert_to_ct2(source: Path, target: Path, compute_type: str,
                   ctx: JobContext = NULL_CONTEXT) -> tuple[Path, ChatTemplate]:
    """Convert the checkpoint folder ``source`` into ``target`` (reused when up to date)."""
    if compute_type not in COMPUTE_TYPES:
        raise DeployError(f"unknown CTranslate2 compute type {compute_type!r} (choose from "
                          f"{', '.join(COMPUTE_TYPES)})")
    info = read_studio_info(target)
    if target.exists():
        if info is None:
            raise DeployError(f"{target} exists and was not written by the studio; move it "
                              "away or deploy under another model id")
        if info.get("fingerprint") == _fingerprint(source) and \
                info.get("compute_type") == compute_type:
            ctx.report(0.9, f"{target.name} is up to date")
            return target, ChatTemplate.from_dict(info.get("template"))
    from studio.plugins.models.api import CheckpointError, ConversionError, open_hf_checkpoint

    try:
        checkpoint = open_hf_checkpoint(source)
    except (ConversionError, CheckpointError) as exc:
        raise DeployError(f"CTranslate2 conversion: {exc}") from exc
    tmp = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        template = template_from_vocabulary(checkpoint.vocabulary, str(source))
        converter = _make_converter_class()(checkpoint, ctx)
        ctx.report(0.05, f"Converting {source.name} to CTranslate2 ({compute_type})")
        converter.convert(str(tmp), quantization=compute_type, force=True)
        ctx.raise_if_cancelled()
        shutil.copy2(source / "tokenizer.json", tmp / "tokenizer.json")
        (tmp / STUDIO_INFO).write_text(json.dumps({
            "source": str(source), "compute_type": compute_type,
            "fingerprint": _fingerprint(source), "template": template.to_dict(),
            "architecture": checkpoint.params.hf_architecture}, indent=2), encoding="utf-8")
        _replace_dir(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        checkpoint.close()
    ctx.report(0.9, f"Wrote {target.name}")
    return target, template


def _replace_dir(new: Path, target: Path) -> None:
    """Rename ``new`` onto ``target``; an older studio-written ``target`` goes afterwards."""
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        os.replace(target, old)
    try:
        os.replace(new, target)
    except OSError:
        if old.exists():
            os.replace(old, target)  # put the previous model back
        raise
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(old)


def _converter_base() -> type:
    try:
        from ctranslate2.converters.converter import Converter
    except ImportError as exc:
        raise DeployError("CTranslate2 is not installed; install it with: pip install "
                          "'hafs-studio[deploy]'") from exc
    return Converter


def _make_converter_class() -> type:
    base = _converter_base()

    class NumpyDecoderConverter(base):  # type: ignore[misc, valid-type]
        """Fills CTranslate2's decoder spec from an :class:`HFCheckpoint` (float32 copies)."""

        def __init__(self, checkpoint: Any, ctx: JobContext) -> None:
            self.checkpoint, self.ctx = checkpoint, ctx

        def _load(self) -> Any:
            return build_decoder_spec(self.checkpoint, self.ctx)

    return NumpyDecoderConverter


def build_decoder_spec(checkpoint: Any, ctx: JobContext = NULL_CONTEXT) -> Any:
    from ctranslate2.converters import utils as ct2_utils
    from ctranslate2.specs import common_spec, transformer_spec

    params = checkpoint.params
    if params.rope.kind != "default":
        raise DeployError(f"{checkpoint.folder}: {params.rope.kind} rope scaling is not "
                          "supported by the studio's CTranslate2 converter")
    names = set(checkpoint.names())

    import numpy as np

    def weight(name: str) -> np.ndarray:
        # A private, writable float32 copy: CTranslate2 quantizes the arrays in place.
        return np.array(checkpoint.tensor(name), dtype=np.float32, copy=True)

    spec = transformer_spec.TransformerDecoderModelSpec.from_config(
        params.n_layer, params.n_head, pre_norm=True,
        activation=common_spec.Activation.SWISH, ffn_glu=True, rms_norm=True,
        rotary_dim=0, rotary_interleave=False,  # HF checkpoints rotate halves
        rotary_base=params.rope_theta, num_heads_kv=params.n_head_kv,
        head_dim=params.head_dim if params.head_dim * params.n_head != params.n_embd else None)
    decoder = spec.decoder
    decoder.scale_embeddings = False
    decoder.embeddings.weight = weight("model.embed_tokens.weight")
    decoder.layer_norm.gamma = weight("model.norm.weight")
    head = "lm_head.weight" if "lm_head.weight" in names else "model.embed_tokens.weight"
    decoder.projection.weight = weight(head)
    for index, layer in enumerate(decoder.layer):
        ctx.raise_if_cancelled()
        ctx.report(0.05 + 0.6 * index / max(params.n_layer, 1), f"Layer {index + 1}/"
                   f"{params.n_layer}")
        prefix = f"model.layers.{index}."
        layer.self_attention.layer_norm.gamma = weight(prefix + "input_layernorm.weight")
        layer.ffn.layer_norm.gamma = weight(prefix + "post_attention_layernorm.weight")
        split = [common_spec.LinearSpec() for _ in range(3)]
        for linear, name in zip(split, ("q", "k", "v"), strict=True):
            linear.weight = weight(prefix + f"self_attn.{name}_proj.weight")
            bias = prefix + f"self_attn.{name}_proj.bias"
            if bias in names:
                linear.bias = weight(bias)
        ct2_utils.fuse_linear(layer.self_attention.linear[0], split)
        layer.self_attention.linear[1].weight = weight(prefix + "self_attn.o_proj.weight")
        layer.ffn.linear_0.weight = weight(prefix + "mlp.gate_proj.weight")
        layer.ffn.linear_0_noact.weight = weight(prefix + "mlp.up_proj.weight")
        layer.ffn.linear_1.weight = weight(prefix + "mlp.down_proj.weight")
    vocabulary = checkpoint.vocabulary
    tokens = list(vocabulary.tokens)
    spec.register_vocabulary(tokens)

    def special(kind: str, fallback: str) -> str:
        index = vocabulary.special_ids.get(kind)
        return tokens[index] if index is not None and 0 <= index < len(tokens) else fallback

    eos = special("eos", tokens[-1])
    spec.config.bos_token = special("bos", eos)
    spec.config.eos_token = eos
    spec.config.unk_token = special("unk", eos)
    spec.config.layer_norm_epsilon = params.norm_eps
    ctx.report(0.7, "Quantizing and saving")
    return spec
