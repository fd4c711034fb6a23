"""The sample workspace's finished training run: the demo trainer, run to completion.

It is a real run (NumPy, its own process, a few seconds), so the Training workspace of a new
user shows a loss curve that really falls, checkpoints, an eval loss and a log, in the same
layout as a live run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from studio.api import ProcessManager
from studio.plugins.training.demo.launch import run_demo_process
from studio.plugins.training.locations import hafs_training_paths

__all__ = ["SAMPLE_RUN", "populate_sample_training"]

SAMPLE_RUN = "demo-charlm-sample"


def populate_sample_training(root: Path, report: Callable[[str], None]) -> Path:
    out = hafs_training_paths(root).runs / SAMPLE_RUN
    if (out / "trainer_state.json").exists():
        report(f"Training: sample run already present in {out}")
        return out
    # This hook has no studio: a process manager of its own for this one short run.
    processes = ProcessManager()
    try:
        result = run_demo_process(processes, out, 200, seed=1)
    finally:
        processes.shutdown()
    if result.status != "completed":
        raise RuntimeError(f"the demo trainer ended {result.status} (exit {result.returncode});"
                           f" see {out / 'process.log'}")
    report(f"Training: a finished demo run ({result.steps} steps, loss "
           f"{result.first_loss:.2f} → {result.final_loss:.2f}) in {out}")
    return out
