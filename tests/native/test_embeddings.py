"""Kernel 6: normalisation, int8 quantisation, float32 and int8 top-k."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from studio import native

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
