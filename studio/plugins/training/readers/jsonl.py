"""The live metrics stream ``studio_metrics.jsonl`` (written by :mod:`studio.callbacks`).

Format: ``docs/training-metrics.md``. Only complete lines are parsed; an unterminated last line
(the writer is mid-write) waits for the next refresh. A line that is not valid JSON is skipped
and counted, never fatal: one corrupt line must not hide the rest of a run.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from studio.callbacks import METRICS_FILE
from studio.plugins.training.readers.base import (
    Progress,
    ReadResult,
    StatusHint,
    as_float,
    parse_json_lenient,
)
from studio.plugins.training.readers.tail import RecordReader
from studio.plugins.training.series import ColumnBuilder

__all__ = ["MetricsStreamReader", "locate_metrics_stream"]

NAN = float("nan")


def locate_metrics_stream(folder: Path) -> list[Path]:
    path = folder / METRICS_FILE
    return [path] if path.is_file() else []


class MetricsStreamReader(RecordReader):
    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path)
        self._progress = Progress()
        self.bad_lines = 0
        self.pid: int | None = None
        self.host: str | None = None
        self.argv: list[str] | None = None
        self.started_at: float | None = None

    def restart(self) -> None:
        self._progress = Progress()

    def parse(self, records: list[bytes], columns: ColumnBuilder, result: ReadResult) -> None:
        for line in records:
            try:
                record = parse_json_lenient(line)
            except ValueError:
                self.bad_lines += 1
                continue
            if isinstance(record, dict):
                self._apply(record, columns, result)
            else:
                self.bad_lines += 1
        result.progress = self._progress

    def _apply(self, record: dict[str, Any], columns: ColumnBuilder, result: ReadResult) -> None:
        event = record.get("event", "log")
        wall = as_float(record.get("time"))
        wall = NAN if wall is None else wall
        step = as_float(record.get("step"))
        update: dict[str, Any] = {}
        if step is not None and not math.isnan(step):
            update["global_step"] = int(step)
        for key in ("max_steps", "num_train_epochs", "epoch"):
            value = as_float(record.get(key))
            if value is not None and not math.isnan(value):
                update[key] = int(value) if key == "max_steps" else value
        if not math.isnan(wall):
            update["observed_at"] = wall
        if event == "start":
            pid = record.get("pid")
            self.pid = pid if isinstance(pid, int) else None
            self.host = record.get("host") if isinstance(record.get("host"), str) else None
            argv = record.get("argv")
            self.argv = [str(a) for a in argv] if isinstance(argv, list) else None
            self.started_at = None if math.isnan(wall) else wall
            result.hints.append(StatusHint("running", "started", wall))
        elif event == "log":
            metrics = record.get("metrics")
            if isinstance(metrics, dict) and step is not None:
                epoch = as_float(record.get("epoch"))
                epoch = NAN if epoch is None else epoch
                for name, value in metrics.items():
                    number = as_float(value)
                    if number is not None:
                        columns.add(str(name), step, number, wall, epoch)
        elif event == "end":
            status = str(record.get("status") or "completed")
            error = record.get("error")
            state = status if status in ("completed", "failed", "stopped") else "failed"
            result.hints.append(StatusHint(state, str(error or status), wall))
        self._progress = self._progress.merged(Progress(**update))
