"""Training logs: tqdm progress, Hugging Face dict lines, hafs campaign lines, tracebacks.

A log is split on ``\\n`` *and* ``\\r``: tqdm redraws its bar with carriage returns, so one
"line" of a hafs fine-tune log holds hundreds of refreshes. Each segment is scanned for:

* tqdm bars ``40%|████      | 100/252 [01:45<02:30, 1.02it/s]`` → step, total, ETA, rate. The
  bar with the largest total is the training bar (evaluation bars are shorter).
* HF dict lines ``{'loss': 1.23, 'learning_rate': 2e-05, 'epoch': 0.4}`` (values may be
  quoted strings or ``nan``) → metrics at the current step; the final summary dict with
  ``train_runtime`` means the run completed.
* hafs campaign lines (hafs-formats §2.C): ``Progress: n/m``, ``Target: N samples``, the
  ``Starting curation`` start time, ``Generating from domain:`` and pass rates.
* ``Traceback (most recent call last):`` → a failed hint with the exception line, cleared if
  progress continues afterwards (a caught and logged exception).
"""

from __future__ import annotations

import math
import os
import re
from datetime import datetime
from pathlib import Path

from studio.plugins.training.readers.base import Progress, ReadResult, StatusHint, as_float
from studio.plugins.training.readers.tail import RecordReader
from studio.plugins.training.series import ColumnBuilder

__all__ = ["LogParser", "LogReader", "locate_logs", "parse_interval"]

NAN = float("nan")
_INTERVAL = r"(?:\d+d,?\s*)?\d+(?::\d\d){1,2}"
_TQDM = re.compile(
    r"(\d+)%\|[^|]*\|\s*(\d+)/(\d+)\s*\[(" + _INTERVAL + r")<(" + _INTERVAL + r"|\?)"
    r"(?:,\s*([\d.]+|\?)\s*(s/it|it/s))?")
_DICT = re.compile(r"\{'[A-Za-z_][\w./-]*':[^{}]*\}")
_DICT_ITEM = re.compile(r"'([A-Za-z_][\w./-]*)':\s*(?:'([^']*)'|([-+]?[\w.+-]+))")
_STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(?:[,.](\d+))?")
_PROGRESS = re.compile(r"Progress:\s*(\d+)\s*/\s*(\d+)")
_TARGET = re.compile(r"Target:\s*(\d+)\s*samples")
_DOMAIN = re.compile(r"Generating from domain:\s*(.+?)\s*$")
_PASS_RATE = re.compile(r"(?i)(?:quality|acceptance|pass rate)[^%]*?(\d+(?:\.\d+)?)%")
_STARTED = re.compile(r"Training started at:\s*(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})")
_TRACEBACK = "Traceback (most recent call last):"


def parse_interval(text: str) -> float | None:
    """tqdm's ``[D d, ][H:]MM:SS`` as seconds; None for ``?``."""
    text = text.strip()
    if not text or text == "?":
        return None
    days = 0
    if "d" in text:
        head, _, text = text.partition("d")
        days = int(head)
        text = text.lstrip(", ")
    seconds = 0
    for part in text.split(":"):
        seconds = seconds * 60 + int(part)
    return days * 86400 + seconds


def _stamp_seconds(text: str, fraction: str | None = None) -> float | None:
    try:
        stamp = datetime.strptime(text, "%Y-%m-%d %H:%M:%S").timestamp()
    except ValueError:
        return None
    if fraction:
        stamp += float("0." + fraction)
    return stamp


