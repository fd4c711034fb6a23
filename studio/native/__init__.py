"""Typed facade over the C++ compute kernels in ``studio._native``.

Every part of the studio calls the kernels through this module, never ``studio._native``
directly: it validates arguments (dtype, shape, ranges) with messages a user can act on, turns
bytes/mmap/memoryview into zero-copy NumPy views, and documents the semantics. The heavy work
runs in C++ with the GIL released; ``threads=0`` means the default (all cores, see
:func:`set_threads`). Results never depend on the thread count. See docs/native.md.

The kernels live in submodules by kind (``text``, ``numeric``, ``agents``; ``_base`` holds the
compiled module and the argument checks); import them from here.
"""

from __future__ import annotations

from studio.native._base import (
    NativeUnavailableError,
    get_threads,
    native_available,
    native_info,
    set_threads,
)
from studio.native.agents import aggregate_agent_events, scan_agent_events
from studio.native.numeric import (
    QuantizedArray,
    QuantizedRows,
    cosine_topk,
    dequantize_int8,
    ema_smooth,
    int8_topk,
    lttb_indices,
    minmax_indices,
    normalize_rows,
    quantize_int8,
    quantize_int8_rows,
)
from studio.native.text import (
    DEFAULT_LEVEL_TOKENS,
    LineIndex,
    LineSearch,
    LogLevel,
    NearDuplicates,
    classify_levels,
    embed_texts,
    find_near_duplicates,
    lsh_params,
    minhash_signatures,
    newline_offsets,
    newline_offsets_file,
    search_lines,
)

__all__ = [
    "DEFAULT_LEVEL_TOKENS",
    "LineIndex",
    "LineSearch",
    "LogLevel",
    "NativeUnavailableError",
    "NearDuplicates",
    "QuantizedArray",
    "QuantizedRows",
    "aggregate_agent_events",
    "classify_levels",
    "cosine_topk",
    "dequantize_int8",
    "ema_smooth",
    "embed_texts",
    "find_near_duplicates",
    "get_threads",
    "int8_topk",
    "lsh_params",
    "lttb_indices",
    "minhash_signatures",
    "minmax_indices",
    "native_available",
    "native_info",
    "newline_offsets",
    "newline_offsets_file",
    "normalize_rows",
    "quantize_int8",
    "quantize_int8_rows",
    "scan_agent_events",
    "search_lines",
    "set_threads",
]
