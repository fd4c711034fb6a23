"""studio.native: module facts, thread settings and SIMD dispatch."""

from __future__ import annotations

import pytest

from studio import _native, native


def test_native_info_for_doctor() -> None:
    info = native.native_info()
    assert info["available"] is True
    assert info["simd"] in {"scalar", "avx2", "avx512"}
    assert info["threads"] >= 1
    assert str(info["regex"]).startswith("PCRE2")


def test_set_threads_round_trip() -> None:
    default = native.get_threads()
    native.set_threads(1)
    try:
        assert native.get_threads() == 1
    finally:
        native.set_threads(0)
    assert native.get_threads() == default
    with pytest.raises(ValueError):
        native.set_threads(-1)


def test_simd_cap() -> None:
    best = _native.simd_level()
    _native.set_simd_cap("scalar")
    try:
        assert _native.simd_level() == "scalar"
    finally:
        _native.set_simd_cap("avx512")
    assert _native.simd_level() == best
    with pytest.raises(ValueError):
        _native.set_simd_cap("sse9")
