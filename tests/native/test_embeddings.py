"""Kernel 6: normalisation, int8 quantisation, float32 and int8 top-k."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from studio import _native, native

from .reference import quantize, topk


def unit(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    x = rng.standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_normalize_rows_matches_numpy() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1000, 37)).astype(np.float32)
    x[5] = 0.0
    x[6] = 1e-12
    got = native.normalize_rows(x)
    norms = np.linalg.norm(x.astype(np.float64), axis=1, keepdims=True)
    expected = np.where(norms < 1e-8, 0, x / np.where(norms < 1e-8, 1, norms)).astype(np.float32)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)
    assert not got[5].any() and not got[6].any()


floats32 = hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=2, max_side=40),
                      elements=st.floats(-1e4, 1e4, width=32) | st.sampled_from([0.0, np.nan]))


@settings(max_examples=200, deadline=None)
@given(x=floats32)
def test_quantize_matches_reference_exactly(x: np.ndarray) -> None:
    q = native.quantize_int8(x)
    ref_q, ref_scale = quantize(x)
    assert q.scale == pytest.approx(ref_scale, rel=0, abs=0)
    np.testing.assert_array_equal(q.values, ref_q)
    assert q.values.shape == x.shape and q.zero_point == 0


def test_quantize_hafs_conventions() -> None:
    assert native.quantize_int8(np.zeros(4, np.float32)).scale == 1.0
    q = native.quantize_int8(np.array([-2.0, 1.0, 0.0, 2.0], np.float32))
    assert q.values.tolist() == [-127, 64, 0, 127]
    np.testing.assert_allclose(q.dequantize(), [-2.0, 1.0078740, 0.0, 2.0], rtol=1e-6)


def test_topk_f32_matches_numpy(simd: str, threads: int) -> None:
    rng = np.random.default_rng(1)
    rows = unit(rng, 20_011, 67)  # odd sizes: tails in every tile dimension
    queries = unit(rng, 37, 67)
    idx, scores = native.cosine_topk(queries, rows, 10, normalized=True, threads=threads)
    exact = queries.astype(np.float64) @ rows.astype(np.float64).T
    np.testing.assert_allclose(scores, np.take_along_axis(exact, idx, 1), atol=1e-5)
    # The chosen rows are the true top 10 (up to float32 rounding of near ties).
    ref = topk(exact, 10)
    assert np.mean(idx == ref) > 0.99
    # Identical regardless of threads.
    idx1, scores1 = native.cosine_topk(queries, rows, 10, normalized=True, threads=1)
    np.testing.assert_array_equal(idx, idx1)
    np.testing.assert_array_equal(scores, scores1)


def _levels() -> list[str]:
    from .conftest import AVAILABLE_LEVELS
    return AVAILABLE_LEVELS


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 3000), nq=st.integers(1, 40), d=st.integers(1, 40), k=st.integers(1, 40),
       threads=st.sampled_from([1, 3]), seed=st.integers(0, 10_000))
def test_fused_topk_f32_exact_on_small_integers(n: int, nq: int, d: int, k: int, threads: int,
                                                seed: int) -> None:
    # Small integers make every product and sum exact in float32, so the fused kernel must give
    # exactly the reference order, ties by index included, on every SIMD level. Shapes are odd
    # on purpose: n not a multiple of the 6/12-row tile, nq across the 16/32-lane panels,
    # d not a multiple of 8/16, k > n.
    rng = np.random.default_rng(seed)
    rows = rng.integers(-3, 4, size=(n, d)).astype(np.float32)
    rows[rng.integers(0, n, size=max(1, n // 10))] = rows[0]  # exact ties
    queries = rng.integers(-3, 4, size=(nq, d)).astype(np.float32)
    exact = queries.astype(np.float64) @ rows.astype(np.float64).T
    expected = topk(exact, k)
    for level in _levels():
        _native.set_simd_cap(level)
        try:
            idx, scores = native.cosine_topk(queries, rows, k, normalized=True, threads=threads)
        finally:
            _native.set_simd_cap("avx512")
        np.testing.assert_array_equal(idx, expected, err_msg=level)
        expected_scores = np.take_along_axis(exact, expected, 1).astype(np.float32)
        np.testing.assert_array_equal(scores, expected_scores)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 3000), nq=st.integers(1, 40), d=st.integers(1, 70), k=st.integers(1, 20),
       seed=st.integers(0, 10_000))
def test_fused_topk_int8_exact_on_every_level(n: int, nq: int, d: int, k: int, seed: int) -> None:
    # The int8 scan packs rows in chunks and dimensions in groups of 2 (AVX2) or 4 (VNNI): odd
    # d, n across chunk and panel edges, and per-row scales must all stay exact.
    rng = np.random.default_rng(seed)
    rows = rng.integers(-127, 128, size=(n, d)).astype(np.int8)
    queries = rng.integers(-127, 128, size=(nq, d)).astype(np.int8)
    scales = rng.uniform(0.5, 2.0, size=n).astype(np.float32)
    dots = queries.astype(np.int64) @ rows.astype(np.int64).T
    expected = topk(dots.astype(np.float64), k)
    ranked = dots.astype(np.float32) * scales  # float32(dot) * row scale, as documented
    expected_rows = topk(ranked.astype(np.float64), k)
    for level in _levels():
        _native.set_simd_cap(level)
        try:
            idx, scores = _native.topk_i8(queries, rows, k, 2)
            idx_r, scores_r = _native.topk_i8_rows(queries, rows, scales, k, 2)
        finally:
            _native.set_simd_cap("avx512")
        np.testing.assert_array_equal(idx, expected, err_msg=level)
        np.testing.assert_array_equal(scores, np.take_along_axis(dots, expected, 1))
        np.testing.assert_array_equal(idx_r, expected_rows, err_msg=level)
        np.testing.assert_array_equal(scores_r, np.take_along_axis(ranked, expected_rows, 1))


def test_topk_ties_zero_vectors_and_k_larger_than_n() -> None:
    rows = np.array([[1, 0], [0, 0], [1, 0], [0, 1], [1, 0]], np.float32)
    queries = np.array([[1, 0], [0, 0]], np.float32)
    idx, scores = native.cosine_topk(queries, rows, 10)
    assert idx.shape == (2, 5)
    assert idx[0].tolist() == [0, 2, 4, 1, 3]  # ties by index; zero row scores 0
    assert idx[1].tolist() == [0, 1, 2, 3, 4]  # zero query: all 0, pure index order
    assert scores[1].tolist() == [0.0] * 5


def test_topk_nan_ranks_last() -> None:
    rows = np.array([[np.nan, 0], [1, 0], [0.5, 0.5]], np.float32)
    idx, scores = native.cosine_topk(np.array([[1, 0]], np.float32), rows, 3, normalized=True)
    assert idx[0].tolist() == [1, 2, 0] and np.isnan(scores[0, 2])


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 300), nq=st.integers(1, 9), d=st.integers(1, 70), k=st.integers(1, 12),
       seed=st.integers(0, 1000))
def test_int8_topk_is_exact_on_integers(n: int, nq: int, d: int, k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows = rng.integers(-127, 128, size=(n, d)).astype(np.int8)
    rows[rng.integers(0, n)] = rows[0]  # duplicate rows: exact ties
    queries = rng.integers(-127, 128, size=(nq, d)).astype(np.int8)
    idx, scores = native.int8_topk(native.QuantizedArray(queries, 1.0),
                                   native.QuantizedArray(rows, 1.0), k)
    dots = queries.astype(np.int64) @ rows.astype(np.int64).T
    np.testing.assert_array_equal(idx, topk(dots.astype(np.float64), k))
    np.testing.assert_array_equal(scores, np.take_along_axis(dots, idx, 1).astype(np.float32))


def test_int8_paths_agree(simd: str) -> None:
    rng = np.random.default_rng(3)
    rows = rng.integers(-127, 128, size=(3001, 130)).astype(np.int8)
    queries = rng.integers(-127, 128, size=(13, 130)).astype(np.int8)
    idx, _ = native.int8_topk(native.QuantizedArray(queries, 1.0),
                              native.QuantizedArray(rows, 1.0), 7)
    dots = queries.astype(np.int64) @ rows.astype(np.int64).T
    np.testing.assert_array_equal(idx, topk(dots.astype(np.float64), 7))


def test_int8_recall_with_rerank() -> None:
    rng = np.random.default_rng(4)
    rows = unit(rng, 20_000, 64)
    queries = unit(rng, 50, 64)
    truth, _ = native.cosine_topk(queries, rows, 10, normalized=True)
    idx, _ = native.int8_topk(queries, native.quantize_int8(rows), 10, rerank=rows)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(idx, truth, strict=True)])
    assert recall >= 0.99


def quantize_rows_reference(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row quantisation: the hafs rule applied to each row on its own."""
    pairs = [quantize(row) for row in x]
    values = np.array([p[0] for p in pairs], np.int8).reshape(x.shape)
    return values, np.array([p[1] for p in pairs], np.float32)


