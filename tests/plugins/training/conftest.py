"""Shared fixtures and helpers of the Training plugin tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="session")
def training_data() -> Path:
    return DATA / "training"


@pytest.fixture(scope="session")
def aigoncharov_state() -> Path:
    """The real trainer_state.json (216 entries), shared with the Models tests' data."""
    return DATA / "models" / "hf_trainer_state_aigoncharov.json"
