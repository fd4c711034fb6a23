"""Review decisions in hafs's files: ``user_annotations.json`` and ``manually_accepted.jsonl``.

``<dataset>/user_annotations.json`` is a JSON **array** (hafs-formats §3.5) of objects with
hafs's keys ``instruction``, ``domain``, ``user_approved`` and ``user_feedback``; the studio
adds ``sample_key`` (the stable key of :mod:`~studio.plugins.data.records`), ``split``,
``decision`` (``approved`` / ``rejected`` / ``""`` for feedback only), the original ``input``
and ``output``, an ``edited`` copy ``{instruction, input, output}`` when the user edited the
sample (the original line is never touched) and ``updated_at``. Entries without
``sample_key`` (written by hafs's own studio or by hand) are kept as they are.

``<dataset>/manually_accepted.jsonl`` gets one alpaca line per approved sample that hafs had
rejected, and per approved edited copy: ``{instruction, [input], output, _metadata: {domain,
sample_key, original_split, source: "hafs-studio review"}}``. Lines without our
``_metadata.sample_key`` (hand-written) are kept, byte for byte.

Every commit runs under an inter-process lock (``user_annotations.json.lock``), re-reads both
files and applies only this writer's changes, then writes atomically, so another studio
window or process writing at the same time loses nothing. train.jsonl and rejected.jsonl are
never written.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from studio.api import atomic_write_bytes, backup_file

__all__ = [
    "ANNOTATIONS_FILE",
    "MANUALLY_ACCEPTED_FILE",
    "Annotation",
    "AnnotationStore",
    "AnnotationsDamagedError",
]

ANNOTATIONS_FILE = "user_annotations.json"
MANUALLY_ACCEPTED_FILE = "manually_accepted.jsonl"
REVIEW_SOURCE = "hafs-studio review"
LOCK_TIMEOUT_S = 30.0
LOCK_POLL_S = 0.005


class AnnotationsDamagedError(Exception):
    """user_annotations.json cannot be parsed; nothing is written until it is fixed."""


@dataclass(frozen=True)
class Annotation:
    """The user's verdict on one sample."""

    sample_key: str
    split: str
    instruction: str
    input: str
    output: str
    domain: str
    decision: str = ""  # "approved", "rejected" or "" (feedback or edit only)
    feedback: str = ""
    edited: tuple[str, str, str] | None = None  # (instruction, input, output)
    updated_at: str = ""

    @property
    def approved(self) -> bool:
        return self.decision == "approved"

    def to_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "instruction": self.instruction, "domain": self.domain,
            "user_approved": self.approved, "user_feedback": self.feedback,
            "sample_key": self.sample_key, "split": self.split, "decision": self.decision,
            "input": self.input, "output": self.output, "updated_at": self.updated_at,
        }
        if self.edited is not None:
            entry["edited"] = dict(zip(("instruction", "input", "output"), self.edited,
                                       strict=True))
        return entry

    @classmethod
    def from_json(cls, entry: dict[str, Any]) -> Annotation:
        edited = entry.get("edited")
        decision = entry.get("decision")
        if decision not in ("approved", "rejected", ""):
            decision = "approved" if entry.get("user_approved") is True else ""
        return cls(
            str(entry["sample_key"]), str(entry.get("split") or ""),
            str(entry.get("instruction") or ""), str(entry.get("input") or ""),
            str(entry.get("output") or ""), str(entry.get("domain") or "unknown"),
            decision, str(entry.get("user_feedback") or ""),
            (str(edited.get("instruction") or ""), str(edited.get("input") or ""),
             str(edited.get("output") or "")) if isinstance(edited, dict) else None,
            str(entry.get("updated_at") or ""))

    def accepted_line(self) -> dict[str, Any] | None:
        """Its manually_accepted.jsonl line, or None when it does not belong there."""
        if not self.approved or (self.split != "rejected" and self.edited is None):
            return None
        instruction, input_, output = self.edited or (self.instruction, self.input, self.output)
        line: dict[str, Any] = {"instruction": instruction}
        if input_:
            line["input"] = input_
        line["output"] = output
        line["_metadata"] = {"domain": self.domain, "sample_key": self.sample_key,
                             "original_split": self.split, "source": REVIEW_SOURCE,
                             "edited": self.edited is not None}
        return line