rows32 = hnp.arrays(np.float32,
                    hnp.array_shapes(min_dims=2, max_dims=2, min_side=0, max_side=30),
                    elements=st.floats(-1e4, 1e4, width=32)
                    | st.sampled_from([0.0, np.nan, np.inf]))


@settings(max_examples=200, deadline=None)
@given(x=rows32)
def test_quantize_rows_matches_reference_exactly(x: np.ndarray) -> None:
    q = native.quantize_int8_rows(x)
    ref_values, ref_scales = quantize_rows_reference(x)
    np.testing.assert_array_equal(q.values, ref_values)
    np.testing.assert_array_equal(q.scales, ref_scales)
    assert q.values.shape == x.shape and q.scales.shape == (x.shape[0],)


def test_quantize_rows_conventions() -> None:
    x = np.array([[-2.0, 1.0, 0.0, 2.0], [0, 0, 0, 0], [3, 3, 3, 3], [0.5, -0.25, 0, 0]],
                 np.float32)
    q = native.quantize_int8_rows(x)
    assert q.values.tolist() == [[-127, 64, 0, 127], [0, 0, 0, 0], [127] * 4, [127, -64, 0, 0]]
    assert q.scales[1] == 1.0  # zero row: scale 1, like quantize_int8
    np.testing.assert_allclose(q.dequantize(), x, atol=np.max(np.abs(x)) / 254 + 1e-7)
    # hafs's per-array format is unchanged: same values as before for the same input.
    assert native.quantize_int8(x[0]).values.tolist() == [-127, 64, 0, 127]


