"""One followed training run: its readers, merged metrics and progress, and its summary.

:class:`TrainingRun` owns a reader per source found in the run (the newest trainer_state.json,
the JSONL stream, logs, TensorBoard files, metrics.csv, campaign status files). ``refresh()``
asks each reader for what is new (only appended bytes are read) and merges:

* metrics: per metric name, the source with the lowest reader priority wins (the JSONL stream
  has every logging step; trainer_state.json only what was saved; a log only what it printed);
* progress: the most advanced source's facts over the others';
* outcome: the newest failed/completed hint; a later "running" hint (progress after a logged
  traceback, a new ``start`` event) clears it.

:meth:`summary` turns that into the immutable :class:`RunSummary` the panel, the cards and the
CLI show.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from studio.plugins.training.campaign import CampaignStatusReader, campaign_pid
from studio.plugins.training.discovery import RunSource
from studio.plugins.training.present import iso_time
from studio.plugins.training.readers import LOG_READER
from studio.plugins.training.readers.base import (
    MetricReader,
    MetricReaderRegistry,
    Progress,
    StatusHint,
)
from studio.plugins.training.readers.jsonl import MetricsStreamReader
from studio.plugins.training.series import MetricStore, SeriesView, finite_or_none
from studio.plugins.training.status import (
    RateEstimator,
    RunStatus,
    decide_status,
    eta_seconds,
)

__all__ = ["LOSS_NAMES", "RunSummary", "TrainingRun", "iso_time"]

LOSS_NAMES = ("loss", "train/loss", "train_loss", "train_loss_step", "train_loss_epoch",
              "eval_loss", "eval/loss", "val_loss")
CAMPAIGN_PRIORITY = 15
ATTACH_EVERY_S = 2.0  # how often a run looks for new source files (reads happen every refresh)


@dataclass(frozen=True)
class RunSummary:
    """What the runs list, the dashboard and ``training status`` show for one run."""

    id: str
    name: str
    kind: str
    origin: str
    status: RunStatus
    status_reason: str = ""
    folder: str | None = None
    log_file: str | None = None
    global_step: int | None = None
    max_steps: int | None = None
    epoch: float | None = None
    num_train_epochs: float | None = None
    eta_seconds: float | None = None
    last_update: float | None = None
    loss: float | None = None
    loss_name: str | None = None
    best_loss: float | None = None
    best_loss_step: float | None = None
    best_metric: float | None = None
    best_model_checkpoint: str | None = None
    metrics: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    pid: int | None = None
    version: int = 0

    @property
    def fraction(self) -> float | None:
        if not self.max_steps or self.global_step is None:
            return None
        return max(0.0, min(1.0, self.global_step / self.max_steps))

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "kind": self.kind, "source": self.origin,
            "status": self.status.value, "status_reason": self.status_reason,
            "folder": self.folder, "log_file": self.log_file,
            "global_step": self.global_step, "max_steps": self.max_steps,
            "progress_percent": None if self.fraction is None else round(self.fraction * 100, 2),
            "epoch": finite_or_none(self.epoch),
            "num_train_epochs": finite_or_none(self.num_train_epochs),
            "eta_seconds": None if self.eta_seconds is None else round(self.eta_seconds, 1),
            "last_update": iso_time(self.last_update),
            "loss": finite_or_none(self.loss), "loss_name": self.loss_name,
            "best_loss": finite_or_none(self.best_loss), "best_loss_step": self.best_loss_step,
            "best_metric": finite_or_none(self.best_metric),
            "best_model_checkpoint": self.best_model_checkpoint,
            "metrics": list(self.metrics), "errors": list(self.errors), "pid": self.pid,
        }


@dataclass
class _Source:
    spec_id: str
    priority: int
    reader: MetricReader
    store: MetricStore = field(default_factory=MetricStore)
    progress: Progress = field(default_factory=Progress)
    last_update: float | None = None
    error: str | None = None


class TrainingRun:
    """Readers and merged state of one run. ``refresh()`` runs on a worker thread."""

    def __init__(self, source: RunSource, registry: MetricReaderRegistry,
                 clock: Callable[[], float] = time.time) -> None:
        self.source = source
        self.registry = registry
        self.clock = clock
        self._sources: dict[str, _Source] = {}
        self._lock = threading.RLock()
        self.outcome: StatusHint | None = None
        self.progress = Progress()
        self.last_update: float | None = None
        self.rate = RateEstimator()
        self._rate_clock: str | None = None
        self.version = 0
        self.sync_error: str | None = None  # a remote run's copies could not be brought up to date
        self._attached_at = -1e18
        self._attach()

    # -- readers ---------------------------------------------------------------------------
    def _attach(self) -> None:
        folder = self.source.folder
        if folder is not None and folder.is_dir():
            for spec in self.registry.specs():
                try:
                    targets = spec.locate(folder)
                except OSError:
                    continue
                for target in targets:
                    self._add(f"{spec.id}:{target}", spec.priority,
                              lambda t=target, s=spec: s.open(t))
        for log in self.source.log_files:
            spec = self.registry.get(LOG_READER)
            self._add(f"{spec.id}:{log}", spec.priority, lambda log=log, s=spec: s.open(log))
        if self.source.campaign is not None:
            self._add("training.campaign", CAMPAIGN_PRIORITY,
                      lambda: CampaignStatusReader(self.source.campaign))

    def _add(self, key: str, priority: int, factory: Callable[[], MetricReader]) -> None:
        if key not in self._sources:
            self.add_reader(key, priority, factory())

    def add_reader(self, key: str, priority: int, reader: MetricReader) -> None:
        """Follow one more source (``key`` = "<reader id>:<target>"; lower priority wins)."""
        with self._lock:
            self._sources[key] = _Source(key.split(":", 1)[0], priority, reader)

    def refresh(self, *, attach: bool = False) -> bool:
        """Read what is new from every source; return True if anything changed.

        New source files are looked for every ``ATTACH_EVERY_S`` (or now with ``attach``).
        """
        with self._lock:
            now = self.clock()
            if attach or now - self._attached_at >= ATTACH_EVERY_S:
                self._attach()  # files that appeared since (a new stream, a first checkpoint)
                self._attached_at = now
            changed = False
            for source in sorted(self._sources.values(), key=lambda s: s.priority):
                try:
                    result = source.reader.read()
                except Exception as exc:  # a reader bug must not stop the other sources
                    source.error = f"{source.reader.path}: {type(exc).__name__}: {exc}"
                    continue
                source.error = result.error
                if result.reset:
                    source.store.clear()
                    changed = True
                if result.columns and source.store.add_batches(result.columns):
                    changed = True
                if result.progress is not None and result.progress != source.progress:
                    source.progress = result.progress
                    changed = True
                if result.last_update is not None and result.last_update != source.last_update:
                    source.last_update = result.last_update
                    changed = True
                for hint in result.hints:
                    changed = True
                    self.outcome = None if hint.state == "running" else hint
            if changed:
                self._merge(now)
                self.version += 1
            return changed

    def _merge(self, now: float) -> None:
        ordered = sorted(self._sources.values(),
                         key=lambda s: (s.progress.global_step or -1, -s.priority))
        merged = Progress()
        for source in ordered:
            merged = merged.merged(source.progress)
        self.progress = merged
        updates = [s.last_update for s in self._sources.values() if s.last_update is not None]
        self.last_update = max(updates) if updates else None
        if merged.global_step is not None:
            clock = "data" if merged.observed_at is not None else "local"
            if clock != self._rate_clock:
                self.rate.reset()
                self._rate_clock = clock
            if len(self.rate._samples) < 2:
                self._seed_rate()
            at = merged.observed_at if merged.observed_at is not None else now
            self.rate.add(at, merged.global_step)

    def _seed_rate(self) -> None:
        """Prime the rate from a series with wall times (a stream read for the first time)."""
        best: SeriesView | None = None
        for name in self.metric_names():
            view = self.series(name)
            if view is not None and np.isfinite(view.wall[-64:]).all() and \
                    (best is None or len(view) > len(best)):
                best = view
        if best is None or len(best) < 2:
            return
        if self._rate_clock != "data":
            self.rate.reset()
            self._rate_clock = "data"
        for wall, step in zip(best.wall[-64:], best.step[-64:], strict=True):
            self.rate.add(float(wall), float(step))

    # -- metrics ---------------------------------------------------------------------------
    def metric_names(self) -> list[str]:
        names: set[str] = set()
        for source in list(self._sources.values()):
            names.update(source.store.names())
        return sorted(names)

    def series(self, name: str) -> SeriesView | None:
        """The metric from the best source that has it (lowest priority)."""
        for source in sorted(self._sources.values(), key=lambda s: s.priority):
            view = source.store.view(name)
            if view is not None and len(view):
                return view
        return None

    def bytes_read(self) -> int:
        return sum(getattr(s.reader, "bytes_read", 0) for s in self._sources.values())

    def pid(self) -> int | None:
        for source in self._sources.values():
            if isinstance(source.reader, MetricsStreamReader) and source.reader.pid:
                return source.reader.pid
        if self.source.campaign is not None:
            return campaign_pid(self.source.campaign)
        return None

    # -- summary ---------------------------------------------------------------------------
    def summary(self, stall_after_s: float, now: float | None = None) -> RunSummary:
        with self._lock:
            now = self.clock() if now is None else now
            progress = self.progress
            decision = decide_status(progress=progress, hint=self.outcome,
                                     last_update=self.last_update, now=now,
                                     stall_after_s=stall_after_s)
            eta = eta_seconds(progress, self.rate.rate(), status=decision.status,
                              last_update=self.last_update, now=now)
            loss_name, loss, best, best_step = self._loss()
            errors = tuple(s.error for s in self._sources.values() if s.error)
            if self.sync_error:
                errors = (self.sync_error, *errors)
            logs = self.source.log_files
            return RunSummary(
                id=self.source.id, name=self.source.name, kind=self.source.kind,
                origin=self.source.origin, status=decision.status,
                status_reason=decision.reason,
                folder=str(self.source.folder) if self.source.folder else None,
                log_file=str(logs[0]) if logs else self._own_log(),
                global_step=progress.global_step, max_steps=progress.max_steps,
                epoch=progress.epoch, num_train_epochs=progress.num_train_epochs,
                eta_seconds=eta, last_update=self.last_update, loss=loss, loss_name=loss_name,
                best_loss=best, best_loss_step=best_step, best_metric=progress.best_metric,
                best_model_checkpoint=progress.best_model_checkpoint,
                metrics=tuple(self.metric_names()), errors=errors, pid=self.pid(),
                version=self.version)

    def _own_log(self) -> str | None:
        for source in self._sources.values():
            if source.spec_id == LOG_READER:
                return str(source.reader.path)
        return None

    def _loss(self) -> tuple[str | None, float | None, float | None, float | None]:
        for name in LOSS_NAMES:
            view = self.series(name)
            if view is None or not len(view):
                continue
            finite = np.flatnonzero(np.isfinite(view.value))
            if not finite.size:
                return name, math.nan, None, None
            best_index = int(finite[np.argmin(view.value[finite])])
            return (name, float(view.value[-1]), float(view.value[best_index]),
                    float(view.step[best_index]))
        return None, None, None, None


def folder_of(summary: RunSummary) -> Path | None:
    return Path(summary.folder) if summary.folder else None
