"""Numeric kernels: chart series (4, 5) and embeddings top-k (6)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from studio.native._base import (
    _as_array,
    _as_float_series,
    _check_int,
    _lib,
)

# ---- kernels 4 and 5: chart series ----------------------------------------------------------


def minmax_indices(y: object, buckets: int, *, threads: int = 0) -> np.ndarray:
    """Indices of the min and max of each of ``buckets`` equal-count buckets (NaN skipped).

    At most ``2 * buckets`` ascending indices; plot ``x[idx], y[idx]`` to keep every spike.
    """
    _check_int("buckets", buckets, minimum=1)
    _check_int("threads", threads, minimum=0)
    return _lib().minmax_indices(_as_float_series(y, "y"), buckets, threads)


def lttb_indices(x: object, y: object, buckets: int, threads: int = 0) -> np.ndarray:
    """Largest-Triangle-Three-Buckets: ``buckets`` indices of finite points, first and last kept.

    The next bucket's average sums its points in 4 interleaved lanes ((s0 + s1) + (s2 + s3));
    the result is the same for every thread count.
    """
    _check_int("buckets", buckets, minimum=3)
    _check_int("threads", threads, minimum=0)
    xs, ys = _as_float_series(x, "x"), _as_float_series(y, "y")
    if xs.shape != ys.shape:
        raise ValueError(f"x and y differ in length ({xs.size} vs {ys.size})")
    return _lib().lttb_indices(xs, ys, buckets, threads)


def ema_smooth(y: object, weight: float = 0.6) -> np.ndarray:
    """TensorBoard-style smoothing: debiased EMA; NaN/inf pass through and are skipped."""
    if not isinstance(weight, int | float) or not 0.0 <= float(weight) <= 1.0:
        raise ValueError(f"weight must be a number in [0, 1], got {weight!r}")
    return _lib().ema_debiased(_as_float_series(y, "y"), float(weight))


# ---- kernel 6: embeddings -------------------------------------------------------------------


@dataclass(frozen=True)
class QuantizedArray:
    """hafs-compatible symmetric int8 quantisation: ``float ≈ values * scale`` (zero point 0)."""

    values: np.ndarray
    scale: float
    zero_point: int = 0

    def dequantize(self) -> np.ndarray:
        return dequantize_int8(self)


@dataclass(frozen=True)
class QuantizedRows:
    """Per-row symmetric int8 for in-memory search: ``row i ≈ values[i] * scales[i]``.

    Not hafs's on-disk format (that is :class:`QuantizedArray`, one scale per array): build it
    from float rows when loading, keep it in memory, never write it as a hafs file.
    """

    values: np.ndarray
    scales: np.ndarray

    def dequantize(self) -> np.ndarray:
        return self.values.astype(np.float32) * self.scales[:, None]


def normalize_rows(x: np.ndarray, *, threads: int = 0) -> np.ndarray:
    """float32 rows scaled to unit L2 norm; rows with norm below 1e-8 become zero."""
    _check_int("threads", threads, minimum=0)
    return _lib().normalize_rows(_as_array(x, "x", np.float32, 2), threads)


def quantize_int8(x: np.ndarray, *, threads: int = 0) -> QuantizedArray:
    """scale = max|x|/127 (1.0 if below 1e-8); q = round-half-even(x/scale) in [-127, 127].

    Non-finite values are ignored for the scale and stored as 0.
    """
    arr = _as_array(x, "x", np.float32, x.ndim if isinstance(x, np.ndarray) else 1)
    values, scale = _lib().quantize_int8(arr, threads)
    return QuantizedArray(values.reshape(arr.shape), float(scale))


def quantize_int8_rows(x: np.ndarray, *, threads: int = 0) -> QuantizedRows:
    """Per-row int8 of a 2-D float32 array, for :func:`int8_topk` (not a hafs file format).

    Row i: ``scales[i] = max|x[i]|/127`` (1.0 if below 1e-8), values rounded half-to-even and
    clamped to [-127, 127] exactly as :func:`quantize_int8` does with its one scale. A unit
    vector's components then use about twice as many levels, which is what recall needs.
    """
    _check_int("threads", threads, minimum=0)
    values, scales = _lib().quantize_int8_rows(_as_array(x, "x", np.float32, 2), threads)
    return QuantizedRows(values, scales)


def dequantize_int8(q: QuantizedArray) -> np.ndarray:
    """float32 values of a :class:`QuantizedArray`."""
    return (q.values.astype(np.float32) - q.zero_point) * np.float32(q.scale)


def _check_topk(queries: np.ndarray, rows: np.ndarray, k: int) -> None:
    _check_int("k", k, minimum=1)
    if queries.shape[1] != rows.shape[1]:
        raise ValueError(f"queries have dimension {queries.shape[1]} but rows have {rows.shape[1]}")


def cosine_topk(queries: np.ndarray, rows: np.ndarray, k: int, *, normalized: bool = False,
                threads: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` most cosine-similar rows for each query: (int64 indices, float32 scores).

    Shapes (n_queries, min(k, n_rows)), best first; equal scores are ordered by row index.
    Pass ``normalized=True`` when both inputs already have unit rows (skips a copy).
    """
    q = _as_array(queries, "queries", np.float32, 2)
    r = _as_array(rows, "rows", np.float32, 2)
    _check_topk(q, r, k)
    if not normalized:
        q, r = normalize_rows(q, threads=threads), normalize_rows(r, threads=threads)
    return _lib().topk_f32(q, r, k, threads)


