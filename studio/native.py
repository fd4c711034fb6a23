"""Typed facade over the C++ compute kernels in ``studio._native``.

Every part of the studio calls the kernels through this module, never ``studio._native``
directly: it validates arguments (dtype, shape, ranges) with messages a user can act on, turns
bytes/mmap/memoryview into zero-copy NumPy views, and documents the semantics. The heavy work
runs in C++ with the GIL released; ``threads=0`` means the default (all cores, see
:func:`set_threads`). Results never depend on the thread count. See docs/native.md.
"""

from __future__ import annotations

import math
import mmap
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numpy as np

_native: Any
_IMPORT_ERROR: str | None = None
try:
    from studio import _native
except ImportError as _error:  # pragma: no cover - exercised only in a broken install
    _native = None
    _IMPORT_ERROR = f"{type(_error).__name__}: {_error}"

__all__ = [
    "DEFAULT_LEVEL_TOKENS",
    "LineIndex",
    "LineSearch",
    "LogLevel",
    "NativeUnavailableError",
    "NearDuplicates",
    "QuantizedArray",
    "QuantizedRows",
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
    "search_lines",
    "set_threads",
]

BytesLike = bytes | bytearray | memoryview | mmap.mmap | np.ndarray
TextsLike = Sequence[str] | Sequence[bytes]


class NativeUnavailableError(RuntimeError):
    """studio._native could not be imported (the package was installed without its build)."""


def _lib() -> Any:
    if _native is None:
        raise NativeUnavailableError(
            f"the native module studio._native is not available ({_IMPORT_ERROR}); "
            "reinstall with `pip install -e .` (needs a C++17 compiler and CMake >= 3.18)"
        )
    return _native


# ---- module facts and settings --------------------------------------------------------------


def native_available() -> bool:
    """True when the compiled kernels can be used."""
    return _native is not None


def native_info() -> dict[str, object]:
    """Facts for ``hafs-studio doctor``: version, SIMD level, threads, regex engine."""
    if _native is None:
        return {"available": False, "error": _IMPORT_ERROR}
    return {
        "available": True,
        "version": _native.__version__,
        "simd": _native.simd_level(),
        "threads": _native.default_threads(),
        "hardware_threads": _native.hardware_threads(),
        "regex": _native.regex_engine(),
    }


def set_threads(threads: int) -> None:
    """Sets how many threads kernels use by default; 0 restores "all cores"."""
    _check_int("threads", threads, minimum=0)
    _lib().set_default_threads(threads)


def get_threads() -> int:
    """Threads a kernel uses when called with threads=0."""
    return int(_lib().default_threads())


# ---- argument validation --------------------------------------------------------------------


def _check_int(name: str, value: object, *, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _as_bytes(data: BytesLike, name: str = "data") -> np.ndarray:
    """A zero-copy 1-D uint8 view of bytes, bytearray, memoryview, mmap or a uint8 array."""
    if isinstance(data, np.ndarray):
        if data.dtype != np.uint8:
            raise TypeError(f"{name} must be a uint8 array, got dtype {data.dtype}")
        if data.ndim != 1:
            raise ValueError(f"{name} must be 1-D, got shape {data.shape}")
        if not data.flags.c_contiguous:
            raise ValueError(f"{name} must be contiguous (use np.ascontiguousarray)")
        return data
    if isinstance(data, str):
        raise TypeError(f"{name} must be bytes-like, not str (encode it first)")
    try:
        view = memoryview(data)
    except TypeError:
        raise TypeError(f"{name} must be bytes-like (bytes, mmap, memoryview, uint8 array), "
                        f"got {type(data).__name__}") from None
    if not view.c_contiguous:
        raise ValueError(f"{name} must be a contiguous buffer")
    if view.nbytes == 0:
        return np.zeros(0, dtype=np.uint8)
    return np.frombuffer(view.cast("B") if view.ndim == 1 else view, dtype=np.uint8)


def _as_array(x: object, name: str, dtype: type, ndim: int) -> np.ndarray:
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(x).__name__}")
    if x.dtype != dtype:
        raise TypeError(f"{name} must have dtype {np.dtype(dtype).name}, got {x.dtype} "
                        f"(convert with .astype(np.{np.dtype(dtype).name}))")
    if x.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {x.shape}")
    if not x.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous (use np.ascontiguousarray)")
    return x


