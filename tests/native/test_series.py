"""Kernels 4 and 5: min/max and LTTB downsampling, TensorBoard EMA."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from studio import native

from .reference import ema_tensorboard, lttb, minmax_indices

values = st.floats(allow_nan=True, allow_infinity=True, width=64)
series = st.lists(st.one_of(values, st.sampled_from([0.0, 1.0, math.nan])), max_size=300)


@settings(max_examples=300, deadline=None)
@given(y=series, buckets=st.integers(1, 50))
@example(y=[0.0, math.nan, math.inf], buckets=2)  # NaN next to inf: the inf is the extreme
def test_minmax_matches_reference(y: list[float], buckets: int) -> None:
    arr = np.array(y, dtype=np.float64)
    assert native.minmax_indices(arr, buckets).tolist() == minmax_indices(arr, buckets)


def test_minmax_keeps_spikes_and_skips_nan(threads: int) -> None:
    rng = np.random.default_rng(1)
    y = rng.standard_normal(1_000_003)
    y[123_456] = 50.0
    y[777_777] = -50.0
    y[::1000] = np.nan
    y[500_000:510_000] = np.nan  # whole buckets of NaN
    idx = native.minmax_indices(y, 2000, threads=threads)
    assert {123_456, 777_777} <= set(idx.tolist())
    assert not np.isnan(y[idx]).any()
    assert np.all(np.diff(idx) > 0)
    np.testing.assert_array_equal(idx, native.minmax_indices(y, 2000, threads=1))


def test_minmax_accepts_lists_and_ints() -> None:
    assert native.minmax_indices([3, 1, 2, 5], 2).tolist() == [0, 1, 2, 3]
    assert native.minmax_indices(np.array([], dtype=np.float64), 5).tolist() == []


@settings(max_examples=200, deadline=None)
@given(y=series, buckets=st.integers(3, 40))
# Points 1 and 2 tie exactly; 3a is not representable, so a fused multiply-add (in the AVX2
# file only) broke the tie the other way. Found by CI; fixed with -ffp-contract=off.
@example(y=[4414622836343527.0, 0.0, 4414622836343527.0, 0.0], buckets=3)
def test_lttb_matches_reference(y: list[float], buckets: int) -> None:
    ys = np.array(y, dtype=np.float64)
    xs = np.arange(len(ys), dtype=np.float64)
    with np.errstate(all="ignore"):
        expected = lttb(xs, ys, buckets)
    assert native.lttb_indices(xs, ys, buckets).tolist() == expected


@pytest.fixture(scope="module")
def noisy_curve() -> tuple[np.ndarray, np.ndarray, list[int]]:
    """A loss-like curve with spikes, NaN/inf in x and y, and its reference LTTB (600 buckets)."""
    rng = np.random.default_rng(7)
    n = 60_000
    x = np.cumsum(rng.random(n) + 0.01)
    y = np.exp(-x / x[-1] * 4) + 0.05 * rng.standard_normal(n)
    y[rng.integers(0, n, 40)] += 3.0
    y[rng.integers(0, n, 300)] = np.nan
    x[rng.integers(0, n, 30)] = np.inf
    y[:5] = np.nan  # the first finite point is not point 0
    with np.errstate(all="ignore"):
        return x, y, lttb(x, y, 600)


def test_lttb_parallel_equals_sequential_reference(noisy_curve, simd: str, threads: int) -> None:
    # Segments of the chain start from guesses and are repaired: the result must not show it.
    x, y, expected = noisy_curve
    assert native.lttb_indices(x, y, 600, threads=threads).tolist() == expected


def test_lttb_repairs_a_wrong_guess() -> None:
    # A zig-zag whose picks depend on the previous pick for many buckets in a row: the guessed
    # start of each segment is wrong, so the repair has to run (and must still match).
    n = 40_000
    x = np.arange(n, dtype=np.float64)
    y = np.where(np.arange(n) % 2 == 0, 1.0, -1.0) * (1 + (np.arange(n) % 7) / 100)
    expected = lttb(x, y, 900)
    for threads in (1, 2, 3, 7):
        assert native.lttb_indices(x, y, 900, threads=threads).tolist() == expected


def test_lttb_keeps_endpoints_and_count() -> None:
    x = np.linspace(0, 10, 100_000)
    y = np.sin(x)
    idx = native.lttb_indices(x, y, 500)
    assert len(idx) == 500 and idx[0] == 0 and idx[-1] == 99_999


@settings(max_examples=300, deadline=None)
@given(y=st.lists(st.one_of(st.floats(-1e6, 1e6), st.sampled_from([math.nan, math.inf, 2.0])),
                  max_size=200),
       weight=st.floats(0.0, 1.0))
def test_ema_matches_tensorboard_reference(y: list[float], weight: float) -> None:
    got = native.ema_smooth(np.array(y, dtype=np.float64), weight)
    np.testing.assert_allclose(got, ema_tensorboard(y, weight), rtol=1e-12, atol=1e-9,
                               equal_nan=True)


def test_ema_constant_and_empty() -> None:
    assert native.ema_smooth([4.0] * 5, 0.9).tolist() == [4.0] * 5
    assert native.ema_smooth(np.zeros(0), 0.5).tolist() == []
    assert native.ema_smooth([1.0, 2.0], 0.0).tolist() == [1.0, 2.0]


@pytest.mark.parametrize(("call", "error"), [
    (lambda: native.minmax_indices(np.zeros((2, 2)), 4), ValueError),
    (lambda: native.minmax_indices(np.zeros(4), 0), ValueError),
    (lambda: native.minmax_indices(np.array(["a"]), 1), TypeError),
    (lambda: native.lttb_indices(np.zeros(3), np.zeros(4), 3), ValueError),
    (lambda: native.lttb_indices(np.zeros(3), np.zeros(3), 2), ValueError),
    (lambda: native.ema_smooth(np.zeros(3), 1.5), ValueError),
])
def test_bad_input(call, error) -> None:
    with pytest.raises(error):
        call()
