"""Read a hafs dataset folder (hafs-formats §2.A) or any JSONL file, in one streaming pass.

A hafs dataset folder ``TRN/datasets/<name>_<YYYYMMDD_HHMMSS>/`` holds ``train.jsonl``,
``val.jsonl``, ``test.jsonl``, ``rejected.jsonl`` and the summaries ``stats.json``,
``metadata.json`` and ``rejection_summary.json``. Every part may be missing or damaged: each
file gets a status (found / ok / error with the reason), and what can be read is read.

:func:`read_dataset` keeps the Samples (the panel); :func:`scan_dataset` only counts (the
``data stats`` CLI over millions of lines). Both use the same reader and the same
:class:`DatasetCounts`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from studio.api import NULL_CONTEXT, JobContext
from studio.plugins.data.jsonl import BlockHandler, FileReport, scan_jsonl
from studio.plugins.data.progress import ProgressWindow
from studio.plugins.data.records import DEFAULT_MAPPING, SPLITS, FieldMapping, Sample
from studio.plugins.data.samples import DatasetCounts, SampleBuilder

__all__ = [
    "MANUALLY_ACCEPTED",
    "SUMMARY_FILES",
    "Dataset",
    "DatasetError",
    "JsonFileStatus",
    "dataset_files",
    "file_state",
    "read_dataset",
    "read_json_file",
    "scan_dataset",
]

SUMMARY_FILES = ("metadata.json", "stats.json", "rejection_summary.json")
MANUALLY_ACCEPTED = "manually_accepted.jsonl"


class DatasetError(Exception):
    """The path is neither a dataset folder nor a JSONL file (the message says which)."""


@dataclass
class JsonFileStatus:
    """found / ok / error of one JSON file, like hafs's data-integrity audit (§3)."""

    path: Path
    found: bool = False
    ok: bool = False
    error: str = ""
    data: Any = None

    @property
    def state(self) -> str:
        return file_state(self.found, self.ok)

    def as_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "state": self.state, "error": self.error}


def file_state(found: bool, ok: bool) -> str:
    """The audit's word for a file: "not found", "ok" or "error"."""
    if not found:
        return "not found"
    return "ok" if ok else "error"


