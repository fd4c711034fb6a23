"""Shared fixtures of the Models plugin tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# tiny_models.py sits next to the tests; make it importable whatever pytest's import mode.
sys.path.insert(0, str(Path(__file__).parent))

DATA = Path(__file__).resolve().parents[2] / "data" / "models"


@pytest.fixture(scope="session")
def models_data() -> Path:
    return DATA