def now_iso() -> str:
    return _dt.datetime.now().isoformat(timespec="seconds")


class AnnotationStore:
    """The two review files of one dataset folder."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.path = self.folder / ANNOTATIONS_FILE
        self.accepted_path = self.folder / MANUALLY_ACCEPTED_FILE
        self._lock: Any = None

    def _file_lock(self) -> Any:
        if self._lock is None:
            from filelock import FileLock

            self._lock = FileLock(str(self.path) + ".lock", timeout=LOCK_TIMEOUT_S)
        return self._lock

    # -- reading ---------------------------------------------------------------------------
    def load(self) -> dict[str, Annotation]:
        """The studio's annotations by sample key (others' entries are not returned)."""
        return self._read()[0]

    def _read(self) -> tuple[dict[str, Annotation], list[Any]]:
        """(ours by key, every entry in file order) of the current file."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return {}, []
        except OSError as exc:
            raise AnnotationsDamagedError(f"{self.path}: cannot read: {exc.strerror or exc}"
                                          ) from exc
        if not data.strip():
            return {}, []
        try:
            entries = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            self._keep_backup(data)
            raise AnnotationsDamagedError(
                f"{self.path}:{exc.lineno}:{exc.colno}: invalid JSON ({exc.msg}); not writing "
                f"so nothing is lost (a copy is in {self.path.name}.bak)") from None
        if not isinstance(entries, list):
            self._keep_backup(data)
            raise AnnotationsDamagedError(f"{self.path}: expected a JSON array (hafs's "
                                          f"format), got {type(entries).__name__}")
        ours: dict[str, Annotation] = {}
        for entry in entries:
            if isinstance(entry, dict) and isinstance(entry.get("sample_key"), str):
                ours[entry["sample_key"]] = Annotation.from_json(entry)
        return ours, entries

    def _keep_backup(self, data: bytes) -> None:
        bak = self.path.with_name(self.path.name + ".bak")
        try:
            if not (bak.exists() and bak.read_bytes() == data):
                backup_file(self.path)
        except OSError:
            pass

    # -- writing ---------------------------------------------------------------------------
    def commit(self, changes: Mapping[str, Annotation | None]) -> dict[str, Annotation]:
        """Apply ``changes`` (None removes) to the current files under the lock; return ours.

        Entries of other writers, and keys this call does not change, come from the fresh
        read, so concurrent writers compose.
        """
        with self._file_lock().acquire(poll_interval=LOCK_POLL_S):
            ours, entries = self._read()
            for key, annotation in changes.items():
                if annotation is None:
                    ours.pop(key, None)
                else:
                    ours[key] = annotation
            written: set[str] = set()
            result: list[Any] = []
            for entry in entries:  # keep file order; replace or drop ours in place
                key = entry.get("sample_key") if isinstance(entry, dict) else None
                if not isinstance(key, str):
                    result.append(entry)
                elif key in ours and key not in written:
                    result.append(ours[key].to_json())
                    written.add(key)
            result += [a.to_json() for k, a in ours.items() if k not in written]
            atomic_write_bytes(self.path, orjson.dumps(result, option=orjson.OPT_INDENT_2)
                               + b"\n")
            self._write_accepted(ours)
        return ours

    def _write_accepted(self, ours: Mapping[str, Annotation]) -> None:
        kept: list[bytes] = []
        try:
            existing = self.accepted_path.read_bytes().splitlines()
        except FileNotFoundError:
            existing = []
        for raw in existing:
            if raw.strip() and not _is_ours(raw):
                kept.append(raw)
        lines = kept + [orjson.dumps(line) for a in ours.values()
                        if (line := a.accepted_line()) is not None]
        if not lines and not self.accepted_path.exists():
            return
        atomic_write_bytes(self.accepted_path, b"".join(line + b"\n" for line in lines))


def _is_ours(raw: bytes) -> bool:
    try:
        line = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return False
    meta = line.get("_metadata") if isinstance(line, dict) else None
    return isinstance(meta, dict) and meta.get("source") == REVIEW_SOURCE \
        and isinstance(meta.get("sample_key"), str)
