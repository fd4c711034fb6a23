"""GGUF → quantized GGUF with llama.cpp's quantizer (through llama-cpp-python).

llama_model_quantize has no progress callback and cannot be interrupted, so it runs in a child
process managed by :mod:`studio.core.process` (its own process group, a log file, stopped
whole on cancel): its per-tensor log lines (``[  12/ 291] blk.1.attn_q.weight …``) give the
progress. The output goes through :func:`studio.core.atomic.partial_output` (``<out>.partial``
renamed only on success), so a failure or cancel never leaves a partial file behind.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from studio.api import (
    NULL_CONTEXT,
    JobContext,
    NoOutputError,
    ProcessFailed,
    ProcessManager,
    partial_output,
)
from studio.plugins.models.gguf_info import read_gguf_info
from studio.plugins.models.quant_types import QUANT_TYPES, QuantType

__all__ = [
    "QUANT_TYPES",
    "QuantType",
    "QuantizeError",
    "QuantizeResult",
    "default_quantized_path",
    "estimate_quantized_size",
    "llama_cpp_available",
    "quantize_gguf",
]

WORKER = Path(__file__).with_name("_quantize_worker.py")
_FULL_PRECISION = {"F32", "F16", "BF16"}
_PROGRESS = re.compile(r"^\[\s*(\d+)/\s*(\d+)\]\s+(\S+)")


class QuantizeError(Exception):
    """Quantization failed; the message carries llama.cpp's last log lines."""


@dataclass
class QuantizeResult:
    path: Path
    type: str
    size: int
    fallbacks: list[str]  # llama.cpp warnings about tensors kept in another type


def llama_cpp_available() -> bool:
    """Whether llama-cpp-python is importable (the ``llama`` extra)."""
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        return False
    return True


def default_quantized_path(source: str | os.PathLike[str], type_name: str) -> Path:
    """``model-F16.gguf`` → ``model-Q4_K_M.gguf`` (``model.gguf`` → ``model-Q4_K_M.gguf``)."""
    source = Path(source)
    stem = re.sub(r"-(F32|F16|BF16|Q\d\w*|IQ\d\w*)$", "", source.stem, flags=re.IGNORECASE)
    return source.with_name(f"{stem}-{type_name.upper()}.gguf")


def estimate_quantized_size(source: str | os.PathLike[str], type_name: str) -> int:
    """Bytes the output will take: 1-D tensors stay F32, matrices at the type's bits/weight."""
    quant = _quant_type(type_name)
    info = read_gguf_info(source)
    total = 0
    for tensor in info.tensors:
        if len(tensor.shape) < 2:
            total += tensor.n_elements * 4
        elif tensor.shape[0] % quant.block:
            total += tensor.n_elements * 2  # llama.cpp falls back to a wider type
        else:
            total += int(tensor.n_elements * quant.bits_per_weight / 8)
    return total + info.data_offset


def _quant_type(type_name: str) -> QuantType:
    try:
        return QUANT_TYPES[type_name.upper()]
    except KeyError:
        raise QuantizeError(f"unknown quantization type {type_name!r} (choose from "
                            f"{', '.join(QUANT_TYPES)})") from None


def quantize_gguf(source: str | os.PathLike[str], out_path: str | os.PathLike[str] | None = None,
                  type_name: str = "Q4_K_M", *, threads: int | None = None,
                  ctx: JobContext = NULL_CONTEXT, overwrite: bool = False,
                  processes: ProcessManager | None = None) -> QuantizeResult:
    """Quantize ``source`` to ``type_name``; cancellable through ``ctx`` (stops the child).

    ``processes``: the studio's process manager (log file under the studio's state, owner
    recorded); without one the child still runs managed, with no log file. An existing output
    is an ``OutputExistsError`` unless ``overwrite``.
    """
    quant = _quant_type(type_name)
    source = Path(source)
    info = read_gguf_info(source)  # fail early and clearly on a non-GGUF input
    quantized = sorted({t.type for t in info.tensors if t.type not in _FULL_PRECISION})
    if quantized:
        raise QuantizeError(f"{source} is already quantized ({', '.join(quantized)}); llama.cpp "
                            "quantizes from an F32/F16/BF16 GGUF (convert with --outtype f16)")
    out = Path(out_path) if out_path else default_quantized_path(source, quant.name)
    if out.resolve() == source.resolve():
        raise QuantizeError(f"{out}: output would overwrite the input")
    if not llama_cpp_available():
        raise QuantizeError("quantization needs llama-cpp-python: pip install 'hafs-studio[llama]'")
    threads = threads or max(1, (os.cpu_count() or 2) - 1)
    ctx.report(0.0, f"Quantizing {source.name} to {quant.name}")
    log: list[str] = []

    def on_line(stream: str, line: str) -> None:
        if stream != "stderr":
            return
        log.append(line)
        match = _PROGRESS.match(line)
        if match:
            index, total = int(match.group(1)), int(match.group(2)) or len(info.tensors)
            ctx.report(index / total * 0.99, f"{match.group(3)} ({index}/{total})")

    try:
        with partial_output(out, overwrite=overwrite) as tmp:
            (processes or ProcessManager()).run(
                [sys.executable, str(WORKER), str(source), str(tmp), quant.name, str(threads)],
                name="llama-quantize", ctx=ctx, on_line=on_line)
    except ProcessFailed as exc:
        raise QuantizeError(f"llama.cpp quantize exited with {exc.returncode}:\n"
                            + "\n".join(exc.stderr_tail[-8:])) from None
    except NoOutputError:
        raise QuantizeError(f"llama.cpp wrote no output for {source}:\n"
                            + "\n".join(log[-8:])) from None
    fallbacks = [line for line in log if "fallback" in line.lower()]
    ctx.report(1.0, f"Wrote {out.name}")
    return QuantizeResult(out, quant.name, out.stat().st_size, fallbacks)