def int8_rows_reference(queries: native.QuantizedRows, rows: native.QuantizedRows,
                        k: int) -> tuple[np.ndarray, np.ndarray]:
    dots = queries.values.astype(np.int64) @ rows.values.astype(np.int64).T
    ranked = dots.astype(np.float32) * rows.scales[None, :]  # float32, as the kernel rounds
    idx = topk(ranked.astype(np.float64), k)
    return idx, np.take_along_axis(ranked, idx, 1) * queries.scales[:, None]


@settings(max_examples=80, deadline=None)
@given(n=st.integers(1, 300), nq=st.integers(1, 9), d=st.integers(1, 140), k=st.integers(1, 12),
       seed=st.integers(0, 1000), zero_rows=st.booleans(), equal=st.booleans())
def test_int8_rows_topk_matches_reference(n: int, nq: int, d: int, k: int, seed: int,
                                          zero_rows: bool, equal: bool) -> None:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    if equal:
        x[:] = 0.5  # all-equal values: every score ties, order by index
    x[rng.integers(0, n)] = x[0]  # duplicate rows: exact ties
    if zero_rows:
        x[rng.integers(0, n, size=max(1, n // 5))] = 0.0
    rows = native.quantize_int8_rows(x)
    queries = native.quantize_int8_rows(rng.standard_normal((nq, d)).astype(np.float32))
    idx, scores = native.int8_topk(queries, rows, k)
    ref_idx, ref_scores = int8_rows_reference(queries, rows, k)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_array_equal(scores, ref_scores)
    assert scores.dtype == np.float32 and idx.shape == (nq, min(k, n))


def test_int8_rows_paths_and_threads_agree(simd: str, threads: int) -> None:
    rng = np.random.default_rng(5)
    rows = native.quantize_int8_rows(unit(rng, 3001, 131))  # tails in every tile dimension
    queries = native.quantize_int8_rows(unit(rng, 13, 131))
    idx, scores = native.int8_topk(queries, rows, 7, threads=threads)
    ref_idx, ref_scores = int8_rows_reference(queries, rows, 7)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_array_equal(scores, ref_scores)


def test_int8_rows_sizes_zero_and_one() -> None:
    empty = native.quantize_int8_rows(np.zeros((0, 8), np.float32))
    assert empty.values.shape == (0, 8) and empty.scales.shape == (0,)
    one = native.quantize_int8_rows(np.ones((1, 8), np.float32))
    idx, scores = native.int8_topk(np.ones((2, 8), np.float32), one, 5)  # k > n
    assert idx.tolist() == [[0], [0]]
    np.testing.assert_allclose(scores, 8.0, rtol=1e-6)
    idx, _ = native.int8_topk(np.zeros((0, 8), np.float32), one, 3)
    assert idx.shape == (0, 1)


def test_int8_rows_recall() -> None:
    rng = np.random.default_rng(4)
    rows = unit(rng, 20_000, 64)
    queries = unit(rng, 50, 64)
    truth, _ = native.cosine_topk(queries, rows, 10, normalized=True)
    rows_q = native.quantize_int8_rows(rows)
    for kwargs in ({}, {"rerank": rows}):
        idx, _ = native.int8_topk(queries, rows_q, 10, **kwargs)
        recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(idx, truth, strict=True)])
        assert recall >= (0.99 if kwargs else 0.9)


def test_int8_row_and_array_paths_share_thresholds_semantics() -> None:
    # NaN never appears with int8 scores; a full list of equal scores keeps the lowest indices.
    rows = native.QuantizedRows(np.ones((100, 4), np.int8), np.ones(100, np.float32))
    queries = native.QuantizedRows(np.ones((1, 4), np.int8), np.ones(1, np.float32))
    idx, scores = native.int8_topk(queries, rows, 3)
    assert idx.tolist() == [[0, 1, 2]] and scores.tolist() == [[4.0, 4.0, 4.0]]


def _rows(values: np.ndarray, scales: np.ndarray) -> native.QuantizedRows:
    return native.QuantizedRows(values, scales)


_F3 = np.zeros((1, 3), np.float32)
_Z23 = np.zeros((2, 3), np.int8)


@pytest.mark.parametrize(("call", "error"), [
    (lambda: native.quantize_int8_rows(np.zeros(3, np.float32)), ValueError),
    (lambda: native.quantize_int8_rows(np.zeros((2, 3))), TypeError),
    (lambda: native.int8_topk(_F3, _rows(_Z23, np.ones(3, np.float32)), 1), ValueError),  # count
    (lambda: native.int8_topk(_F3, _rows(_Z23, np.zeros(2, np.float32)), 1), ValueError),  # > 0
    (lambda: native.int8_topk(_F3, _rows(_Z23, np.full(2, np.nan, np.float32)), 1), ValueError),
    (lambda: native.int8_topk(_F3, _rows(_Z23, np.ones(2, np.float64)), 1), TypeError),
    (lambda: native.int8_topk(np.zeros((1, 4), np.float32), _rows(_Z23, np.ones(2, np.float32)), 1),
     ValueError),
    (lambda: native.int8_topk(_F3, _rows(np.full((2, 3), -128, np.int8), np.ones(2, np.float32)),
                              1),
     ValueError),
])
def test_bad_input_rows(call, error) -> None:
    with pytest.raises(error):
        call()


@pytest.mark.parametrize(("call", "error"), [
    (lambda: native.normalize_rows(np.zeros((2, 3)), ), TypeError),  # float64
    (lambda: native.normalize_rows(np.zeros(3, np.float32)), ValueError),
    (lambda: native.normalize_rows(np.zeros((4, 3), np.float32)[::2]), ValueError),
    (lambda: native.cosine_topk(np.zeros((1, 3), np.float32), np.zeros((5, 4), np.float32), 2),
     ValueError),
    (lambda: native.cosine_topk(np.zeros((1, 3), np.float32), np.zeros((5, 3), np.float32), 0),
     ValueError),
    (lambda: native.int8_topk(native.QuantizedArray(np.full((1, 2), -128, np.int8), 1.0),
                              native.QuantizedArray(np.zeros((2, 2), np.int8), 1.0), 1),
     ValueError),
])
def test_bad_input(call, error) -> None:
    with pytest.raises(error):
        call()
