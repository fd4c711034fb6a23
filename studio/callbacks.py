"""Live training metrics for HAFS Studio: a Hugging Face callback and a plain writer.

The Trainer updates ``trainer_state.json`` only when it saves a checkpoint. Add
:class:`StudioCallback` and the studio sees every logging step as it happens::

    from studio.callbacks import StudioCallback
    trainer = Trainer(..., callbacks=[StudioCallback()])

Other training loops use :class:`MetricsWriter`::

    from studio.callbacks import MetricsWriter
    with MetricsWriter("runs/my-run", max_steps=1000) as metrics:
        for step in range(1, 1001):
            loss = train_step()
            metrics.log(step, {"loss": loss, "learning_rate": lr})

Both append to ``<output dir>/studio_metrics.jsonl`` in the format documented in
``docs/training-metrics.md``. This module needs only the Python standard library (no
``transformers``, no ``numpy``, nothing else from the studio), so it can be copied next to a
training script on a machine without HAFS Studio.
"""

from __future__ import annotations

import json
import math
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["METRICS_FILE", "SCHEMA_VERSION", "MetricsWriter", "StudioCallback"]

METRICS_FILE = "studio_metrics.jsonl"
SCHEMA_VERSION = 1


def _number(value: Any) -> float | int | str | None:
    """A metric value as JSON: numbers as is, non-finite floats as strings, others dropped."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        number = float(value)  # numpy scalars, 0-d tensors with __float__
    except (TypeError, ValueError):
        return None
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return number


class MetricsWriter:
    """Appends metric events to a JSONL file, one complete line per ``write`` call.

    ``path`` is the output folder (the file is ``studio_metrics.jsonl`` in it) or a ``.jsonl``
    file. Lines are flushed at once so a watcher sees each step within its poll interval.
    Thread-safe. As a context manager it writes the ``start`` event on entry and an ``end``
    event on exit: ``completed``, or ``failed`` with the exception's message.
    """

    def __init__(self, path: str | os.PathLike[str], *, run_name: str | None = None,
                 max_steps: int | None = None, num_train_epochs: float | None = None) -> None:
        target = Path(path)
        self.path = target if target.suffix == ".jsonl" else target / METRICS_FILE
        self.run_name = run_name or self.path.parent.name
        self.max_steps = max_steps
        self.num_train_epochs = num_train_epochs
        self._lock = threading.Lock()
        self._handle: Any = None
        self._last_step: int | None = None

    # -- events ----------------------------------------------------------------------------
    def start(self, max_steps: int | None = None, num_train_epochs: float | None = None,
              **extra: Any) -> None:
        if max_steps is not None:
            self.max_steps = max_steps
        if num_train_epochs is not None:
            self.num_train_epochs = num_train_epochs
        self._write({"event": "start", "schema": SCHEMA_VERSION, "run": self.run_name,
                     "max_steps": self.max_steps, "num_train_epochs": self.num_train_epochs,
                     "pid": os.getpid(), "host": socket.gethostname(),
                     "argv": list(sys.argv), **extra})

    def log(self, step: int, metrics: Mapping[str, Any], epoch: float | None = None,
            max_steps: int | None = None) -> None:
        values = {str(k): v for k, v in ((k, _number(v)) for k, v in metrics.items())
                  if v is not None}
        record: dict[str, Any] = {"event": "log", "step": int(step), "metrics": values}
        if epoch is not None:
            record["epoch"] = float(epoch)
        if max_steps is not None and max_steps != self.max_steps:
            self.max_steps = record["max_steps"] = int(max_steps)
        self._last_step = int(step)
        self._write(record)

    def save(self, step: int, checkpoint: str) -> None:
        self._write({"event": "save", "step": int(step), "checkpoint": checkpoint})

    def end(self, status: str = "completed", error: str | None = None,
            step: int | None = None) -> None:
        record: dict[str, Any] = {"event": "end", "status": status,
                                  "step": self._last_step if step is None else int(step)}
        if error:
            record["error"] = error
        self._write(record)
        self.close()

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._handle.close()
                self._handle = None

    def __enter__(self) -> MetricsWriter:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: Any) -> None:
        if kind is None:
            self.end("completed")
        elif issubclass(kind, KeyboardInterrupt):
            self.end("stopped", "interrupted")
        else:
            self.end("failed", f"{kind.__name__}: {exc}")

    def _write(self, record: dict[str, Any]) -> None:
        record = {"time": round(time.time(), 6), **record}
        line = json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n"
        with self._lock:
            if self._handle is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._handle = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
            self._handle.write(line)
            self._handle.flush()


class StudioCallback:
    """A Hugging Face ``TrainerCallback`` that streams every log to ``studio_metrics.jsonl``.

    It does not import ``transformers``: the Trainer calls callbacks by method name, and this
    class has every ``on_*`` method (unknown future events are no-ops too). Only the main
    process (``state.is_world_process_zero``) writes. ``output_dir`` defaults to the
    Trainer's ``args.output_dir``.

    The Trainer tells callbacks nothing when training raises; wrap the call to record a
    failure::

        callback = StudioCallback()
        with callback.guard():
            trainer.train()
    """

    def __init__(self, output_dir: str | os.PathLike[str] | None = None,
                 run_name: str | None = None) -> None:
        self.output_dir = output_dir
        self.run_name = run_name
        self.writer: MetricsWriter | None = None

    def _writer(self, args: Any, state: Any) -> MetricsWriter | None:
        if not getattr(state, "is_world_process_zero", True):
            return None
        if self.writer is None:
            folder = self.output_dir or getattr(args, "output_dir", None) or "."
            self.writer = MetricsWriter(folder, run_name=self.run_name
                                        or getattr(args, "run_name", None))
        return self.writer

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        writer = self._writer(args, state)
        if writer is not None:
            writer.start(max_steps=getattr(state, "max_steps", None) or None,
                         num_train_epochs=getattr(args, "num_train_epochs", None))

    def on_log(self, args: Any, state: Any, control: Any, logs: Mapping[str, Any] | None = None,
               **kwargs: Any) -> None:
        writer = self._writer(args, state)
        if writer is not None and logs:
            metrics = {k: v for k, v in logs.items() if k not in ("epoch", "step")}
            writer.log(getattr(state, "global_step", 0), metrics,
                       epoch=getattr(state, "epoch", None),
                       max_steps=getattr(state, "max_steps", None) or None)

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        writer = self._writer(args, state)
        if writer is not None:
            step = getattr(state, "global_step", 0)
            writer.save(step, f"checkpoint-{step}")

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        writer = self._writer(args, state)
        if writer is not None:
            writer.end("completed", step=getattr(state, "global_step", None))

    @contextmanager
    def guard(self) -> Iterator[StudioCallback]:
        """Record ``failed`` (with the error) if the wrapped training raises."""
        try:
            yield self
        except BaseException as exc:
            if self.writer is not None:
                status = "stopped" if isinstance(exc, KeyboardInterrupt) else "failed"
                self.writer.end(status, f"{type(exc).__name__}: {exc}")
            raise

    def __getattr__(self, name: str) -> Any:
        # Every other Trainer event (on_step_end, on_evaluate, events added in later
        # transformers versions) is accepted and ignored.
        if name.startswith("on_"):
            return _ignore
        raise AttributeError(name)


def _ignore(*args: Any, **kwargs: Any) -> None:
    return None
