"""Metric readers: one module per source format, all incremental (see ``base.py``).

The format modules (and NumPy) are imported the first time a kind locates or opens something,
not when the kinds are registered: the CLI's start-up and ``hafs-studio plugins list`` must
not pay for them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from studio.plugins.training.readers.base import (
    MetricReader,
    MetricReaderRegistry,
    MetricReaderSpec,
    Progress,
    ReadResult,
    StatusHint,
)

__all__ = [
    "LOG_READER",
    "MetricReader",
    "MetricReaderRegistry",
    "MetricReaderSpec",
    "Progress",
    "ReadResult",
    "StatusHint",
    "builtin_reader_specs",
    "builtin_registry",
]

LOG_READER = "training.log"


def _on_use(module: str, name: str) -> Callable[..., Any]:
    """``readers.<module>.<name>``, imported by the first call."""
    target: list[Callable[..., Any]] = []

    def call(*args: Any) -> Any:
        if not target:
            imported = importlib.import_module(f"studio.plugins.training.readers.{module}")
            target.append(getattr(imported, name))
        return target[0](*args)

    call.__qualname__ = f"{module}.{name}"
    return call


def builtin_reader_specs() -> list[MetricReaderSpec]:
    """The formats the studio reads out of the box; a lower priority wins a metric name."""
    return [
        MetricReaderSpec("training.jsonl", "Studio metrics stream (studio_metrics.jsonl)",
                         _on_use("jsonl", "locate_metrics_stream"),
                         _on_use("jsonl", "MetricsStreamReader"), 10),
        MetricReaderSpec("training.trainer-state", "Hugging Face trainer_state.json",
                         _on_use("trainer_state", "locate_trainer_state"),
                         _on_use("trainer_state", "TrainerStateReader"), 20),
        MetricReaderSpec("training.tensorboard", "TensorBoard event files",
                         _on_use("tensorboard", "locate_tensorboard"),
                         _on_use("tensorboard", "TensorBoardReader"), 30),
        MetricReaderSpec("training.lightning", "Lightning metrics.csv",
                         _on_use("lightning", "locate_lightning_csv"),
                         _on_use("lightning", "LightningCsvReader"), 40),
        MetricReaderSpec(LOG_READER, "Training log (tqdm, HF dict lines, tracebacks)",
                         _on_use("logs", "locate_logs"), _on_use("logs", "LogReader"), 50),
    ]


def builtin_registry() -> MetricReaderRegistry:
    """A registry of the built-in kinds alone (a monitor outside a studio: tests, benchmarks)."""
    return MetricReaderRegistry(builtin_reader_specs())
