"""Hugging Face ``trainer_state.json``: every numeric ``log_history`` key, read incrementally.

The Trainer writes a new ``checkpoint-N/trainer_state.json`` at every save (and a top-level one
at the end); each holds the whole ``log_history`` so far. Re-parsing a 100k-entry history at
every checkpoint would cost seconds, so the reader keeps the raw bytes of the last entry it
parsed and where that entry ended relative to the ``"log_history": [`` marker. In the next file
the shared history is byte-identical (HF writes ``json.dumps(indent=2, sort_keys=True)``), so
it checks those anchor bytes at the same place and parses only:

* the head up to the marker (``{"best_metric": …, "global_step": …, "log_history": []}``),
* ``{"log_history": [<anchor entry><everything after it>`` (new entries plus trailing keys).

Anything unexpected (another layout, a shorter history after a resume) falls back to a full
parse. A file caught mid-write (truncated JSON) keeps the last good data and is retried at the
next refresh. ``NaN``/``Infinity`` tokens (Python's ``json`` writes them for a NaN grad norm)
are accepted.
"""

from __future__ import annotations

import gc
import math
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain, repeat
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np

from studio.plugins.training.readers.base import (
    Progress,
    ReadResult,
    as_float,
    parse_json_lenient,
)
from studio.plugins.training.series import ColumnBuilder

__all__ = ["TrainerStateReader", "checkpoint_dirs", "locate_trainer_state", "parse_json_lenient",
           "trainer_state_file"]

NAN = float("nan")
FILE = "trainer_state.json"
MARKER = b'"log_history": ['
HEAD_LIMIT = 1 << 20  # the keys before log_history are short scalars
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
_NOT_METRICS = frozenset({"step", "epoch"})
_PLAIN_NUMBERS = frozenset({int, float})


def checkpoint_dirs(folder: Path) -> list[tuple[int, Path]]:
    """``checkpoint-N`` subfolders as (N, path), ascending N."""
    found = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    for entry in entries:
        match = _CHECKPOINT.match(entry.name)
        if match and entry.is_dir():
            found.append((int(match.group(1)), Path(entry.path)))
    return sorted(found)


def trainer_state_file(folder: Path) -> Path | None:
    """The file hafs would read: the highest ``checkpoint-N``'s, or the top-level one if newer."""
    top = folder / FILE
    best: Path | None = None
    for _, checkpoint in reversed(checkpoint_dirs(folder)):
        if (checkpoint / FILE).is_file():
            best = checkpoint / FILE
            break
    if best is None:
        return top if top.is_file() else None
    try:
        if top.is_file() and top.stat().st_mtime_ns >= best.stat().st_mtime_ns:
            return top
    except OSError:
        pass
    return best


def locate_trainer_state(folder: Path) -> list[Path]:
    return [folder] if trainer_state_file(folder) is not None else []


@dataclass
class _Anchor:
    entry: bytes  # raw bytes of the last parsed log_history entry
    end: int  # where it ends, relative to the start of MARKER
    count: int  # entries parsed so far


