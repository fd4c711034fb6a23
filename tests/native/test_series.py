"""Kernels 4 and 5: min/max and LTTB downsampling, TensorBoard EMA."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio import native

from .reference import ema_tensorboard, lttb, minmax_indices

values = st.floats(allow_nan=True, allow_infinity=True, width=64)
series = st.lists(st.one_of(values, st.sampled_from([0.0, 1.0, math.nan])), max_size=300)


@settings(max_examples=300, deadline=None)
@given(y=series, buckets=st.integers(1, 50))
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
def test_lttb_matches_reference(y: list[float], buckets: int) -> None:
    ys = np.array(y, dtype=np.float64)
    xs = np.arange(len(ys), dtype=np.float64)
    with np.errstate(all="ignore"):
        expected = lttb(xs, ys, buckets)
    assert native.lttb_indices(xs, ys, buckets).tolist() == expected


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
