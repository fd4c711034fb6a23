"""Run the demo trainer as its own process (GUI, CLI and the sample workspace all do).

Its own process because that is what a real run is: the monitor discovers it, reads its files
and can stop it. It is started by the studio's process service (``studio.services.process``):
its own process group, its output in ``<out>/process.log``, terminated with the plugin or the
studio. BLAS is limited to one thread there: for a model this small, OpenBLAS's threads cost
more than they give (10x slower per step on a busy 2-core machine).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from studio.callbacks import METRICS_FILE

if TYPE_CHECKING:
    from studio.api import ManagedProcess, ProcessManager

__all__ = ["DemoProcessResult", "demo_argv", "demo_env", "run_demo_process", "start_demo"]

_BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def demo_argv(out: Path, steps: int, step_delay: float = 0.0, seed: int = 0) -> list[str]:
    return [sys.executable, "-m", "studio.plugins.training.demo", str(out), str(int(steps)),
            repr(float(step_delay)), str(int(seed))]


def demo_env() -> dict[str, str]:
    """Set on top of the studio's environment."""
    return dict.fromkeys(_BLAS_THREADS, "1")


def start_demo(processes: ProcessManager, out: Path, steps: int, step_delay: float = 0.0,
               seed: int = 0) -> ManagedProcess:
    """Start the trainer; its stdout/stderr go to ``<out>/process.log``."""
    out.mkdir(parents=True, exist_ok=True)
    return processes.spawn(demo_argv(out, steps, step_delay, seed), name="demo-trainer",
                           owner="training", env=demo_env(), log_file=out / "process.log")


@dataclass(frozen=True)
class DemoProcessResult:
    out: Path
    returncode: int
    status: str  # from the stream's end event: completed, stopped, failed
    steps: int
    first_loss: float | None
    final_loss: float | None
    eval_loss: float | None


def run_demo_process(processes: ProcessManager, out: Path, steps: int, step_delay: float = 0.0,
                     seed: int = 0, *,
                     on_step: Callable[[int, int, float | None], None] | None = None,
                     should_stop: Callable[[], bool] | None = None) -> DemoProcessResult:
    """Run to the end, following progress through the run's own metrics stream."""
    from studio.plugins.training.readers.jsonl import MetricsStreamReader

    process = start_demo(processes, out, steps, step_delay, seed)
    reader = MetricsStreamReader(out / METRICS_FILE)
    first = final = evaluation = None
    status, step = "failed", 0

    def drain() -> None:
        nonlocal first, final, evaluation, status, step
        result = reader.read()
        loss = result.columns.get("loss")
        if loss is not None and len(loss):
            first = float(loss.value[0]) if first is None else first
            final = float(loss.value[-1])
        eval_loss = result.columns.get("eval_loss")
        if eval_loss is not None and len(eval_loss):
            evaluation = float(eval_loss.value[-1])
        for hint in result.hints:
            if hint.state != "running":
                status = hint.state
        if result.progress is not None and result.progress.global_step is not None:
            step = result.progress.global_step
        if on_step is not None and result.columns:
            on_step(step, steps, final)

    try:
        while process.running:
            if should_stop is not None and should_stop():
                process.terminate()
            drain()
            with contextlib.suppress(TimeoutError):
                process.wait(0.1)  # returns at once when it ends
        returncode = process.wait()
    except BaseException:
        process.terminate()
        raise
    drain()
    return DemoProcessResult(out, returncode, status, step, first, final, evaluation)
