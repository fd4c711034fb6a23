"""Shared fixtures of the Data plugin tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.plugins.data.sample import SampleTruth, write_quality_files, write_sample_dataset

DATA = Path(__file__).resolve().parents[2] / "data" / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture
def sample_dataset(tmp_path) -> SampleTruth:
    """A generated hafs dataset folder with planted near-duplicates and known counts."""
    return write_sample_dataset(tmp_path / "datasets" / "alttp_test_20250101_120000")


@pytest.fixture
def context_with_data(tmp_path) -> tuple[Path, SampleTruth]:
    root = tmp_path / "context"
    truth = write_sample_dataset(root / "training" / "datasets" / "alttp_test_20250101_120000")
    write_quality_files(root)
    return root, truth
