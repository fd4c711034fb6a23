"""Kernel 9: the rows of agents.jsonl for the Agents plugin's bulk load."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from studio.native._base import (
    BytesLike,
    _as_bytes,
    _check_int,
    _lib,
)

# ---- kernel 9: agents.jsonl rows (studio/plugins/agents/bulk_load.py) ------------------------


def scan_agent_events(data: BytesLike) -> dict[str, Any]:
    """One row per non-blank line of agents.jsonl: status, agent id, event code, flags,
    naive-ISO timestamp in microseconds, task id key, duration and items (NumPy columns), and
    ``agent_names`` (bytes, by id). See native/src/agent_events.h for the codes."""
    return dict(_lib().scan_agent_events(_as_bytes(data)))


def aggregate_agent_events(rows: Mapping[str, Any], count: int, agents: int) -> dict[str, Any]:
    """Task counts, latency sums, still-open tasks and minute buckets of rows [0, count)."""
    _check_int("count", count, minimum=0)
    _check_int("agents", agents, minimum=0)
    return dict(_lib().aggregate_agent_events(dict(rows), count, agents))
