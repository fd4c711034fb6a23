"""What every metric reader returns, and the per-studio table of reader kinds.

A reader follows one source of one run (a trainer_state.json, a JSONL stream, a log file, a
metrics.csv, TensorBoard event files). :meth:`MetricReader.read` parses only what changed
since the last call and returns a :class:`ReadResult`: new points, the newest progress facts,
status hints (failed, finished) and the source's own last-update time.

Reader *kinds* are :class:`MetricReaderSpec` rows, registered through the plugin-owned hook
``studio_register_metric_readers`` (see ``hookspecs.py``; the Training plugin registers the
built-ins the same way). Each studio's monitor reads them through a
:class:`MetricReaderRegistry` over that hook's live table (no module-level table).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from studio.api import ContributionTable

if TYPE_CHECKING:
    from studio.plugins.training.series import ColumnBatch

__all__ = [
    "MetricReader",
    "MetricReaderRegistry",
    "MetricReaderSpec",
    "Progress",
    "ReadResult",
    "StatusHint",
    "as_float",
    "parse_json_lenient",
]


@dataclass(frozen=True, slots=True)
class Progress:
    """Progress facts a source knows; None where it does not say."""

    global_step: int | None = None
    max_steps: int | None = None
    epoch: float | None = None
    num_train_epochs: float | None = None
    best_metric: float | None = None
    best_model_checkpoint: str | None = None
    eta_seconds: float | None = None  # the source's own estimate (tqdm's remaining time)
    rate: float | None = None  # steps per second, as the source reports it
    observed_at: float | None = None  # unix time the source says this was true (log stamp)

    def merged(self, newer: Progress) -> Progress:
        """``newer``'s known fields over ours."""
        values = {name: getattr(newer, name) for name in self.__slots__
                  if getattr(newer, name) is not None}
        return replace(self, **values)


@dataclass(frozen=True, slots=True)
class StatusHint:
    """Something a source says about the run's outcome."""

    state: str  # "failed", "completed", "running"
    message: str = ""
    at: float | None = None


@dataclass(slots=True)
class ReadResult:
    columns: dict[str, ColumnBatch] = field(default_factory=dict)  # new points per metric
    reset: bool = False  # forget every point this reader gave before (file replaced)
    progress: Progress | None = None
    hints: list[StatusHint] = field(default_factory=list)
    last_update: float | None = None  # mtime of the source (unix seconds, the server's clock)
    partial: bool = False  # caught mid-write: the last good data stays
    error: str | None = None  # unreadable; names the file
    bytes_read: int = 0


class MetricReader(Protocol):
    """One followed source. ``read()`` is called from a worker thread, never concurrently."""

    path: Path

    def read(self) -> ReadResult: ...


@dataclass(frozen=True)
class MetricReaderSpec:
    """A kind of source: where it is found in a run folder and how to open it.

    ``locate(folder)`` lists the targets in a run folder (files, or the folder itself for
    formats spread over several files); ``open(target)`` returns a reader. When two sources
    of one run carry a metric of the same name, the one with the lower ``priority`` wins.
    """

    id: str
    title: str
    locate: Callable[[Path], list[Path]]
    open: Callable[[Path], MetricReader]
    priority: int = 50
    plugin: str = ""


class MetricReaderRegistry:
    """The reader kinds one monitor uses, sorted by priority.

    In a studio it reads the live table of the ``studio_register_metric_readers`` hook (the
    built-ins are registered through it too, by the Training plugin): a kind added by a plugin
    enabled later appears, and one whose plugin is torn down goes (``subscribe``). A standalone
    monitor (tests, benchmarks) is given a fixed list.
    """

    def __init__(self, source: Iterable[MetricReaderSpec] | ContributionTable[Any] = ()) -> None:
        self._table: ContributionTable[Any] | None = None
        self._fixed: dict[str, MetricReaderSpec] = {}
        if isinstance(source, ContributionTable):
            self._table = source
            return
        for spec in source:
            if not isinstance(spec, MetricReaderSpec):
                raise TypeError(f"expected a MetricReaderSpec, got {type(spec).__name__}")
            if spec.id in self._fixed:
                raise ValueError(f"metric reader {spec.id!r} is listed twice")
            self._fixed[spec.id] = spec

    def specs(self) -> list[MetricReaderSpec]:
        found = self._table.items() if self._table is not None else list(self._fixed.values())
        return sorted(found, key=lambda spec: (spec.priority, spec.id))

    def ids(self) -> set[str]:
        return {spec.id for spec in self.specs()}

    def get(self, reader_id: str) -> MetricReaderSpec:
        for spec in self.specs():
            if spec.id == reader_id:
                return spec
        raise KeyError(f"no metric reader {reader_id!r}")

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        """``callback()`` after a kind was added or removed; returns the unsubscribe function."""
        if self._table is None:
            return lambda: None
        return self._table.subscribe(callback)


def as_float(value: object) -> float | None:
    """A JSON value as a float: numbers, and the strings writers use for non-finite values.

    Booleans are not numbers here (``"is_world_process_zero": true`` is no metric).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in {"nan", "+nan", "-nan"}:
            return math.nan
        if text in {"inf", "+inf", "infinity", "+infinity"}:
            return math.inf
        if text in {"-inf", "-infinity"}:
            return -math.inf
        try:
            return float(text)
        except ValueError:
            return None
    return None


def parse_json_lenient(data: bytes) -> Any:
    """orjson (fast), falling back to ``json`` for NaN/Infinity tokens."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)
