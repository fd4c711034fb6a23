"""Alerts: GPU temperature > 85 °C, GPU memory > 95 %, a run stalled, a run failed.

Thresholds are hafs's (``GPUMonitor`` marks a GPU unhealthy above 85 °C or 95 % memory used,
hafs-formats §2.F). Alerts are edge-triggered: one alert when a condition starts, none while
it lasts, a new one only after it cleared and came back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.api import Event
from studio.plugins.training.status import RunStatus

if TYPE_CHECKING:
    from studio.plugins.training.runs import RunSummary

__all__ = ["GPU_MEMORY_LIMIT", "GPU_TEMPERATURE_LIMIT", "AlertTracker", "TrainingAlert"]

GPU_TEMPERATURE_LIMIT = 85.0  # °C
GPU_MEMORY_LIMIT = 95.0  # percent of total


@dataclass(frozen=True, slots=True)
class TrainingAlert(Event):
    """A condition the user should see (shown as a notification and in the Training views)."""

    topic = "training.alerts"
    key: str = ""
    level: str = "warning"  # "warning" or "error"
    title: str = ""
    message: str = ""


class AlertTracker:
    def __init__(self) -> None:
        self._active: set[str] = set()

    def check_runs(self, summaries: Iterable[RunSummary]) -> list[TrainingAlert]:
        current = {}
        for run in summaries:
            if run.status is RunStatus.FAILED:
                key = f"run-failed:{run.id}"
                current[key] = TrainingAlert(key, "error", f"Training run failed: {run.name}",
                                             run.status_reason or "see the run's log")
            elif run.status is RunStatus.STALLED:
                key = f"run-stalled:{run.id}"
                current[key] = TrainingAlert(key, "warning",
                                             f"Training run stalled: {run.name}",
                                             run.status_reason)
        kept = {k for k in self._active if not k.startswith("run-")}
        return self._edges_for(current, kept)

    def check_gpus(self, gpus: Iterable[tuple[str, float | None, float | None]]
                   ) -> list[TrainingAlert]:
        """``gpus``: (label, temperature °C, memory used %) per GPU."""
        current = {}
        for label, temperature, memory_percent in gpus:
            if temperature is not None and temperature > GPU_TEMPERATURE_LIMIT:
                key = f"gpu-hot:{label}"
                current[key] = TrainingAlert(key, "warning", f"{label} is hot",
                                             f"{temperature:.0f} °C (limit "
                                             f"{GPU_TEMPERATURE_LIMIT:.0f} °C)")
            if memory_percent is not None and memory_percent > GPU_MEMORY_LIMIT:
                key = f"gpu-memory:{label}"
                current[key] = TrainingAlert(key, "warning", f"{label} memory almost full",
                                             f"{memory_percent:.1f} % used (limit "
                                             f"{GPU_MEMORY_LIMIT:.0f} %)")
        kept = {k for k in self._active if not k.startswith("gpu-")}
        return self._edges_for(current, kept)

    def _edges_for(self, current: dict[str, TrainingAlert], kept: set[str]
                   ) -> list[TrainingAlert]:
        fresh = [alert for key, alert in current.items() if key not in self._active]
        self._active = kept | set(current)
        return fresh
