"""Plain Python/NumPy reference implementations the native kernels are checked against."""

from __future__ import annotations

import math
import re

import numpy as np


def split_lines(data: bytes) -> list[bytes]:
    """Lines as the kernels define them: split on b"\\n"; an empty final segment is no line."""
    parts = data.split(b"\n")
    if parts and parts[-1] == b"":
        parts.pop()
    return parts


def matching_lines(data: bytes, pattern: bytes, *, regex: bool, ignore_case: bool) -> list[int]:
    flags = re.IGNORECASE if ignore_case else 0
    rx = re.compile(pattern if regex else re.escape(pattern), flags)
    out = []
    for i, line in enumerate(split_lines(data)):
        content = line[:-1] if line.endswith(b"\r") else line
        if rx.search(content):
            out.append(i)
    return out


def minmax_indices(y: np.ndarray, buckets: int) -> list[int]:
    n = len(y)
    buckets = min(buckets, n)
    out: list[int] = []
    for b in range(buckets):
        lo, hi = n * b // buckets, n * (b + 1) // buckets
        # Not np.nanargmin: it replaces NaN by +inf, so in [nan, inf] it picks the NaN.
        valid = np.flatnonzero(~np.isnan(y[lo:hi]))
        if valid.size == 0:
            continue
        values = y[lo:hi][valid]
        i_min, i_max = lo + int(valid[np.argmin(values)]), lo + int(valid[np.argmax(values)])
        out.extend(sorted({i_min, i_max}))
    return out


def ema_tensorboard(y: list[float], weight: float) -> list[float]:
    if all(v == y[0] for v in y):
        return list(y)
    last, decay, out = 0.0, 1.0, []
    for v in y:
        if not math.isfinite(v):
            out.append(v)
            continue
        last = last * weight + (1 - weight) * v
        decay *= weight
        out.append(last if weight == 1 else last / (1 - decay))
    return out


def _lane_sum(v: np.ndarray, finite: list[int], begin: int, end: int) -> float:
    """LTTB's sum of a bucket: 4 lanes by position from the bucket's first finite point."""
    first = finite[begin]
    lanes = [0.0, 0.0, 0.0, 0.0]
    for j in range(begin, end):
        lanes[(finite[j] - first) % 4] += float(v[finite[j]])
    return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])


def lttb(x: np.ndarray, y: np.ndarray, buckets: int) -> list[int]:
    finite = [i for i in range(len(x)) if math.isfinite(x[i]) and math.isfinite(y[i])]
    m = len(finite)
    if buckets >= m or m <= 2:
        return finite
    out = [finite[0]]
    every = (m - 2) / (buckets - 2)
    a = 0
    for b in range(buckets - 2):
        begin = math.floor(b * every) + 1
        end = min(math.floor((b + 1) * every) + 1, m - 1)
        nb, ne = end, min(math.floor((b + 2) * every) + 1, m)
        ne = max(ne, nb + 1)
        avg_x = _lane_sum(x, finite, nb, ne) / (ne - nb)
        avg_y = _lane_sum(y, finite, nb, ne) / (ne - nb)
        ax, ay = x[finite[a]], y[finite[a]]
        best, best_area = begin, -1.0
        for j in range(begin, end):
            area = abs((ax - avg_x) * (y[finite[j]] - ay) - (ax - x[finite[j]]) * (avg_y - ay))
            if area > best_area:
                best, best_area = j, area
        out.append(finite[best])
        a = best
    out.append(finite[-1])
    return out


def quantize(x: np.ndarray) -> tuple[np.ndarray, float]:
    finite = np.where(np.isfinite(x), x, np.float32(0))
    max_abs = np.float32(np.max(np.abs(finite))) if x.size else np.float32(0)
    scale = np.float32(1.0) if max_abs < 1e-8 else np.float32(max_abs / np.float32(127))
    q = np.clip(np.rint(finite / scale), -127, 127).astype(np.int8)
    return q, float(scale)


def topk(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best per row: score descending, index ascending, NaN last."""
    s = np.where(np.isnan(scores), -np.inf, scores)
    nan_last = np.isnan(scores)
    idx = np.arange(scores.shape[1])
    out = []
    for row, nan_row in zip(s, nan_last, strict=True):
        order = np.lexsort((idx, nan_row, -row))
        out.append(order[:k])
    return np.array(out, dtype=np.int64).reshape(scores.shape[0], min(k, scores.shape[1]))


def char_shingles(text: str, k: int) -> set[str]:
    if not text:
        return set()
    k = min(k, len(text))
    return {text[i : i + k] for i in range(len(text) - k + 1)}


def word_shingles(text: str, k: int) -> set[tuple[str, ...]]:
    words = text.split()
    if not words:
        return set()
    k = min(k, len(words))
    return {tuple(words[i : i + k]) for i in range(len(words) - k + 1)}


def jaccard(a: set, b: set) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0
