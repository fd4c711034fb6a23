"""Fixtures for the native kernel tests: SIMD levels and thread counts to compare."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from studio import _native

# Every instruction-set path this CPU can run; each kernel must agree across them.
_LEVELS = ["scalar", "avx2", "avx512"]
_ORDER = {name: i for i, name in enumerate(_LEVELS)}
AVAILABLE_LEVELS = [lvl for lvl in _LEVELS if _ORDER[lvl] <= _ORDER[_native.simd_level()]]


@pytest.fixture(params=AVAILABLE_LEVELS)
def simd(request: pytest.FixtureRequest) -> Iterator[str]:
    """Runs the test once per SIMD level, restoring the best level afterwards."""
    _native.set_simd_cap(request.param)
    try:
        yield request.param
    finally:
        _native.set_simd_cap("avx512")


@pytest.fixture(params=[1, 2, 3, 7])
def threads(request: pytest.FixtureRequest) -> int:
    return request.param
