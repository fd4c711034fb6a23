"""PyTorch Lightning's ``CSVLogger`` output: ``<save_dir>/<name>/version_<n>/metrics.csv``.

Lightning appends rows, but when a metric name appears for the first time it rewrites the
whole file with a wider header (``ExperimentWriter.log_metrics``). The header line is
therefore checked at every refresh: a new header means the file is read from the start again.
Empty cells are "not logged at this row", not zero.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from studio.plugins.training.readers.base import Progress, ReadResult, as_float
from studio.plugins.training.readers.tail import RecordReader
from studio.plugins.training.series import ColumnBuilder

__all__ = ["LightningCsvReader", "locate_lightning_csv"]

NAN = float("nan")
FILE = "metrics.csv"
_NOT_METRICS = frozenset({"step", "epoch", "created_at"})


def locate_lightning_csv(folder: Path) -> list[Path]:
    """``metrics.csv`` in the folder, else the newest ``lightning_logs/version_N/metrics.csv``."""
    direct = folder / FILE
    if direct.is_file():
        return [direct]
    versions = []
    for parent in (folder / "lightning_logs", folder):
        try:
            for child in parent.glob("version_*"):
                suffix = child.name.removeprefix("version_")
                if suffix.isdigit() and (child / FILE).is_file():
                    versions.append((int(suffix), child / FILE))
        except OSError:
            continue
    return [max(versions)[1]] if versions else []


def _first_line(path: Path) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            line = handle.readline(1 << 16)
    except OSError:
        return None
    return line if line.endswith(b"\n") else None


class LightningCsvReader(RecordReader):
    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path)
        self._header: list[str] | None = None
        self._header_line: bytes | None = None
        self._progress = Progress()

    def must_restart(self) -> bool:
        header_line = _first_line(self.path)
        return self._header_line is not None and header_line is not None \
            and header_line != self._header_line  # rewritten with new columns

    def restart(self) -> None:
        self._header = self._header_line = None
        self._progress = Progress()

    def parse(self, records: list[bytes], columns: ColumnBuilder, result: ReadResult) -> None:
        for line in records:
            text = line.decode("utf-8", "replace")
            row = next(csv.reader(io.StringIO(text)), [])
            if self._header is None:
                self._header, self._header_line = [c.strip() for c in row], line + b"\n"
                continue
            self._row(dict(zip(self._header, row, strict=False)), columns)
        result.progress = self._progress

    def _row(self, row: dict[str, str], columns: ColumnBuilder) -> None:
        step = as_float(row.get("step") or None)
        epoch = as_float(row.get("epoch") or None)
        if step is None:
            return
        epoch_value = NAN if epoch is None else epoch
        for name, text in row.items():
            if name in _NOT_METRICS or not text:
                continue
            value = as_float(text)
            if value is not None:
                columns.add(name, step, value, NAN, epoch_value)
        update = Progress(global_step=int(step), epoch=epoch)
        self._progress = self._progress.merged(update)