def read_json_file(path: Path, expect: type = dict) -> JsonFileStatus:
    """Read a JSON file leniently: missing, empty, half-written and wrong-shape are statuses."""
    status = JsonFileStatus(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return status
    except OSError as exc:
        status.found = True
        status.error = f"cannot read: {exc.strerror or exc}"
        return status
    status.found = True
    if not data.strip():
        status.error = "empty file (hafs may be writing it)"
        return status
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        status.error = f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        return status
    if not isinstance(value, expect):
        status.error = f"expected a JSON {'object' if expect is dict else 'array'}, " \
                       f"got {type(value).__name__}"
        return status
    status.ok, status.data = True, value
    return status


@dataclass
class Dataset:
    """A loaded dataset: samples, counts, and the status of every file it consists of."""

    path: Path
    name: str
    kind: str  # "hafs" (a dataset folder) or "jsonl" (one file)
    mapping: FieldMapping = DEFAULT_MAPPING
    samples: list[Sample] = field(default_factory=list)
    counts: DatasetCounts = field(default_factory=DatasetCounts)
    files: dict[str, FileReport] = field(default_factory=dict)  # split -> report
    summaries: dict[str, JsonFileStatus] = field(default_factory=dict)
    manually_accepted: int = 0
    pending_flush: list[Callable[[], None]] = field(default_factory=list, repr=False)

    @property
    def folder(self) -> Path:
        return self.path if self.kind == "hafs" else self.path.parent

    @property
    def metadata(self) -> dict[str, Any]:
        status = self.summaries.get("metadata.json")
        return status.data if status is not None and status.ok else {}

    @property
    def malformed_count(self) -> int:
        return sum(report.malformed_count for report in self.files.values())

    def by_key(self) -> dict[str, Sample]:
        return {sample.key: sample for sample in self.samples}

    def file_of(self, split: str) -> Path:
        report = self.files.get(split)
        return report.path if report is not None else self.folder / f"{split}.jsonl"


def dataset_files(path: Path) -> tuple[str, list[tuple[str, Path]]]:
    """("hafs" | "jsonl", [(split, file)]) for a dataset folder or a single JSONL file.

    A single file is one split: its stem when that is a hafs split name (``rejected.jsonl``),
    else ``train``. A folder must contain at least one split file or summary.
    """
    if path.is_file():
        split = path.stem if path.stem in SPLITS else "train"
        return "jsonl", [(split, path)]
    if not path.is_dir():
        raise DatasetError(f"{path}: no such dataset folder or JSONL file")
    files = [(split, path / f"{split}.jsonl") for split in SPLITS]
    if not any(f.exists() for _, f in files) and not any((path / s).exists()
                                                         for s in SUMMARY_FILES):
        raise DatasetError(f"{path}: not a hafs dataset folder (no train/val/test/rejected "
                           ".jsonl, no stats.json or metadata.json)")
    return "hafs", files


# (dataset, split, report) -> (on_record, on_block or None): see scan_jsonl
Visitor = Callable[[Dataset, str, FileReport],
                   tuple[Callable[[int, dict[str, Any]], None], BlockHandler | None]]


def _read(path: str | os.PathLike[str], mapping: FieldMapping, ctx: JobContext,
          visit: Visitor, content_hash: bool = True) -> Dataset:
    folder = Path(path).expanduser()
    kind, files = dataset_files(folder)
    dataset = Dataset(folder, folder.stem if kind == "jsonl" else folder.name, kind, mapping)
    sizes = [_size(f) for _, f in files]
    total = sum(sizes) or 1
    done = 0
    for (split, file), size in zip(files, sizes, strict=True):
        sub = ProgressWindow(ctx, done / total, size / total, f"Reading {file.name}")
        report = FileReport(file, split)
        on_record, on_block = visit(dataset, split, report)
        scan_jsonl(file, on_record, report=report, ctx=sub, content_hash=content_hash,
                   on_block=on_block)
        if report.exists or report.error:
            dataset.files[split] = report
        while dataset.pending_flush:
            dataset.pending_flush.pop()()
        done += size
    if kind == "hafs":
        for name in SUMMARY_FILES:
            dataset.summaries[name] = read_json_file(folder / name)
        dataset.manually_accepted = _count_lines(folder / MANUALLY_ACCEPTED)
    ctx.report(1.0, f"Read {dataset.counts.splits.total():,} samples")
    return dataset


def _keep_samples(dataset: Dataset, split: str, report: FileReport
                  ) -> tuple[Callable[[int, dict[str, Any]], None], None]:
    build = SampleBuilder(split, dataset.mapping, report).build
    samples, add = dataset.samples, dataset.counts.add_sample

    def on_record(line: int, record: dict[str, Any]) -> None:
        sample = build(line, record)
        samples.append(sample)
        add(sample)

    return on_record, None


def _count_only(dataset: Dataset, split: str, report: FileReport
                ) -> tuple[Callable[[int, dict[str, Any]], None], BlockHandler | None]:
    counter = dataset.counts.record_counter(split, dataset.mapping)
    dataset.pending_flush.append(counter.flush)
    return counter.count, counter.block


def read_dataset(path: str | os.PathLike[str], mapping: FieldMapping = DEFAULT_MAPPING,
                 ctx: JobContext = NULL_CONTEXT) -> Dataset:
    """Load every sample with its counts (for the panel and the analyses)."""
    return _read(path, mapping, ctx, _keep_samples)


def scan_dataset(path: str | os.PathLike[str], mapping: FieldMapping = DEFAULT_MAPPING,
                 ctx: JobContext = NULL_CONTEXT) -> Dataset:
    """Counts only (``data stats``): no Sample objects, so millions of lines stay cheap."""
    return _read(path, mapping, ctx, _count_only, content_hash=False)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _count_lines(path: Path) -> int:
    try:
        with open(path, "rb") as handle:
            return sum(1 for line in handle if line.strip())
    except OSError:
        return 0