def _check_row_scales(scales: object, n: int, name: str) -> np.ndarray:
    arr = _as_array(scales, name, np.float32, 1)
    if arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} scales for {n} rows")
    if arr.size and not (np.all(np.isfinite(arr)) and float(arr.min()) > 0):
        raise ValueError(f"{name} must be finite and positive")
    return arr


def int8_topk(queries: QuantizedArray | QuantizedRows | np.ndarray,
              rows: QuantizedArray | QuantizedRows, k: int, *,
              rerank: np.ndarray | None = None, oversample: int = 4,
              threads: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Top-k by exact int8 dot products (of quantised unit rows: cosine); float32 scores.

    ``rows`` is hafs's :class:`QuantizedArray` (one scale; score = dot * both scales) or a
    :class:`QuantizedRows` (per-row scales; better recall): then the score of row r for query q
    is ``float32(dot) * rows.scales[r]`` (ranked, ties by index) times the query's own scale.
    ``queries`` may be float32 (quantised here the same way as ``rows``) or already quantised.
    With ``rerank`` (the float32 rows ``rows`` was quantised from), the best ``k * oversample``
    int8 candidates are re-scored in float32 (with float32 queries when given): recall close to
    the float32 path.
    """
    per_row = isinstance(rows, QuantizedRows)
    query_floats = None
    if isinstance(queries, np.ndarray):
        query_floats = _as_array(queries, "queries", np.float32, 2)
        queries = (quantize_int8_rows(query_floats, threads=threads) if per_row
                   else quantize_int8(query_floats, threads=threads))
    q = _as_array(queries.values, "queries.values", np.int8, 2)
    r = _as_array(rows.values, "rows.values", np.int8, 2)
    _check_topk(q, r, k)
    for name, arr in (("queries", q), ("rows", r)):
        if arr.size and int(arr.min()) < -127:
            raise ValueError(f"{name} contains -128; symmetric int8 values must be in [-127, 127]")
    if isinstance(queries, QuantizedRows):
        q_scales = _check_row_scales(queries.scales, q.shape[0], "queries.scales")
    else:
        q_scales = np.full(q.shape[0], queries.scale, np.float32)
    lib = _lib()
    n_best = k
    if rerank is not None:
        n_best = min(k * _check_int("oversample", oversample, minimum=1), r.shape[0])
    if per_row:
        r_scales = _check_row_scales(rows.scales, r.shape[0], "rows.scales")
        idx, scores = lib.topk_i8_rows(q, r, r_scales, n_best, threads)
        scores = scores * q_scales[:, None]
    else:
        idx, dots = lib.topk_i8(q, r, n_best, threads)
        if isinstance(queries, QuantizedRows):
            scores = dots.astype(np.float32) * (q_scales[:, None] * np.float32(rows.scale))
        else:
            scores = dots.astype(np.float32) * np.float32(queries.scale * rows.scale)
    if rerank is None:
        return idx, scores
    full = _as_array(rerank, "rerank", np.float32, 2)
    if full.shape != r.shape:
        raise ValueError(f"rerank rows have shape {full.shape}, expected {r.shape}")
    if query_floats is None:
        query_floats = (queries.dequantize() if isinstance(queries, QuantizedRows)
                        else dequantize_int8(queries))
    return lib.rerank_f32(query_floats, full, idx, k, threads)
