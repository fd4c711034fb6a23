"""Run status and ETA rules (one place, used by the panel, the cards and the CLI).

Status, in order of precedence:

* **Failed**: a source says so (a traceback in the log with no progress after it, an ``end``
  event with status failed, a campaign whose launch failed).
* **Completed**: a source says so, or ``global_step >= max_steps > 0``.
* **Running**: the newest update is at most *stall* minutes old (default 30, hafs's
  ``WINDOWS_LOG_STALE_MINUTES``).
* **Stalled**: older than that, with known, unfinished progress (``0 < step < max``).
* **Idle**: older than that and nothing says how far it got, or stopped on purpose (an
  ``end`` event with status ``stopped``: SIGTERM, Ctrl+C, the Stop command).

Ages are clamped at zero: a file on a mount whose clock runs ahead has an mtime in the future,
which counts as "just updated", never as a negative age.

ETA: the source's own estimate when it has one (tqdm's remaining time, less the time since that
line was written), else remaining steps over the recent rate: steps per second across the
progress samples of the last ``RATE_WINDOW_S`` seconds (at least two samples).
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass

from studio.api import format_age
from studio.plugins.training.readers.base import Progress, StatusHint

__all__ = ["RATE_WINDOW_S", "RateEstimator", "RunStatus", "decide_status", "eta_seconds"]

RATE_WINDOW_S = 600.0


class RunStatus(enum.StrEnum):
    RUNNING = "Running"
    COMPLETED = "Completed"
    STALLED = "Stalled"
    FAILED = "Failed"
    IDLE = "Idle"

    @property
    def active(self) -> bool:
        return self is RunStatus.RUNNING


@dataclass(frozen=True, slots=True)
class StatusDecision:
    status: RunStatus
    reason: str


def decide_status(*, progress: Progress, hint: StatusHint | None, last_update: float | None,
                  now: float, stall_after_s: float) -> StatusDecision:
    """Apply the rules of the module docstring. ``hint`` is the newest outcome hint."""
    step, total = progress.global_step, progress.max_steps
    if hint is not None and hint.state == "failed":
        return StatusDecision(RunStatus.FAILED, hint.message)
    if hint is not None and hint.state == "completed":
        return StatusDecision(RunStatus.COMPLETED, hint.message)
    if hint is not None and hint.state == "stopped":
        return StatusDecision(RunStatus.IDLE, f"stopped: {hint.message}")
    if total and step is not None and step >= total > 0:
        return StatusDecision(RunStatus.COMPLETED, f"step {step} of {total}")
    if last_update is None:
        return StatusDecision(RunStatus.IDLE, "no data yet")
    age = max(0.0, now - last_update)
    if age <= stall_after_s:
        return StatusDecision(RunStatus.RUNNING, f"updated {format_age(age)} ago")
    if total and step is not None and 0 < step < total:
        return StatusDecision(RunStatus.STALLED, f"no update for {format_age(age)}")
    return StatusDecision(RunStatus.IDLE, f"no update for {format_age(age)}")


class RateEstimator:
    """Steps per second over a sliding window of (time, step) samples."""

    def __init__(self, window_s: float = RATE_WINDOW_S, max_samples: int = 512) -> None:
        self.window_s = window_s
        self._samples: deque[tuple[float, float]] = deque(maxlen=max_samples)

    def add(self, at: float, step: float) -> None:
        samples = self._samples
        if samples and step < samples[-1][1]:
            samples.clear()  # restarted / resumed from an earlier checkpoint
        if samples and step == samples[-1][1]:
            return  # the same progress seen again: keep the time it was first seen
        if samples and at <= samples[-1][0]:
            return  # out-of-order or duplicate clock reading
        samples.append((at, step))
        while len(samples) > 2 and samples[-1][0] - samples[0][0] > self.window_s:
            samples.popleft()

    def rate(self) -> float | None:
        if len(self._samples) < 2:
            return None
        (t0, s0), (t1, s1) = self._samples[0], self._samples[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 and s1 > s0 else None

    def reset(self) -> None:
        self._samples.clear()


def eta_seconds(progress: Progress, rate: float | None, *, status: RunStatus,
                last_update: float | None, now: float) -> float | None:
    """Seconds to ``max_steps``; None when unknown or the run is not running."""
    if status is not RunStatus.RUNNING:
        return 0.0 if status is RunStatus.COMPLETED else None
    step, total = progress.global_step, progress.max_steps
    if not total or step is None:
        return None
    if step >= total:
        return 0.0
    if progress.eta_seconds is not None:
        since = max(0.0, now - last_update) if last_update is not None else 0.0
        return max(0.0, progress.eta_seconds - since)
    best_rate = rate or progress.rate
    if not best_rate or best_rate <= 0:
        return None
    return (total - step) / best_rate