def _as_float_series(y: object, name: str) -> np.ndarray:
    """Accepts any real 1-D array-like; converts (copying only if needed) to contiguous float64."""
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
    return np.ascontiguousarray(arr, dtype=np.float64)


def _pack_texts(texts: TextsLike) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated UTF-8 bytes and int64 offsets (n + 1) of a sequence of str or bytes."""
    if isinstance(texts, str | bytes):
        raise TypeError("texts must be a sequence of strings, not a single string")
    encoded = [t.encode("utf-8", "surrogatepass") if isinstance(t, str) else bytes(t)
               for t in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    if encoded:
        np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets


# ---- kernel 1: line index -------------------------------------------------------------------


def newline_offsets(data: BytesLike, *, base: int = 0, threads: int = 0) -> np.ndarray:
    """int64 offsets (``base`` + position) of every ``b"\\n"`` in ``data``, ascending."""
    _check_int("base", base)
    _check_int("threads", threads, minimum=0)
    return _lib().newline_offsets(_as_bytes(data), base, threads)


def newline_offsets_file(path: str | os.PathLike[str], start: int = 0, end: int | None = None,
                         *, threads: int = 0) -> np.ndarray:
    """Absolute offsets of every newline in bytes [start, end) of a file (end=None: to EOF).

    Reads with positional reads (like ``wc -l``) instead of mapping the file: no page faults.
    """
    _check_int("start", start, minimum=0)
    if end is not None:
        _check_int("end", end, minimum=0)
    _check_int("threads", threads, minimum=0)
    return _lib().newline_offsets_file(os.fspath(path), start, -1 if end is None else end, threads)


class LineIndex:
    """Incremental index of the lines of a growing byte region (a log file being written).

    Lines end at ``\\n``; a final segment without one is a line when it is not empty (and may
    still grow). :meth:`update` indexes only the bytes appended since the previous call.
    """

    def __init__(self) -> None:
        self._newlines = np.zeros(0, dtype=np.int64)
        self._count = 0  # valid entries in self._newlines (the rest is spare capacity)
        self._size = 0

    @property
    def indexed_bytes(self) -> int:
        """Bytes of the region indexed so far."""
        return self._size

    @property
    def newlines(self) -> np.ndarray:
        """Offsets of the newlines found so far (a read-only view)."""
        view = self._newlines[: self._count]
        view.flags.writeable = False
        return view

    @property
    def line_count(self) -> int:
        """Number of lines, counting a non-empty final segment without newline."""
        last_end = int(self._newlines[self._count - 1]) + 1 if self._count else 0
        return self._count + (1 if self._size > last_end else 0)

    def update(self, data: BytesLike, *, threads: int = 0) -> int:
        """Indexes ``data[indexed_bytes:]``; data is the whole region so far. Returns new lines.

        A region shorter than what was indexed (a truncated or rotated file) restarts the index.
        """
        arr = _as_bytes(data)
        if arr.size < self._size:
            self.__init__()
        before = self.line_count
        found = _lib().newline_offsets(arr[self._size:], self._size, threads)
        self._append(found)
        self._size = int(arr.size)
        return self.line_count - before

    def update_from_file(self, path: str | os.PathLike[str], *, threads: int = 0) -> int:
        """Like :meth:`update`, reading only the appended part of a file from disk."""
        size = os.path.getsize(path)
        if size < self._size:
            self.__init__()
        before = self.line_count
        self._append(newline_offsets_file(path, self._size, size, threads=threads))
        self._size = size
        return self.line_count - before

    def _append(self, found: np.ndarray) -> None:
        needed = self._count + found.size
        if needed > self._newlines.size:  # amortised O(1) growth
            grown = np.empty(max(needed, 2 * self._newlines.size, 1024), dtype=np.int64)
            grown[: self._count] = self._newlines[: self._count]
            self._newlines = grown
        self._newlines[self._count : needed] = found
        self._count = needed

    def line_bounds(self, first: int, count: int, data: BytesLike | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
        """Byte ranges [begin, end) of lines first..first+count-1 (clipped), without ``\\n``.

        With ``data`` given, one trailing ``\\r`` is excluded too (CRLF files).
        """
        _check_int("first", first, minimum=0)
        _check_int("count", count, minimum=0)
        stop = min(first + count, self.line_count)
        if first >= stop:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty.copy()
        return self.bounds_of(np.arange(first, stop, dtype=np.int64), data)

    def bounds_of(self, lines: np.ndarray, data: BytesLike | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
        """Like :meth:`line_bounds` for any line numbers (e.g. search hits), in their order."""
        lines = np.asarray(lines, dtype=np.int64)
        if lines.size and (int(lines.min()) < 0 or int(lines.max()) >= self.line_count):
            raise ValueError(f"line numbers must be in [0, {self.line_count}), got "
                             f"{int(lines.min())}..{int(lines.max())}")
        nl = self._newlines[: self._count]
        begins = np.where(lines == 0, 0, nl[np.maximum(lines - 1, 0)] + 1) if nl.size \
            else np.zeros(lines.size, dtype=np.int64)
        last = max(self._count - 1, 0)
        ends = (np.where(lines < self._count, nl[np.minimum(lines, last)], self._size)
                if nl.size else np.full(lines.size, self._size, dtype=np.int64))
        if data is not None:
            arr = _as_bytes(data)
            has_cr = (ends > begins) & (arr[np.maximum(ends - 1, 0)] == 13)
            ends = ends - has_cr
        return begins.astype(np.int64), ends.astype(np.int64)


# ---- kernel 2: line search ------------------------------------------------------------------


class LineSearch:
    """A compiled search for lines containing a literal or matching a regular expression.

    Regexes use PCRE2 syntax (see docs/native.md); the search is line-based: ``^``/``$`` match
    at line starts/ends, a trailing ``\\r`` is not part of a line, and a match never spans lines.
    A literal prefilter scans the raw bytes first, so the regex engine only sees candidate lines.

    Raises ValueError for an invalid pattern (with the position of the error).
    """

    def __init__(self, pattern: str | bytes, *, regex: bool = False,
                 ignore_case: bool = False) -> None:
        if not isinstance(pattern, str | bytes):
            raise TypeError(f"pattern must be str or bytes, got {type(pattern).__name__}")
        raw = pattern.encode("utf-8", "surrogatepass") if isinstance(pattern, str) else pattern
        self.pattern = pattern
        self.regex = bool(regex)
        self.ignore_case = bool(ignore_case)
        self._searcher = _lib().LineSearcher(raw, self.regex, self.ignore_case)

    @property
    def strategy(self) -> str:
        """How lines are tested: "literal", "prefilter+regex", "regex-scan", "regex-per-line",
        "all-lines" or "no-lines"."""
        return str(self._searcher.strategy)

    @property
    def literals(self) -> list[bytes]:
        """The literals of the raw-byte prefilter (lower-case when case-insensitive)."""
        return list(self._searcher.literals)

    def matching_lines(self, data: BytesLike, *, threads: int = 0) -> np.ndarray:
        """Ascending int64 numbers (0-based) of the lines of ``data`` that match."""
        _check_int("threads", threads, minimum=0)
        return self._searcher.matching_lines(_as_bytes(data), threads)

    def count_matching_lines(self, data: BytesLike, *, threads: int = 0) -> int:
        """How many lines of ``data`` match (``grep -c``); faster than counting the result of
        :meth:`matching_lines`, since no line numbers are computed."""
        _check_int("threads", threads, minimum=0)
        return int(self._searcher.count_matching_lines(_as_bytes(data), threads))

    def spans(self, data: BytesLike, begins: np.ndarray, ends: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Match spans in the given lines, for highlighting visible lines.

        ``begins``/``ends`` are int64 byte ranges of lines (e.g. from LineIndex.line_bounds).
        Returns (which, begin, end): for each match the position in ``begins`` and its absolute
        byte range.
        """
        b = _as_array(np.asarray(begins, dtype=np.int64), "begins", np.int64, 1)
        e = _as_array(np.asarray(ends, dtype=np.int64), "ends", np.int64, 1)
        if b.shape != e.shape:
            raise ValueError(f"begins and ends differ in length ({b.size} vs {e.size})")
        return self._searcher.spans(_as_bytes(data), b, e)


