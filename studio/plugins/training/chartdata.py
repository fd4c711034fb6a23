"""Chart data, Qt-free: x axes, resumed-run alignment, smoothing, per-pixel downsampling, CSV.

The chart keeps every point (full resolution) and hands pyqtgraph only what the visible range
needs: the points between the left and right edge, reduced to at most two per horizontal pixel
by the native min/max kernel (``studio.native.minmax_indices``: each pixel column keeps its
lowest and highest value, so spikes survive any zoom). A 1M-point loss curve is redrawn from
~4k points instead of 1M.

Smoothing is TensorBoard's debiased EMA (``studio.native.ema_smooth``), computed once per
series and weight over the full series (never over the downsampled points).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from studio.api import native
from studio.plugins.training.series import SeriesView

__all__ = ["X_AXES", "PreparedSeries", "prepare_series", "series_csv", "visible_indices"]

X_AXES = {"step": "Step", "epoch": "Epoch", "relative": "Relative time (s)",
          "wall": "Wall time"}


@dataclass(frozen=True)
class PreparedSeries:
    """One run's metric ready to plot: x sorted ascending, NaN-x points dropped."""

    label: str
    x: np.ndarray
    y: np.ndarray
    smoothed: np.ndarray | None

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def value_at(self, x: float) -> tuple[float, float, float | None] | None:
        """(x, raw y, smoothed y) of the point nearest ``x``."""
        if not len(self):
            return None
        index = int(np.clip(np.searchsorted(self.x, x), 0, len(self) - 1))
        if index > 0 and abs(self.x[index - 1] - x) <= abs(self.x[index] - x):
            index -= 1
        smooth = None if self.smoothed is None else float(self.smoothed[index])
        return float(self.x[index]), float(self.y[index]), smooth


def prepare_series(view: SeriesView, *, label: str, x_axis: str = "step",
                   align_start: bool = False, smoothing: float = 0.0) -> PreparedSeries:
    """x per ``x_axis``; ``align_start`` shifts step/epoch so the run starts at 0 (resumed
    runs overlaid on fresh ones); ``smoothing`` in [0, 1) is the EMA weight (0: none)."""
    if x_axis not in X_AXES:
        raise ValueError(f"unknown x axis {x_axis!r} (one of {', '.join(X_AXES)})")
    if x_axis == "step":
        x = view.step
    elif x_axis == "epoch":
        x = view.epoch
    else:
        x = view.wall
    y = view.value
    keep = np.isfinite(x)
    if not keep.all():
        x, y = x[keep], y[keep]
    if x.size and np.any(np.diff(x) < 0):
        order = np.argsort(x, kind="stable")
        x, y = x[order], y[order]
    x = np.ascontiguousarray(x, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    if x.size and (x_axis == "relative" or (align_start and x_axis in ("step", "epoch"))):
        x = x - x[0]
    smoothed = native.ema_smooth(y, smoothing) if smoothing > 0 and y.size else None
    return PreparedSeries(label, x, y, smoothed)


def visible_indices(x: np.ndarray, y: np.ndarray, x_min: float, x_max: float,
                    pixels: int) -> np.ndarray:
    """Indices to draw for the visible x range: one point beyond each edge (so the line
    reaches the border), reduced per pixel column by min/max when there are more points than
    two per pixel."""
    count = x.shape[0]
    if count == 0:
        return np.empty(0, dtype=np.int64)
    lo = max(0, int(np.searchsorted(x, x_min, "left")) - 1)
    hi = min(count, int(np.searchsorted(x, x_max, "right")) + 1)
    if hi <= lo:
        return np.empty(0, dtype=np.int64)
    pixels = max(1, int(pixels))
    if hi - lo <= 2 * pixels:
        return np.arange(lo, hi, dtype=np.int64)
    picked = native.minmax_indices(y[lo:hi], pixels) + lo
    ends = np.array([lo, hi - 1], dtype=np.int64)
    return np.union1d(picked, ends)


def series_csv(series: Sequence[PreparedSeries], x_label: str) -> str:
    """Full-resolution CSV: ``run, x, value[, smoothed]`` rows for every series."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    smoothing = any(s.smoothed is not None for s in series)
    writer.writerow(["run", x_label, "value", *(["smoothed"] if smoothing else [])])
    for item in series:
        for index in range(len(item)):
            row = [item.label, repr(float(item.x[index])), repr(float(item.y[index]))]
            if smoothing:
                row.append("" if item.smoothed is None else repr(float(item.smoothed[index])))
            writer.writerow(row)
    return buffer.getvalue()