class LogParser:
    """Stateful parser of log segments (feed them in order)."""

    def __init__(self) -> None:
        self.step: int | None = None
        self.total: int | None = None
        self.progress = Progress()
        self.hints: list[StatusHint] = []
        self.started_at: float | None = None
        self.domain: str | None = None
        self.target: int | None = None
        self.last_stamp: float | None = None
        self._in_traceback = False
        self._failed = False
        self._dict_lines = 0

    def feed(self, segment: str, columns: ColumnBuilder) -> None:
        stamp_match = _STAMP.match(segment)
        if stamp_match:
            self.last_stamp = _stamp_seconds(stamp_match.group(1), stamp_match.group(2))
        if self._in_traceback:
            if segment[:1] not in (" ", "\t") and segment.strip():
                self._in_traceback = False
                self.hints.append(StatusHint("failed", segment.strip()[:500], self.last_stamp))
            return
        if _TRACEBACK in segment:
            self._in_traceback = self._failed = True
            return
        for match in _TQDM.finditer(segment):
            self._tqdm(match)
        for match in _DICT.finditer(segment):
            self._hf_dict(match.group(0), columns)
        if "Progress:" in segment or "Target:" in segment or "Starting curation" in segment \
                or "Generating from domain:" in segment or "%" in segment:
            self._campaign(segment, columns)
        started = _STARTED.search(segment)
        if started:
            self.started_at = _stamp_seconds(started.group(1))

    def _advance(self, step: int, total: int | None, **extra: float | None) -> None:
        moved = self.step is None or step > self.step
        self.step, self.total = step, total or self.total
        self.progress = self.progress.merged(Progress(global_step=step, max_steps=self.total,
                                                      **extra))
        if moved and self._failed:
            self._failed = False  # progress after a traceback: it was caught and logged
            self.hints.append(StatusHint("running", "progress after a logged traceback"))

    def _tqdm(self, match: re.Match[str]) -> None:
        step, total = int(match.group(2)), int(match.group(3))
        if self.total is not None and total < self.total:
            return  # an evaluation bar inside a training run
        remaining = parse_interval(match.group(5))
        rate_text, unit = match.group(6), match.group(7)
        rate = None
        if rate_text and rate_text != "?":
            value = float(rate_text)
            rate = value if unit == "it/s" else (1.0 / value if value else None)
        self._advance(step, total, eta_seconds=remaining if step < total else 0.0, rate=rate)

    def _hf_dict(self, text: str, columns: ColumnBuilder) -> None:
        items = {}
        for match in _DICT_ITEM.finditer(text):
            value = as_float(match.group(2) if match.group(2) is not None else match.group(3))
            if value is not None:
                items[match.group(1)] = value
        if not items:
            return
        self._dict_lines += 1
        epoch = items.pop("epoch", NAN)
        step = items.pop("step", None)
        if step is None:
            step = float(self.step) if self.step is not None else float(self._dict_lines)
        for name, value in items.items():
            columns.add(name, step, value, self.last_stamp if self.last_stamp else NAN, epoch)
        if not math.isnan(epoch):
            self.progress = self.progress.merged(Progress(epoch=epoch))
        if "train_runtime" in items:
            self.hints.append(StatusHint("completed", "training finished", self.last_stamp))

    def _campaign(self, segment: str, columns: ColumnBuilder) -> None:
        target = _TARGET.search(segment)
        if target:
            self.target = int(target.group(1))
        if "Starting curation" in segment and self.started_at is None:
            self.started_at = self.last_stamp
        domain = _DOMAIN.search(segment)
        if domain:
            self.domain = domain.group(1)
        progress = _PROGRESS.search(segment)
        if progress:
            done, total = int(progress.group(1)), int(progress.group(2))
            self._advance(done, total, observed_at=self.last_stamp)
            columns.add("samples", float(done), float(done),
                        self.last_stamp if self.last_stamp else NAN)
            return
        rate = _PASS_RATE.search(segment)
        if rate and ("quality" in segment.lower() or "acceptance" in segment.lower()
                     or "pass rate" in segment.lower()):
            columns.add("quality_pass_rate", float(self.step or 0), float(rate.group(1)) / 100,
                        self.last_stamp if self.last_stamp else NAN)


def locate_logs(folder: Path) -> list[Path]:
    """Log files directly in a run folder, ``train*.log`` first (not ``.err.log``)."""
    try:
        found = [path for path in folder.glob("*.log")
                 if path.is_file() and not path.name.endswith(".err.log")]
    except OSError:
        return []
    return sorted(found, key=lambda path: (not path.name.startswith("train"), path.name))


class LogReader(RecordReader):
    """Follows one log file; tolerant of binary junk and any encoding (decoded as UTF-8)."""

    separators = b"\n\r"  # tqdm redraws its bar with carriage returns

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path)
        self.parser = LogParser()

    def restart(self) -> None:
        self.parser = LogParser()

    def parse(self, records: list[bytes], columns: ColumnBuilder, result: ReadResult) -> None:
        parser = self.parser
        for segment in records:
            parser.feed(segment.decode("utf-8", "replace"), columns)
        if self._pending and b"]" in self._pending:
            # The newest tqdm refresh has no terminator until the next one: use it now
            # (progress is idempotent), and keep it to parse again when it is complete.
            for match in _TQDM.finditer(self._pending.decode("utf-8", "replace")):
                parser._tqdm(match)
        result.progress = parser.progress
        result.hints, parser.hints = parser.hints, []
