"""Tests that need a real part the install provides: skip for a developer, fail in CI.

Some tests run a real OpenSSH server (the ``openssh-server`` system package) or load GGUFs in
llama.cpp (``llama-cpp-python``, in the test extra). A developer who runs ``pytest`` without
them gets a skip naming what is missing. ``make test`` (and so ``.ci/run``) sets
``HAFS_STUDIO_REQUIRE_REAL_PARTS=1``, which turns every such skip into a failure: a green CI
run always means the SSH and llama.cpp paths really ran.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import NoReturn

__all__ = ["REQUIRE_REAL_PARTS", "import_real_part", "missing_real_part", "real_parts_required"]

REQUIRE_REAL_PARTS = "HAFS_STUDIO_REQUIRE_REAL_PARTS"


def real_parts_required() -> bool:
    return os.environ.get(REQUIRE_REAL_PARTS, "").strip().lower() in ("1", "true", "yes", "on")


def missing_real_part(reason: str) -> NoReturn:
    """Skip the test (a developer's run) or fail it (``HAFS_STUDIO_REQUIRE_REAL_PARTS=1``)."""
    import pytest

    if real_parts_required():
        pytest.fail(f"{reason} ({REQUIRE_REAL_PARTS} is set: this part must be installed)",
                    pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def import_real_part(module: str, reason: str) -> ModuleType:
    """``pytest.importorskip`` that fails instead of skipping when real parts are required."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        missing_real_part(f"{reason}: {exc}")
