"""Convert a Hugging Face safetensors checkpoint to GGUF, streaming one tensor at a time.

The GGUF header (metadata + tensor table) is written first from shapes alone, then each tensor
is appended: copied by the kernel straight from the safetensors file when its bytes need no
change, else read from the memory-mapped checkpoint and transformed (LoRA merge, rotary
permutation, output type) in row chunks (see :mod:`.output`). Peak memory is about one chunk,
or one Q/K matrix when it has to be permuted, instead of the whole model. Output goes through
:func:`studio.core.atomic.partial_output`: ``<out>.partial``, fsynced and renamed into place
only when complete, so a failure, a cancel or a crash leaves nothing under the real name, and
an existing file is replaced only when the caller allows it.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from gguf import (
    GGML_QUANT_SIZES,
    GGML_QUANT_VERSION,
    GGMLQuantizationType,
    GGUFWriter,
    LlamaFileType,
    RopeScalingType,
)
from gguf import quants as gguf_quants

from studio.api import NULL_CONTEXT, JobContext, partial_output
from studio.plugins.models.hf_to_gguf.arch import (
    ConversionError,
    ModelParams,
    gguf_tensor_name,
    llama3_rope_factors,
    read_params,
    rope_permute,
)
from studio.plugins.models.hf_to_gguf.checkpoint import Checkpoint, CheckpointError, to_float32
from studio.plugins.models.hf_to_gguf.fast_writer import FastGGUFWriter
from studio.plugins.models.hf_to_gguf.lora import LoraAdapter
from studio.plugins.models.hf_to_gguf.output import DataWriter
from studio.plugins.models.hf_to_gguf.vocab import Vocabulary, read_vocabulary

__all__ = ["OUTTYPES", "ConversionResult", "convert_hf_to_gguf", "default_output_path"]

Q = GGMLQuantizationType
# --outtype → (storage type of matrices, general.file_type)
OUTTYPES: dict[str, tuple[GGMLQuantizationType, LlamaFileType]] = {
    "f32": (Q.F32, LlamaFileType.ALL_F32),
    "f16": (Q.F16, LlamaFileType.MOSTLY_F16),
    "bf16": (Q.BF16, LlamaFileType.MOSTLY_BF16),
    "q8_0": (Q.Q8_0, LlamaFileType.MOSTLY_Q8_0),
}
CHUNK_BYTES = 32 * 1024 * 1024  # rows converted per step: bounds memory, keeps cancel prompt


@dataclass
class ConversionResult:
    path: Path
    outtype: str
    architecture: str
    n_tensors: int
    n_bytes: int
    warnings: list[str] = field(default_factory=list)


@dataclass
class _PlannedTensor:
    gguf_name: str
    hf_name: str | None  # None for generated tensors (rope_freqs)
    shape: tuple[int, ...]
    qtype: GGMLQuantizationType
    permute_heads: int = 0  # >0: apply rope_permute with this many heads
    generated: np.ndarray | None = None

    @property
    def n_bytes(self) -> int:
        block, size = GGML_QUANT_SIZES[self.qtype]
        return math.prod(self.shape) // block * size


def default_output_path(model_dir: str | os.PathLike[str], outtype: str) -> Path:
    """``<parent>/<folder>-<OUTTYPE>.gguf``: next to the model folder, as hafs does."""
    model_dir = Path(model_dir)
    return model_dir.parent / f"{model_dir.name}-{outtype.upper()}.gguf"


def convert_hf_to_gguf(
    model_dir: str | os.PathLike[str],
    out_path: str | os.PathLike[str] | None = None,
    outtype: str = "f16",
    *,
    adapter_dir: str | os.PathLike[str] | None = None,
    name: str | None = None,
    ctx: JobContext = NULL_CONTEXT,
    overwrite: bool = False,
) -> ConversionResult:
    """Convert ``model_dir`` (config.json, tokenizer.json, safetensors) to a GGUF file.

    ``adapter_dir``: a PEFT LoRA adapter merged into the weights first. ``outtype``: one of
    :data:`OUTTYPES`. Cancellable through ``ctx`` (raises ``JobCancelled``, no file left). An
    existing output is an ``OutputExistsError`` unless ``overwrite``.
    """
    outtype = outtype.lower()
    if outtype not in OUTTYPES:
        raise ConversionError(f"output type {outtype!r} is not one of {', '.join(OUTTYPES)}")
    model_dir = Path(model_dir)
    out = Path(out_path) if out_path else default_output_path(model_dir, outtype)
    ctx.report(0.0, "Reading config and tokenizer")
    params = read_params(model_dir)
    vocab = read_vocabulary(model_dir, params)
    try:
        checkpoint = Checkpoint.from_folder(model_dir)
    except CheckpointError as exc:
        raise ConversionError(str(exc)) from exc
    adapter = LoraAdapter(adapter_dir) if adapter_dir else None
    warnings = [*params.warnings, *vocab.warnings]
    plan = _plan(params, checkpoint, adapter, OUTTYPES[outtype][0], warnings)
    if len(vocab.tokens) != params.vocab_size:
        embd = checkpoint.tensors["model.embed_tokens.weight"].shape[0]
        if len(vocab.tokens) != embd:
            raise ConversionError(f"{model_dir}: tokenizer has {len(vocab.tokens)} tokens but the "
                                  f"embedding has {embd} rows")
    try:
        with partial_output(out, overwrite=overwrite) as tmp:
            writer = FastGGUFWriter(tmp, params.arch)
            try:
                _write_metadata(writer, params, vocab, outtype, name=name or model_dir.name,
                                warnings=warnings)
                for tensor in plan:
                    writer.add_tensor_info(tensor.gguf_name, tensor.shape, np.dtype(np.float32),
                                           tensor.n_bytes, raw_dtype=tensor.qtype)
                writer.write_header_to_file(tmp)
                writer.write_kv_data_to_file()
                writer.write_ti_data_to_file()
                _write_data(writer, plan, checkpoint, adapter, ctx)  # durable when it returns
            finally:
                writer.close()
    finally:
        checkpoint.close()
    # The job's last message is what the Jobs view keeps showing: warnings must be in it.
    note = f" · {len(warnings)} warning{'s' * (len(warnings) > 1)}: {warnings[0]}" \
        if warnings else ""
    ctx.report(1.0, f"Wrote {out.name}{note}")
    return ConversionResult(out, outtype, params.arch, len(plan), out.stat().st_size, warnings)


def _plan(params: ModelParams, checkpoint: Checkpoint, adapter: LoraAdapter | None,
          matrix_type: GGMLQuantizationType, warnings: list[str]) -> list[_PlannedTensor]:
    plan: list[_PlannedTensor] = []
    if "model.embed_tokens.weight" not in checkpoint.tensors:
        raise ConversionError(f"{checkpoint.files[0].parent}: no model.embed_tokens.weight")
    if adapter is not None:
        missing = sorted(adapter.targets() - checkpoint.tensors.keys())
        if missing:
            raise ConversionError(f"{adapter.folder}: adapter targets tensors the base model does "
                                  f"not have ({', '.join(missing[:3])}…): wrong base model?")
    factors = llama3_rope_factors(params)
    if factors is not None:
        plan.append(_PlannedTensor("rope_freqs.weight", None, factors.shape, Q.F32,
                                   generated=factors))
    for hf_name, ref in checkpoint.tensors.items():
        gguf_name = gguf_tensor_name(hf_name)
        if gguf_name is None:
            continue
        qtype = matrix_type if len(ref.shape) == 2 else Q.F32  # norms and biases stay F32
        block = GGML_QUANT_SIZES[qtype][0]
        if len(ref.shape) == 2 and ref.shape[1] % block:
            warnings.append(f"{gguf_name}: row length {ref.shape[1]} is not a multiple of "
                            f"{block}; stored as F16")
            qtype = Q.F16
        heads = 0
        if params.permutes_qk and ".attn_q." in gguf_name:
            heads = params.n_head
        elif params.permutes_qk and ".attn_k." in gguf_name:
            heads = params.n_head_kv
        plan.append(_PlannedTensor(gguf_name, hf_name, ref.shape, qtype, heads))
    # Stable, readable order (embeddings, blocks in order, head) like llama.cpp's converter.
    plan.sort(key=_tensor_order)
    return plan


def _tensor_order(tensor: _PlannedTensor) -> tuple[int, int, str]:
    name = tensor.gguf_name
    if name.startswith("blk."):
        return (1, int(name.split(".")[1]), name)
    return (0 if name.startswith(("token_embd", "rope_freqs")) else 2, 0, name)


def _write_metadata(writer: GGUFWriter, params: ModelParams, vocab: Vocabulary, outtype: str,
                    *, name: str, warnings: list[str]) -> None:
    writer.add_name(name)
    writer.add_file_type(OUTTYPES[outtype][1])
    if outtype == "q8_0":
        writer.add_quantization_version(GGML_QUANT_VERSION)
    writer.add_context_length(params.context_length)
    writer.add_embedding_length(params.n_embd)
    writer.add_block_count(params.n_layer)
    writer.add_feed_forward_length(params.n_ff)
    writer.add_head_count(params.n_head)
    writer.add_head_count_kv(params.n_head_kv)
    writer.add_layer_norm_rms_eps(params.norm_eps)
    writer.add_rope_freq_base(params.rope_theta)
    writer.add_rope_dimension_count(params.head_dim)
    if params.head_dim != params.n_embd // params.n_head:
        writer.add_key_length(params.head_dim)
        writer.add_value_length(params.head_dim)
    writer.add_vocab_size(len(vocab.tokens))
    _write_rope_scaling(writer, params)
    vocab.write(writer)


def _write_rope_scaling(writer: GGUFWriter, params: ModelParams) -> None:
    """linear and yarn as GGUF keys; llama3 is the rope_freqs tensor (see _plan); what the
    converter cannot express was refused or warned about when config.json was read."""
    rope = params.rope
    if rope.kind == "linear":
        writer.add_rope_scaling_type(RopeScalingType.LINEAR)
        writer.add_rope_scaling_factor(rope.factor)
    elif rope.kind == "yarn":
        writer.add_rope_scaling_type(RopeScalingType.YARN)
        writer.add_rope_scaling_factor(rope.factor)
        if rope.original_context:
            writer.add_rope_scaling_orig_ctx_len(rope.original_context)


def _write_data(writer: GGUFWriter, plan: list[_PlannedTensor], checkpoint: Checkpoint,
                adapter: LoraAdapter | None, ctx: JobContext) -> None:
    """Append every tensor after the header and fsync (the caller renames afterwards)."""
    assert writer.fout is not None
    fout = writer.fout[0]
    fout.flush()  # from here on the data goes straight to the descriptor, unbuffered
    total = sum(t.n_bytes for t in plan) or 1
    done = 0
    with DataWriter(fout.fileno(), fout.tell()) as out, _SourceFiles() as sources:
        out.pad(writer.data_alignment)  # data section starts aligned
        for index, tensor in enumerate(plan):
            ctx.raise_if_cancelled()
            ctx.report(done / total, f"{tensor.gguf_name} ({index + 1}/{len(plan)})")
            start = out.position
            if _is_verbatim(tensor, checkpoint, adapter):
                def progress(copied: int, done: int = done) -> None:
                    ctx.raise_if_cancelled()
                    ctx.report((done + copied) / total)

                _copy_verbatim(out, tensor, checkpoint, sources, progress)
            else:
                for chunk in _converted_chunks(tensor, checkpoint, adapter):
                    ctx.raise_if_cancelled()
                    out.write(np.ascontiguousarray(chunk).data)
                    ctx.report((done + out.position - start) / total)
            if out.position - start != tensor.n_bytes:
                raise ConversionError(f"{tensor.gguf_name}: wrote {out.position - start} bytes, "
                                      f"expected {tensor.n_bytes}")
            out.pad(writer.data_alignment)
            done += tensor.n_bytes
        out.finish()


_SAME_BYTES = {"F16": Q.F16, "BF16": Q.BF16, "F32": Q.F32}


def _is_verbatim(tensor: _PlannedTensor, checkpoint: Checkpoint,
                 adapter: LoraAdapter | None) -> bool:
    """The GGUF bytes equal the safetensors bytes (both little-endian, row-major)."""
    if tensor.hf_name is None or tensor.permute_heads:
        return False
    if adapter is not None and tensor.hf_name in adapter.targets():
        return False
    return _SAME_BYTES.get(checkpoint.tensors[tensor.hf_name].dtype) == tensor.qtype


def _copy_verbatim(out: DataWriter, tensor: _PlannedTensor, checkpoint: Checkpoint,
                   sources: _SourceFiles, progress: Callable[[int], None]) -> None:
    assert tensor.hf_name is not None
    ref = checkpoint.tensors[tensor.hf_name]
    # The memory-map view checks the byte range against the file and is the fallback source.
    view = memoryview(checkpoint.array(tensor.hf_name).reshape(-1)).cast("B")
    out.copy(sources.fd(ref.file), ref.start, ref.n_bytes, view, progress)


class _SourceFiles(contextlib.ExitStack):
    """Read-only descriptors of the safetensors shards, opened on first use, closed on exit."""

    def __init__(self) -> None:
        super().__init__()
        self._fds: dict[Path, int] = {}

    def fd(self, path: Path) -> int:
        if path not in self._fds:
            self._fds[path] = os.open(path, os.O_RDONLY)
            self.callback(os.close, self._fds[path])
        return self._fds[path]


def _converted_chunks(tensor: _PlannedTensor, checkpoint: Checkpoint,
                      adapter: LoraAdapter | None) -> Iterator[np.ndarray]:
    if tensor.generated is not None:
        yield tensor.generated.astype(np.float32)
        return
    assert tensor.hf_name is not None
    source_dtype = checkpoint.tensors[tensor.hf_name].dtype
    array = checkpoint.array(tensor.hf_name)
    if adapter is not None and tensor.hf_name in adapter.targets():
        array, source_dtype = adapter.merge(tensor.hf_name, to_float32(array, source_dtype)), "F32"
    if tensor.permute_heads:
        array = rope_permute(array, tensor.permute_heads)
    if array.ndim < 2:
        yield _to_type(array, source_dtype, tensor.qtype)
        return
    rows_per_chunk = max(1, CHUNK_BYTES // max(1, array.shape[1] * 4))
    for start in range(0, array.shape[0], rows_per_chunk):
        yield _to_type(array[start:start + rows_per_chunk], source_dtype, tensor.qtype)


def _to_type(rows: np.ndarray, source_dtype: str, qtype: GGMLQuantizationType) -> np.ndarray:
    """Convert stored rows to the output type; identical types pass through uncopied."""
    if qtype == Q.F16 and source_dtype == "F16":
        return rows
    if qtype == Q.BF16 and source_dtype == "BF16":
        return rows
    if qtype == Q.F32 and source_dtype == "F32":
        return rows
    values = to_float32(rows, source_dtype)
    if qtype == Q.F32:
        return values
    if qtype == Q.F16:
        return values.astype(np.float16)
    return gguf_quants.quantize(np.ascontiguousarray(values), qtype)
