"""A real daemon process that records its state the way hafs's daemons do (hafs-formats §4).

``python hafs_style_daemon.py ROOT FOLDER [--interval S] [--fail-task NAME]``

Like ``services/daemons/*.py`` at hafs 14ff9ed: it writes ``ROOT/FOLDER/daemon.pid`` with
``write_text(str(os.getpid()))`` on start, rewrites ``daemon_status.json`` in place
(``write_text(json.dumps(status, indent=2))``, not atomically) after every loop, and on
SIGTERM deletes the pid file and writes ``{running: false, stopped: <ISO>}`` — or, for the
training daemon, ``{status: "stopped", pid, updated}``. The status schema is the one of the
daemon named by FOLDER (autonomy_daemon, context_agent_daemon, embedding_service,
observability_daemon, training_daemon). It does no hafs work: its "tasks" are timestamps.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from datetime import datetime
from pathlib import Path


def _status(folder: str, interval: float, loops: int, fail_task: str | None) -> dict:
    now = datetime.now().isoformat()
    base = {"pid": os.getpid(), "running": True, "last_update": now}
    if folder == "training_daemon":
        return {"status": "idle", "pid": os.getpid(), "updated": now}
    if folder == "embedding_service":
        return {**base, "daily_count": 50 * loops, "daily_limit": 5000, "batch_size": 50,
                "interval_seconds": interval, "last_batch_generated": 50,
                "total_symbols": 1000, "total_embeddings": min(1000, 50 * loops),
                "coverage_percent": min(100.0, 5.0 * loops)}
    if folder == "observability_daemon":
        return {**base, "check_interval_seconds": interval,
                "summary": {"timestamp": now, "checks": 4, "alerts": 0, "actions": 1},
                "actions": [{"action": "restart_service", "target": "autonomy-daemon",
                             "success": fail_task is None, "reason": "stalled",
                             "message": None if fail_task is None else "exit 1",
                             "timestamp": now}]}
    tasks = [
        {"name": "self_heal", "type": "self_heal", "enabled": True, "interval_seconds": 600,
         "last_run": now, "last_status": "success", "last_error": None, "last_report": None,
         "is_due": False},
        {"name": "curiosity_explore", "type": "curiosity", "enabled": True,
         "interval_seconds": 14400, "last_run": None, "last_status": "pending",
         "last_error": None, "last_report": None, "is_due": True},
    ]
    if fail_task:
        tasks.append({"name": fail_task, "type": "tests", "enabled": True,
                      "interval_seconds": 86400, "last_run": now, "last_status": "error",
                      "last_error": "pytest exited with 2", "last_report": None,
                      "is_due": False})
    if folder == "context_agent_daemon":
        return {**base, "daily_report_count": loops, "daily_limit": 20,
                "check_interval_seconds": interval,
                "tasks": [{k: t[k] for k in ("name", "type", "enabled", "last_run", "is_due")}
                          for t in tasks]}
    return {**base, "check_interval_seconds": interval, "tasks": tasks}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("root")
    parser.add_argument("folder")
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--fail-task")
    args = parser.parse_args()
    data_dir = Path(args.root) / args.folder
    data_dir.mkdir(parents=True, exist_ok=True)
    pid_file, status_file = data_dir / "daemon.pid", data_dir / "daemon_status.json"
    pid_file.write_text(str(os.getpid()))
    running = True

    def handle(_signum: int, _frame: object) -> None:
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, handle)
    loops = 0
    while running:
        loops += 1
        status_file.write_text(json.dumps(_status(args.folder, args.interval, loops,
                                                  args.fail_task), indent=2))
        time.sleep(args.interval)
    if pid_file.exists():
        pid_file.unlink()
    if args.folder == "training_daemon":
        stopped = {"status": "stopped", "pid": os.getpid(), "updated": datetime.now().isoformat()}
    else:
        stopped = {"running": False, "stopped": datetime.now().isoformat()}
    status_file.write_text(json.dumps(stopped, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
