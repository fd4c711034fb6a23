"""Names the Logs plugin tests import (conftest only holds fixtures: several plugins'
conftest modules share that name, so importing from one is order-dependent)."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "data" / "logs"
REAL_LOG = DATA / "hafs_training_oracle_rauru.log"
