"""Helpers the Data plugin tests import by name (conftest only holds fixtures: several
plugins' conftest modules share that name, so importing from one is order-dependent)."""

from __future__ import annotations

import json
from pathlib import Path


def read_lines(path: Path) -> list[dict]:
    """The independent reading: the standard library, line by line."""
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