class TrainerStateReader:
    """Follows the newest trainer_state.json of an HF output folder (or one given file)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._signature: tuple[str, int, int, int] | None = None
        self._anchor: _Anchor | None = None
        self._progress = Progress()
        self.bytes_read = 0
        self.full_parses = 0

    def _file(self) -> Path | None:
        return self.path if self.path.is_file() else trainer_state_file(self.path)

    def read(self) -> ReadResult:
        file = self._file()
        if file is None:
            return ReadResult()
        try:
            st = file.stat()
        except OSError:
            return ReadResult()
        signature = (str(file), st.st_mtime_ns, st.st_size, st.st_ino)
        if signature == self._signature:
            return ReadResult(last_update=st.st_mtime)
        before = self.bytes_read
        try:
            result = self._read_incremental(file) if self._anchor else None
            if result is None:
                result = self._read_full(file)
        except (ValueError, OSError) as exc:
            # Caught mid-write (or unreadable): keep the last good data, retry next refresh.
            return ReadResult(partial=True, last_update=st.st_mtime,
                              error=f"{file}: {_short(exc)}",
                              bytes_read=self.bytes_read - before)
        self._signature = signature
        result.last_update = st.st_mtime
        result.bytes_read = self.bytes_read - before
        return result

    # -- parsing ---------------------------------------------------------------------------
    def _read_full(self, file: Path) -> ReadResult:
        data = file.read_bytes()
        self.bytes_read += len(data)
        with _gc_paused():
            return self._parse_full(data)

    def _parse_full(self, data: bytes) -> ReadResult:
        document = parse_json_lenient(data)
        if not isinstance(document, dict):
            raise ValueError("not a JSON object")
        history = document.get("log_history") or []
        if not isinstance(history, list):
            raise ValueError("log_history is not a list")
        self.full_parses += 1
        self._anchor = _find_anchor(data, len(history))
        columns = ColumnBuilder()
        _columnize(history, columns)
        self._progress = _progress_of(document, history)
        return ReadResult(columns=columns.build(), reset=True, progress=self._progress)

    def _read_incremental(self, file: Path) -> ReadResult | None:
        anchor = self._anchor
        assert anchor is not None
        with open(file, "rb") as handle:
            head = b""
            while True:  # the marker is usually within the first few hundred bytes
                chunk = handle.read(1024)
                head += chunk
                marker = head.find(MARKER)
                if marker >= 0 or not chunk or len(head) >= HEAD_LIMIT:
                    break
            if marker < 0:
                return None
            start = marker + anchor.end - len(anchor.entry)
            handle.seek(start)
            if handle.read(len(anchor.entry)) != anchor.entry:
                return None  # another history (resumed from an earlier checkpoint, edited)
            rest = handle.read()
        self.bytes_read += len(head) + len(anchor.entry) + len(rest)
        head_doc = parse_json_lenient(head[:marker] + b'"log_history": []}')
        tail_doc = parse_json_lenient(b'{"log_history": [' + anchor.entry + rest)
        if not isinstance(head_doc, dict) or not isinstance(tail_doc, dict):
            return None
        new_entries = tail_doc.get("log_history")
        if not isinstance(new_entries, list) or not new_entries:
            return None
        new_entries = new_entries[1:]
        columns = ColumnBuilder()
        _columnize(new_entries, columns)
        if new_entries:
            last_entry_end = _last_entry_end(rest)
            if last_entry_end is None:
                return None
            entry_start = rest.rfind(b"{", 0, last_entry_end)
            relative = marker + anchor.end + last_entry_end
            self._anchor = _Anchor(rest[entry_start:last_entry_end], relative - marker,
                                   anchor.count + len(new_entries))
        document = {**head_doc, **{k: v for k, v in tail_doc.items() if k != "log_history"}}
        self._progress = _progress_of(document, new_entries, previous=self._progress)
        return ReadResult(columns=columns.build(), progress=self._progress)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic GC while a large fresh document is parsed and columnized: it holds no
    cycles, and collections triggered by its 100k dicts would rescan all of them repeatedly."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 200 else text[:200] + "…"


def _last_entry_end(data: bytes, start: int = 0) -> int | None:
    """Offset just past the ``}`` closing the last log_history entry (entries hold scalars
    only, so the array ends at the first ``]`` after ``start``, and its last entry at the last
    ``}`` before that)."""
    close = data.find(b"]", start)
    if close < 0:
        return None
    end = data.rfind(b"}", start, close)
    if end < 0 or data[end + 1:close].strip(b" \t\r\n,"):
        return None
    return end + 1


def _find_anchor(data: bytes, count: int) -> _Anchor | None:
    if count == 0:
        return None
    marker = data.find(MARKER)
    if marker < 0:
        return None
    absolute_end = _last_entry_end(data, marker + len(MARKER))
    if absolute_end is None:
        return None
    start = data.rfind(b"{", marker, absolute_end)
    if start < 0:
        return None
    return _Anchor(data[start:absolute_end], absolute_end - marker, count)


def _numbers(values: list[Any]) -> tuple[np.ndarray, np.ndarray | None]:
    """(float column, mask of the usable points or None when all are usable)."""
    kinds = set(map(type, values))
    if kinds <= _PLAIN_NUMBERS:
        return np.array(values, dtype=np.float64), None
    converted = [as_float(value) for value in values]
    mask = np.array([value is not None for value in converted])
    return np.array([NAN if v is None else v for v in converted], dtype=np.float64), mask


def _columnize(entries: list[Any], columns: ColumnBuilder) -> None:
    """Every numeric key of every entry, as columns.

    Entries are grouped by their key set (a Trainer writes a handful of shapes: train logs,
    eval logs, the final summary), then each key of a group becomes one NumPy column. Every
    per-entry step runs in C (``map`` over C functions, NumPy), not as Python bytecode: a
    100k-entry history has ~500k values.
    """
    if not all(map(isinstance, entries, repeat(dict))):
        entries = [entry for entry in entries if isinstance(entry, dict)]
    if not entries:
        return
    # Group by key count first (cheap), then check that a group really shares one key set
    # (dict_keys comparisons, in C); a count shared by several key sets is split exactly.
    lengths = np.fromiter(map(len, entries), dtype=np.int64, count=len(entries))
    for length in np.unique(lengths).tolist():
        order = np.flatnonzero(lengths == length)
        group = list(map(entries.__getitem__, order.tolist()))
        keys = group[0].keys()
        if all(map(keys.__eq__, map(dict.keys, group))):
            _columnize_group(tuple(keys), group, order, columns)
        else:
            _columnize_exact(group, order, columns)


def _columnize_group(keys: tuple[str, ...], group: list[dict[str, Any]], order: np.ndarray,
                     columns: ColumnBuilder) -> None:
    matrix = _plain_matrix(keys, group)
    if matrix is not None:
        nan = np.full(len(group), NAN)
        steps = matrix[:, keys.index("step")] if "step" in keys else nan
        epochs = matrix[:, keys.index("epoch")] if "epoch" in keys else nan
        for index, key in enumerate(keys):
            if key not in _NOT_METRICS:
                columns.add_arrays(key, steps, matrix[:, index], epoch=epochs, order=order)
        return
    steps = _numbers(list(map(dict.__getitem__, group, repeat("step"))))[0] \
        if "step" in keys else np.full(len(group), NAN)
    epochs = _numbers(list(map(dict.__getitem__, group, repeat("epoch"))))[0] \
        if "epoch" in keys else np.full(len(group), NAN)
    for key in keys:
        if key in _NOT_METRICS:
            continue
        values, usable = _numbers(list(map(dict.__getitem__, group, repeat(key))))
        if usable is None:
            columns.add_arrays(key, steps, values, epoch=epochs, order=order)
        elif usable.any():
            columns.add_arrays(key, steps[usable], values[usable], epoch=epochs[usable],
                               order=order[usable])


def _plain_matrix(keys: tuple[str, ...], group: list[dict[str, Any]]) -> np.ndarray | None:
    """The group as an (entries x keys) float array when every value is a plain number.

    The usual case: one C call per entry (itemgetter) and one conversion, instead of one pass
    per key. ``None``, strings (``"NaN"``) or a boolean in the first entry send the group to
    the per-key path; a boolean first seen later reads as 0/1 (HF never logs booleans).
    """
    if len(keys) < 2 or not set(map(type, group[0].values())) <= _PLAIN_NUMBERS:
        return None
    rows = map(itemgetter(*keys), group)
    try:
        flat = np.fromiter(chain.from_iterable(rows), dtype=np.float64,
                           count=len(group) * len(keys))
    except (TypeError, ValueError):
        return None
    return flat.reshape(len(group), len(keys))


def _columnize_exact(group: list[dict[str, Any]], order: np.ndarray,
                     columns: ColumnBuilder) -> None:
    exact: dict[tuple[str, ...], list[int]] = {}
    for position, entry in enumerate(group):
        exact.setdefault(tuple(entry), []).append(position)
    for keys, positions in exact.items():
        _columnize_group(keys, [group[p] for p in positions], order[positions], columns)


def _int_or_none(value: Any) -> int | None:
    number = as_float(value)
    return int(number) if number is not None and math.isfinite(number) and \
        abs(number) < 2**62 else None


def _progress_of(document: dict[str, Any], entries: list[Any],
                 previous: Progress | None = None) -> Progress:
    best_checkpoint = document.get("best_model_checkpoint")
    progress = Progress(
        global_step=_int_or_none(document.get("global_step")),
        max_steps=_int_or_none(document.get("max_steps")) or None,
        epoch=as_float(document.get("epoch")),
        num_train_epochs=as_float(document.get("num_train_epochs")),
        best_metric=as_float(document.get("best_metric")),
        best_model_checkpoint=best_checkpoint if isinstance(best_checkpoint, str) else None,
    )
    if progress.global_step is None:
        steps = [as_float(e.get("step")) for e in entries if isinstance(e, dict)]
        steps = [s for s in steps if s is not None]
        if steps:
            progress = Progress(global_step=int(max(steps)))
    return progress if previous is None else previous.merged(progress)
