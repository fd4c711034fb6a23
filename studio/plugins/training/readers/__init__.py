"""Metric readers: one module per source format, all incremental (see ``base.py``).

The format modules (and NumPy) are imported by :func:`builtin_reader_specs`, not by this
package: the CLI's start-up and ``hafs-studio plugins list`` must not pay for them.
"""

from __future__ import annotations

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


def builtin_reader_specs() -> list[MetricReaderSpec]:
    """The formats the studio reads out of the box; a lower priority wins a metric name."""
    from studio.plugins.training.readers.jsonl import MetricsStreamReader, locate_metrics_stream
    from studio.plugins.training.readers.lightning import (
        LightningCsvReader,
        locate_lightning_csv,
    )
    from studio.plugins.training.readers.logs import LogReader, locate_logs
    from studio.plugins.training.readers.tensorboard import (
        TensorBoardReader,
        locate_tensorboard,
    )
    from studio.plugins.training.readers.trainer_state import (
        TrainerStateReader,
        locate_trainer_state,
    )

    return [
        MetricReaderSpec("training.jsonl", "Studio metrics stream (studio_metrics.jsonl)",
                         locate_metrics_stream, MetricsStreamReader, 10, "training"),
        MetricReaderSpec("training.trainer-state", "Hugging Face trainer_state.json",
                         locate_trainer_state, TrainerStateReader, 20, "training"),
        MetricReaderSpec("training.tensorboard", "TensorBoard event files",
                         locate_tensorboard, TensorBoardReader, 30, "training"),
        MetricReaderSpec("training.lightning", "Lightning metrics.csv",
                         locate_lightning_csv, LightningCsvReader, 40, "training"),
        MetricReaderSpec(LOG_READER, "Training log (tqdm, HF dict lines, tracebacks)",
                         locate_logs, LogReader, 50, "training"),
    ]


def builtin_registry() -> MetricReaderRegistry:
    """A fresh registry with the built-in kinds (one per studio; never shared)."""
    return MetricReaderRegistry(builtin_reader_specs())
