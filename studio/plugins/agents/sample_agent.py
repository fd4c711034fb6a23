"""A small real agent that reports through :mod:`studio.agent_reporter`, then exits.

``python -m studio.plugins.agents.sample_agent EVENTS_FILE [--name NAME] [--tasks N]
[--fail-every K] [--task-ms MS] [--forever] [--interval S]``

It indexes nothing of consequence: each task hashes a few kilobytes (real work with a real,
measured latency), every ``K``-th task raises, and it reports its queue depth and a metric. With
``--forever`` it keeps working and sending heartbeats until SIGTERM, then reports ``stop`` and
exits 0: the sample workspace runs it to completion; tests and screenshots run it forever.
"""

from __future__ import annotations

import argparse
import hashlib
import signal
import sys
import threading
import time

from studio.agent_reporter import AgentReporter

__all__ = ["main"]


def _work(task_ms: float, index: int) -> int:
    """Hash data for about ``task_ms`` milliseconds; return how many blocks were hashed."""
    deadline = time.monotonic() + task_ms / 1000.0
    digest = hashlib.sha256(str(index).encode())
    blocks = 0
    while time.monotonic() < deadline or blocks == 0:
        digest.update(digest.digest() * 64)
        blocks += 1
    return blocks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events_file")
    parser.add_argument("--name", default="sample-indexer")
    parser.add_argument("--tasks", type=int, default=8)
    parser.add_argument("--fail-every", type=int, default=0)
    parser.add_argument("--task-ms", type=float, default=20.0)
    parser.add_argument("--pause-ms", type=float, default=0.0)
    parser.add_argument("--forever", action="store_true")
    parser.add_argument("--interval", type=float, default=30.0)
    args = parser.parse_args(argv)

    reporter = AgentReporter(args.name, args.events_file, kind="indexer", interval=args.interval)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    reporter.start_heartbeats()
    index = 0
    try:
        while not stop.is_set() and (args.forever or index < args.tasks):
            index += 1
            remaining = max(0, args.tasks - index) if not args.forever else args.tasks
            reporter.queue_depth(remaining)
            try:
                with reporter.task(f"index batch {index}") as task:
                    if args.fail_every and index % args.fail_every == 0:
                        raise FileNotFoundError(f"notes/batch-{index}.md vanished")
                    task.items_processed = _work(args.task_ms, index)
            except FileNotFoundError:
                pass  # reported as a failure by the task context; the agent carries on
            reporter.metric("batches_per_minute", 60000.0 / max(args.task_ms, 1.0))
            if args.pause_ms:
                stop.wait(args.pause_ms / 1000.0)
    finally:
        reporter.stopped("finished" if not stop.is_set() else "SIGTERM")
    return 0


if __name__ == "__main__":
    sys.exit(main())
