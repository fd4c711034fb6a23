"""Text kernels: line index (1), line search (2), log levels (3), near-duplicates (7) and
the hashed n-gram embedder (8)."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from studio.native._base import (
    BytesLike,
    TextsLike,
    _as_array,
    _as_bytes,
    _check_int,
    _lib,
    _pack_texts,
)

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
