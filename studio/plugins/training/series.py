"""Metric series: growable NumPy columns (step, value, wall time, epoch) per metric name.

Readers append points as they parse new bytes; charts read the columns without copying
(:meth:`MetricSeries.view`). Appending is amortised O(1) (capacity doubles), so a 1M-point
series costs ~32 MB and no per-point Python objects.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

__all__ = [
    "ColumnBatch",
    "ColumnBuilder",
    "MetricPoint",
    "MetricSeries",
    "MetricStore",
    "SeriesView",
    "finite_or_none",
]

NAN = float("nan")


@dataclass(frozen=True, slots=True)
class MetricPoint:
    """One observation of one metric."""

    name: str
    step: float
    value: float
    wall: float = NAN  # unix seconds when the trainer logged it; NaN when the source has none
    epoch: float = NAN


@dataclass(frozen=True, slots=True)
class SeriesView:
    """Columns of one metric: a stored series' read-only views at one moment (they stay valid
    after appends), or a batch of new points from a reader (``ColumnBatch``)."""

    step: np.ndarray
    value: np.ndarray
    wall: np.ndarray
    epoch: np.ndarray

    def __len__(self) -> int:
        return int(self.step.shape[0])


# New points of one metric as columns (what readers hand to the store): the same four
# columns as a view of a stored series.
ColumnBatch = SeriesView


class ColumnBuilder:
    """Collects points per metric name, then builds :class:`ColumnBatch` es.

    Readers that parse point by point use :meth:`add` (plain lists: one ``np.array`` per
    column at the end is far cheaper than growing arrays per point). Readers that already have
    columns use :meth:`add_arrays`; with ``order`` (the source position of each point) chunks
    of one metric that arrive out of order are merged back into source order.
    """

    __slots__ = ("_chunks", "_columns")

    def __init__(self) -> None:
        self._columns: dict[str, tuple[list[float], list[float], list[float], list[float]]] = {}
        self._chunks: dict[str, list[tuple[np.ndarray, ...]]] = {}

    def add(self, name: str, step: float, value: float, wall: float = NAN,
            epoch: float = NAN) -> None:
        column = self._columns.get(name)
        if column is None:
            column = self._columns[name] = ([], [], [], [])
        column[0].append(step)
        column[1].append(value)
        column[2].append(wall)
        column[3].append(epoch)

    def add_arrays(self, name: str, step: np.ndarray, value: np.ndarray, *,
                   wall: np.ndarray | None = None, epoch: np.ndarray | None = None,
                   order: np.ndarray | None = None) -> None:
        count = len(step)
        if not count:
            return
        nan = np.full(count, np.nan)
        self._chunks.setdefault(name, []).append((
            np.asarray(step, dtype=np.float64), np.asarray(value, dtype=np.float64),
            nan if wall is None else np.asarray(wall, dtype=np.float64),
            nan if epoch is None else np.asarray(epoch, dtype=np.float64),
            np.arange(count) if order is None else np.asarray(order)))

    def __len__(self) -> int:
        return sum(len(column[0]) for column in self._columns.values()) + sum(
            len(chunk[0]) for chunks in self._chunks.values() for chunk in chunks)

    def __bool__(self) -> bool:
        return bool(self._columns) or bool(self._chunks)

    def build(self) -> dict[str, ColumnBatch]:
        built = {name: ColumnBatch(*(np.array(part, dtype=np.float64) for part in column))
                 for name, column in self._columns.items()}
        for name, chunks in self._chunks.items():
            if len(chunks) == 1:
                parts = chunks[0][:4]
            else:
                merged = [np.concatenate([chunk[i] for chunk in chunks]) for i in range(5)]
                order = np.argsort(merged[4], kind="stable")
                parts = tuple(part[order] for part in merged[:4])
            batch = ColumnBatch(*parts)
            if name in built:  # both kinds for one name: lists first, then the arrays
                old = built[name]
                batch = ColumnBatch(*(np.concatenate([a, b]) for a, b in zip(
                    (old.step, old.value, old.wall, old.epoch),
                    (batch.step, batch.value, batch.wall, batch.epoch), strict=True)))
            built[name] = batch
        return built


class MetricSeries:
    """Columns of one metric; only appended to (a reader reset replaces the whole series)."""

    __slots__ = ("_columns", "_size", "name")

    def __init__(self, name: str, capacity: int = 64) -> None:
        self.name = name
        self._columns = np.full((4, max(8, capacity)), np.nan, dtype=np.float64)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def append(self, step: float, value: float, wall: float = NAN, epoch: float = NAN) -> None:
        self._reserve(self._size + 1)
        self._columns[:, self._size] = (step, value, wall, epoch)
        self._size += 1

    def extend(self, step: np.ndarray | list[float], value: np.ndarray | list[float],
               wall: np.ndarray | list[float] | None = None,
               epoch: np.ndarray | list[float] | None = None) -> None:
        steps = np.asarray(step, dtype=np.float64)
        count = steps.shape[0]
        if count == 0:
            return
        self._reserve(self._size + count)
        end = self._size + count
        self._columns[0, self._size:end] = steps
        self._columns[1, self._size:end] = np.asarray(value, dtype=np.float64)
        self._columns[2, self._size:end] = np.nan if wall is None else np.asarray(wall, float)
        self._columns[3, self._size:end] = np.nan if epoch is None else np.asarray(epoch, float)
        self._size = end

    def view(self) -> SeriesView:
        columns = self._columns[:, : self._size]
        views = [columns[row] for row in range(4)]
        for view in views:
            view.flags.writeable = False
        return SeriesView(*views)

    def last(self) -> tuple[float, float] | None:
        """(step, value) of the newest point."""
        if not self._size:
            return None
        return float(self._columns[0, self._size - 1]), float(self._columns[1, self._size - 1])

    def last_finite_value(self) -> float | None:
        values = self._columns[1, : self._size]
        finite = np.flatnonzero(np.isfinite(values))
        return float(values[finite[-1]]) if finite.size else None

    def min_finite(self) -> tuple[float, float] | None:
        """(step, value) of the smallest finite value (the best loss)."""
        values = self._columns[1, : self._size]
        finite = np.isfinite(values)
        if not finite.any():
            return None
        index = int(np.argmin(np.where(finite, values, np.inf)))
        return float(self._columns[0, index]), float(values[index])

    def _reserve(self, needed: int) -> None:
        capacity = self._columns.shape[1]
        if needed <= capacity:
            return
        grown = np.full((4, max(needed, capacity * 2)), np.nan, dtype=np.float64)
        grown[:, : self._size] = self._columns[:, : self._size]
        self._columns = grown


class MetricStore:
    """Every metric of one run from one source, thread-safe, with a change counter."""

    def __init__(self) -> None:
        self._series: dict[str, MetricSeries] = {}
        self._lock = threading.Lock()
        self.version = 0

    def add_batches(self, batches: dict[str, ColumnBatch]) -> int:
        """Append every batch; return how many points were added."""
        added = 0
        with self._lock:
            for name, batch in batches.items():
                series = self._series.get(name)
                if series is None:
                    series = self._series[name] = MetricSeries(name, capacity=len(batch))
                series.extend(batch.step, batch.value, batch.wall, batch.epoch)
                added += len(batch)
            if added:
                self.version += 1
        return added

    def add(self, points: Iterable[MetricPoint]) -> int:
        """Append points; return how many were added."""
        added = 0
        with self._lock:
            for point in points:
                series = self._series.get(point.name)
                if series is None:
                    series = self._series[point.name] = MetricSeries(point.name)
                series.append(point.step, point.value, point.wall, point.epoch)
                added += 1
            if added:
                self.version += 1
        return added

    def add_columns(self, name: str, step: np.ndarray, value: np.ndarray,
                    wall: np.ndarray | None = None, epoch: np.ndarray | None = None) -> None:
        with self._lock:
            series = self._series.get(name)
            if series is None:
                series = self._series[name] = MetricSeries(name, capacity=len(step))
            series.extend(step, value, wall, epoch)
            self.version += 1

    def clear(self) -> None:
        with self._lock:
            self._series.clear()
            self.version += 1

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._series)

    def get(self, name: str) -> MetricSeries | None:
        with self._lock:
            return self._series.get(name)

    def view(self, name: str) -> SeriesView | None:
        with self._lock:
            series = self._series.get(name)
            return series.view() if series is not None else None

    def __iter__(self) -> Iterator[MetricSeries]:
        with self._lock:
            return iter(list(self._series.values()))

    def point_count(self) -> int:
        with self._lock:
            return sum(len(series) for series in self._series.values())


def finite_or_none(value: float | None) -> float | None:
    """``value`` if it is a finite number, else None (JSON output, summaries)."""
    if value is None:
        return None
    return value if math.isfinite(value) else None
