"""The Training plugin's public, Qt-free API (what other plugins and scripts may import).

``training(studio)`` is the per-studio :class:`TrainingService` (monitor, telemetry,
selection); reader kinds are :class:`MetricReaderSpec` rows added with the
``studio_register_metric_readers`` hook. ``studio.callbacks`` (outside this package) is what
training scripts import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.plugins.training.alerts import TrainingAlert
from studio.plugins.training.monitor import RunsUpdated
from studio.plugins.training.readers.base import (
    MetricReaderSpec,
    Progress,
    ReadResult,
    StatusHint,
)
from studio.plugins.training.runs import RunSummary
from studio.plugins.training.series import ColumnBuilder
from studio.plugins.training.service import SERVICE, RunsSelected, TrainingService, training_service
from studio.plugins.training.status import RunStatus
from studio.plugins.training.telemetry import TelemetrySample

if TYPE_CHECKING:
    from studio.api import Studio

__all__ = [
    "SERVICE",
    "ColumnBuilder",
    "MetricReaderSpec",
    "Progress",
    "ReadResult",
    "RunStatus",
    "RunSummary",
    "RunsSelected",
    "RunsUpdated",
    "StatusHint",
    "TelemetrySample",
    "TrainingAlert",
    "TrainingService",
    "training",
]

def training(studio: Studio) -> TrainingService:
    """The studio's training service (KeyError naming the plugin when it is not active)."""
    return training_service(studio)