def search_lines(data: BytesLike, pattern: str | bytes, *, regex: bool = False,
                 ignore_case: bool = False, threads: int = 0) -> np.ndarray:
    """Numbers of the lines of ``data`` that match (see :class:`LineSearch`)."""
    search = LineSearch(pattern, regex=regex, ignore_case=ignore_case)
    return search.matching_lines(data, threads=threads)


# ---- kernel 3: log levels -------------------------------------------------------------------


class LogLevel(IntEnum):
    """Codes written by :func:`classify_levels` with the default tokens."""

    UNKNOWN = 0
    TRACE = 1
    DEBUG = 2
    INFO = 3
    WARNING = 4
    ERROR = 5


DEFAULT_LEVEL_TOKENS: Mapping[str, int] = {
    "TRACE": LogLevel.TRACE,
    "DEBUG": LogLevel.DEBUG,
    "INFO": LogLevel.INFO,
    "WARNING": LogLevel.WARNING,
    "WARN": LogLevel.WARNING,
    "ERROR": LogLevel.ERROR,
    "CRITICAL": LogLevel.ERROR,
    "FATAL": LogLevel.ERROR,
    "Traceback": LogLevel.ERROR,
}


def classify_levels(data: BytesLike, tokens: Mapping[str, int] | None = None, *,
                    ignore_case: bool = False, max_column: int = 256, inherit: bool = False,
                    threads: int = 0) -> np.ndarray:
    """One uint8 level code per line: the code of the leftmost whole-word token, else 0.

    Only the first ``max_column`` bytes of a line are searched (level fields come first). With
    ``inherit``, lines without a token take the previous line's level (stack traces).
    """
    table = dict(DEFAULT_LEVEL_TOKENS if tokens is None else tokens)
    for token, code in table.items():
        if not isinstance(token, str) or not token:
            raise ValueError(f"level tokens must be non-empty strings, got {token!r}")
        _check_int(f"level code of {token!r}", code, minimum=0)
        if code > 254:
            raise ValueError(f"level code of {token!r} must be <= 254, got {code}")
    _check_int("max_column", max_column, minimum=1)
    _check_int("threads", threads, minimum=0)
    return _lib().classify_levels(_as_bytes(data), list(table), [int(c) for c in table.values()],
                                  bool(ignore_case), max_column, bool(inherit), threads)


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


