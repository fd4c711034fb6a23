"""What every metric reader returns, and the per-studio table of reader kinds.

A reader follows one source of one run (a trainer_state.json, a JSONL stream, a log file, a
metrics.csv, TensorBoard event files). :meth:`MetricReader.read` parses only what changed
since the last call and returns a :class:`ReadResult`: new points, the newest progress facts,
status hints (failed, finished) and the source's own last-update time.

Reader *kinds* are :class:`MetricReaderSpec` rows in a :class:`MetricReaderRegistry`. Each
studio's training monitor owns one registry (no module-level table): the built-in kinds are
added by :func:`builtin_registry`, other plugins add theirs through the plugin-owned hook
``studio_register_metric_readers`` (see ``hookspecs.py``).
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import orjson

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
    """The reader kinds of one studio (built-ins plus what plugins registered)."""

    def __init__(self, specs: Iterable[MetricReaderSpec] = ()) -> None:
        self._specs: dict[str, MetricReaderSpec] = {}
        self._lock = threading.Lock()
        for spec in specs:
            self.register(spec)

    def register(self, spec: MetricReaderSpec) -> None:
        if not isinstance(spec, MetricReaderSpec):
            raise TypeError(f"expected a MetricReaderSpec, got {type(spec).__name__}")
        with self._lock:
            if spec.id in self._specs:
                raise ValueError(f"metric reader {spec.id!r} is already registered by "
                                 f"plugin {self._specs[spec.id].plugin or 'training'!r}")
            self._specs[spec.id] = spec

    def unregister_plugin(self, plugin: str) -> None:
        with self._lock:
            for key in [k for k, spec in self._specs.items() if spec.plugin == plugin]:
                del self._specs[key]

    def get(self, reader_id: str) -> MetricReaderSpec:
        with self._lock:
            try:
                return self._specs[reader_id]
            except KeyError:
                raise KeyError(f"no metric reader {reader_id!r}") from None

    def specs(self) -> list[MetricReaderSpec]:
        with self._lock:
            return sorted(self._specs.values(), key=lambda spec: (spec.priority, spec.id))


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
