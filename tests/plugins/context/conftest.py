"""Shared fixtures of the Context plugin tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# context_tree.py sits next to the tests; make it importable whatever pytest's import mode.
sys.path.insert(0, str(Path(__file__).parent))

from context_tree import ContextTree, make_context_tree


@pytest.fixture
def tree(tmp_path: Path) -> ContextTree:
    return make_context_tree(tmp_path / "ctx")