# ---- kernel 7: near-duplicates --------------------------------------------------------------


@dataclass(frozen=True)
class NearDuplicates:
    """Verified near-duplicate pairs (i < j), sorted, with estimated and exact Jaccard."""

    pairs: np.ndarray
    estimated: np.ndarray
    jaccard: np.ndarray
    candidates: int


def _check_shingles(unit: str, k: int) -> None:
    if unit not in ("char", "word"):
        raise ValueError(f"unit must be 'char' or 'word', got {unit!r}")
    _check_int("k", k, minimum=1)


def minhash_signatures(texts: TextsLike, *, num_perm: int = 128, unit: str = "char", k: int = 5,
                       seed: int = 1, threads: int = 0) -> np.ndarray:
    """(n_texts, num_perm) uint32 MinHash signatures over char or word k-shingles."""
    _check_shingles(unit, k)
    _check_int("num_perm", num_perm, minimum=1)
    _check_int("seed", seed, minimum=0)
    data, offsets = _pack_texts(texts)
    return _lib().minhash_signatures(data, offsets, num_perm, unit, k, seed, threads)


def lsh_params(threshold: float, num_perm: int, *, recall_weight: float = 0.9) -> tuple[int, int]:
    """(bands, rows) minimising weighted false positives + false negatives around ``threshold``.

    A pair of Jaccard s becomes a candidate with probability 1 - (1 - s^rows)^bands. Candidates
    are verified exactly afterwards, so a false positive only costs time while a false negative
    loses a duplicate: ``recall_weight`` (0..1) is the weight of the false negatives.
    """
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be in (0, 1), got {threshold}")
    if not 0.0 < recall_weight < 1.0:
        raise ValueError(f"recall_weight must be in (0, 1), got {recall_weight}")
    _check_int("num_perm", num_perm, minimum=1)
    s_lo, s_hi = np.linspace(0.0, threshold, 200), np.linspace(threshold, 1.0, 200)
    best, best_cost = (num_perm, 1), math.inf
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        fp = np.trapezoid(1 - (1 - s_lo**rows) ** bands, s_lo)
        fn = np.trapezoid((1 - s_hi**rows) ** bands, s_hi)
        cost = (1 - recall_weight) * fp + recall_weight * fn
        if cost < best_cost:
            best, best_cost = (bands, rows), cost
    return best


