"""GGUF → quantized GGUF with llama.cpp's quantizer (through llama-cpp-python).

llama_model_quantize has no progress callback and cannot be interrupted, so it runs in a child
process: its per-tensor log lines (``[  12/ 291] blk.1.attn_q.weight …``) give the progress,
and cancelling kills the child. The output is written to a hidden temp file and renamed only on
success, so a failure or cancel never leaves a partial file behind.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from studio.api import NULL_CONTEXT, JobCancelled, JobContext
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
                  ctx: JobContext = NULL_CONTEXT) -> QuantizeResult:
    """Quantize ``source`` to ``type_name``; cancellable through ``ctx`` (kills the child)."""
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
    out.parent.mkdir(parents=True, exist_ok=True)  # llama.cpp fails silently without it
    tmp = out.with_name(f".{out.name}.{os.getpid()}.partial")
    threads = threads or max(1, (os.cpu_count() or 2) - 1)
    command = [sys.executable, str(WORKER), str(source), str(tmp), quant.name, str(threads)]
    ctx.report(0.0, f"Quantizing {source.name} to {quant.name}")
    try:
        log = _run_worker(command, len(info.tensors), ctx)
        if not tmp.is_file():
            raise QuantizeError(f"llama.cpp wrote no output for {source}:\n" + "\n".join(log[-8:]))
        os.replace(tmp, out)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    fallbacks = [line for line in log if "fallback" in line.lower()]
    ctx.report(1.0, f"Wrote {out.name}")
    return QuantizeResult(out, quant.name, out.stat().st_size, fallbacks)


def _run_worker(command: list[str], n_tensors: int, ctx: JobContext) -> list[str]:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True, errors="replace")
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:  # a thread, so the job loop can poll for cancel between lines
        assert process.stderr is not None
        for line in process.stderr:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, name="quantize-log", daemon=True).start()
    log: list[str] = []
    finished = False
    try:
        while not finished:
            if ctx.cancelled:
                raise JobCancelled()
            try:
                line = lines.get(timeout=0.1)
            except queue.Empty:
                continue
            if line is None:
                finished = True
                continue
            log.append(line)
            match = _PROGRESS.match(line)
            if match:
                index, total = int(match.group(1)), int(match.group(2)) or n_tensors
                ctx.report(index / total * 0.99, f"{match.group(3)} ({index}/{total})")
        code = process.wait()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    if code != 0:
        raise QuantizeError(f"llama.cpp quantize exited with {code}:\n" + "\n".join(log[-8:]))
    return log
