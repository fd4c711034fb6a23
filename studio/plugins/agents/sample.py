"""Agent files for the sample workspace: what agents that ran and stopped leave behind.

Nothing here pretends to run: a stopped autonomy daemon's status (the exact
``{running:false, stopped}`` hafs writes on shutdown), a stopped training daemon with hafs's
default task schedule, a finished swarm session written the way hafs writes it, and an
``agents.jsonl`` produced by a real agent process (:mod:`.sample_agent`, through
:mod:`studio.agent_reporter`) that ran a few tasks, failed one and exited.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from studio.api import atomic_write_text

__all__ = ["populate_sample_agents"]

# hafs's TrainingDaemon.DEFAULT_TASKS (training_daemon.py), in its to_dict() key order.
_TRAINING_TASKS = (
    ("asm_generation", "generation", "asm", 86400, 100, True, {}),
    ("cpp_generation", "generation", "cpp", 172800, 50, True, {}),
    ("text_generation", "generation", "text", 259200, 50, False, {}),
    ("error_mining", "error_mining", None, 21600, 50, True,
     {"lookback_hours": 24, "min_severity": "medium"}),
    ("history_mining", "history_mining", None, 43200, 30, True,
     {"lookback_days": 7, "min_success_rate": 0.7}),
    ("quality_review", "quality_review", None, 43200, 100, True, {}),
    ("weekly_curation", "curation", None, 604800, 100, True,
     {"target_count": 1000, "quality_threshold": 0.7}),
    ("multi_teacher_asm", "multi_teacher", "asm", 604800, 25, True,
     {"consensus_threshold": 2, "validate_locally": True}),
)


def _write_json(path: Path, data: object) -> None:
    if path.exists():
        return  # never overwrite what is there
    atomic_write_text(path, json.dumps(data, indent=2))


def populate_sample_agents(root: Path, report: Callable[[str], None]) -> None:
    now = datetime.now()
    stopped = (now - timedelta(hours=2)).isoformat()
    _write_json(root / "autonomy_daemon" / "daemon_status.json",
                {"running": False, "stopped": stopped})
    training = root / "training_daemon"
    _write_json(training / "daemon_status.json", {
        "status": "stopped", "updated": stopped})
    _write_json(training / "scheduled_tasks.json", {"tasks": [
        {"name": name, "task_type": kind, "domain": domain, "interval_seconds": interval,
         "limit": limit, "enabled": enabled, "last_run": "", "next_run": "", "config": config}
        for name, kind, domain, interval, limit, enabled, config in _TRAINING_TASKS]})
    # hafs writes swarm nodes as dataclass reprs (json.dump(..., default=str)).
    _write_json(root / "swarm_status.json", {
        "nodes": [f"AgentNode(id='{node}', label='{label}', status='complete')"
                  for node, label in (("strategist", "Strategist"), ("collector", "Collectors"),
                                      ("reviewer", "Reviewer"), ("documenter", "Documenter"))],
        "edges": [], "active_topic": "Sample: sprite routines in bank $07",
        "start_time": (now - timedelta(hours=3)).isoformat()})
    events = root / "metrics" / "agents.jsonl"
    if not events.exists():
        done = subprocess.run(
            [sys.executable, "-m", "studio.plugins.agents.sample_agent", str(events),
             "--tasks", "12", "--fail-every", "5", "--task-ms", "15"],
            capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"the sample agent failed ({done.returncode}): "
                               f"{done.stderr.strip()[-400:]}")
    report("Added stopped agents: an autonomy daemon, a training daemon with hafs's default "
           "schedule, a finished swarm, and agents.jsonl from a sample agent that ran and exited")