def find_near_duplicates(texts: TextsLike, *, threshold: float = 0.8, num_perm: int = 128,
                         unit: str = "char", k: int = 5, bands: int | None = None,
                         rows: int | None = None, seed: int = 1, max_bucket: int = 1000,
                         threads: int = 0) -> NearDuplicates:
    """Pairs of texts whose shingle sets have exact Jaccard >= threshold.

    MinHash + LSH banding propose candidates; each candidate is verified on the exact sets, so
    there are no false positives (recall depends on bands/rows; see docs/native.md).
    """
    _check_shingles(unit, k)
    _check_int("num_perm", num_perm, minimum=1)
    _check_int("max_bucket", max_bucket, minimum=2)
    if bands is None or rows is None:
        bands, rows = lsh_params(threshold, num_perm)
    _check_int("bands", bands, minimum=1)
    _check_int("rows", rows, minimum=1)
    if bands * rows > num_perm:
        raise ValueError(f"bands * rows ({bands} * {rows}) exceeds num_perm ({num_perm})")
    lib = _lib()
    data, offsets = _pack_texts(texts)
    sig = lib.minhash_signatures(data, offsets, num_perm, unit, k, seed, threads)
    pairs = lib.lsh_candidate_pairs(sig, bands, rows, max_bucket, threads)
    jaccard = lib.exact_jaccard(data, offsets, pairs, unit, k, seed, threads)
    estimated = (sig[pairs[:, 0]] == sig[pairs[:, 1]]).mean(axis=1) if len(pairs) else np.zeros(0)
    keep = jaccard >= threshold
    return NearDuplicates(pairs[keep], estimated[keep], jaccard[keep], candidates=len(pairs))


# ---- kernel 8: hashed n-gram embedder --------------------------------------------------------


def embed_texts(texts: TextsLike, *, dim: int = 384, ngram_range: tuple[int, int] = (3, 5),
                lowercase: bool = True, seed: int = 0x68616673, threads: int = 0) -> np.ndarray:
    """(n_texts, dim) float32 unit rows: signed feature hashing of character n-grams.

    Each distinct n-gram (in code points) adds ±(1 + ln count) to one of ``dim`` buckets;
    deterministic across runs, machines and thread counts, with no model to download.
    """
    _check_int("dim", dim, minimum=1)
    lo, hi = ngram_range
    _check_int("ngram_range[0]", lo, minimum=1)
    _check_int("ngram_range[1]", hi, minimum=lo)
    if hi > 16:
        raise ValueError(f"n-grams longer than 16 characters are not supported, got {hi}")
    _check_int("seed", seed, minimum=0)
    data, offsets = _pack_texts(texts)
    return _lib().embed_texts(data, offsets, dim, lo, hi, bool(lowercase), seed, threads)


# ---- kernel 9: agents.jsonl rows (studio/plugins/agents/bulk_load.py) ------------------------


def scan_agent_events(data: BytesLike) -> dict[str, Any]:
    """One row per non-blank line of agents.jsonl: status, agent id, event code, flags,
    naive-ISO timestamp in microseconds, task id key, duration and items (NumPy columns), and
    ``agent_names`` (bytes, by id). See native/src/agent_events.h for the codes."""
    return dict(_lib().scan_agent_events(_as_bytes(data)))


def aggregate_agent_events(rows: Mapping[str, Any], count: int, agents: int) -> dict[str, Any]:
    """Task counts, latency sums, still-open tasks and minute buckets of rows [0, count)."""
    _check_int("count", count, minimum=0)
    _check_int("agents", agents, minimum=0)
    return dict(_lib().aggregate_agent_events(dict(rows), count, agents))
