"""A review session over one dataset: approve / reject / edit / feedback, undo, autosave.

Qt-free. The review view calls the actions on the GUI thread (they only change memory) and
:meth:`ReviewSession.save` on a worker thread; saving commits the pending changes through
:class:`~studio.plugins.data.annotations.AnnotationStore` (lock + re-read + merge + atomic
write). A change made while a save runs stays pending for the next save, and a save that
fails (a damaged file, a full disk) keeps every change pending and says why.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

from studio.plugins.data.annotations import (
    Annotation,
    AnnotationsDamagedError,
    AnnotationStore,
    now_iso,
)
from studio.plugins.data.records import Sample

__all__ = ["ReviewSession", "SaveResult"]

_UNDO_LIMIT = 500


class SaveResult:
    def __init__(self, saved: int, error: str = "") -> None:
        self.saved = saved
        self.error = error

    @property
    def ok(self) -> bool:
        return not self.error


class ReviewSession:
    """The annotations of one dataset folder, as the reviewer sees and changes them."""

    def __init__(self, folder: str | Path) -> None:
        self.store = AnnotationStore(folder)
        self._lock = threading.RLock()
        self._saved: dict[str, Annotation] = {}
        self._pending: dict[str, Annotation | None] = {}
        self._undo: list[tuple[str, Annotation | None]] = []
        self.load_error = ""

    # -- reading ---------------------------------------------------------------------------
    def reload(self) -> None:
        """Re-read the file (another writer changed it); pending changes stay on top."""
        try:
            saved = self.store.load()
        except AnnotationsDamagedError as exc:
            self.load_error = str(exc)
            return
        with self._lock:
            self._saved, self.load_error = saved, ""

    def get(self, key: str) -> Annotation | None:
        with self._lock:
            if key in self._pending:
                return self._pending[key]
            return self._saved.get(key)

    def annotations(self) -> dict[str, Annotation]:
        with self._lock:
            merged = dict(self._saved)
            for key, value in self._pending.items():
                if value is None:
                    merged.pop(key, None)
                else:
                    merged[key] = value
            return merged

    @property
    def dirty(self) -> bool:
        with self._lock:
            return bool(self._pending)

    @property
    def can_undo(self) -> bool:
        with self._lock:
            return bool(self._undo)

    # -- actions ---------------------------------------------------------------------------
    def _base(self, sample: Sample) -> Annotation:
        return self.get(sample.key) or Annotation(
            sample.key, sample.split, sample.instruction, sample.input, sample.output,
            sample.domain)

    def _set(self, key: str, value: Annotation | None) -> None:
        with self._lock:
            self._undo.append((key, self.get(key)))
            del self._undo[:-_UNDO_LIMIT]
            self._pending[key] = value

    def approve(self, sample: Sample) -> Annotation:
        """Approve as a golden example (toggles back to undecided when already approved)."""
        current = self._base(sample)
        decision = "" if current.decision == "approved" else "approved"
        return self._change(sample, decision=decision)

    def reject(self, sample: Sample) -> Annotation:
        """Mark as a bad sample (toggles back to undecided when already rejected)."""
        current = self._base(sample)
        decision = "" if current.decision == "rejected" else "rejected"
        return self._change(sample, decision=decision)

    def set_feedback(self, sample: Sample, text: str) -> Annotation | None:
        if text == self._base(sample).feedback:
            return self.get(sample.key)
        return self._change(sample, feedback=text)

    def edit(self, sample: Sample, instruction: str, input_: str, output: str
             ) -> Annotation | None:
        """Keep an edited copy; editing back to the original text drops the copy."""
        edited: tuple[str, str, str] | None = (instruction, input_, output)
        if edited == (sample.instruction, sample.input, sample.output):
            edited = None
        if edited == self._base(sample).edited:
            return self.get(sample.key)
        return self._change(sample, edited=edited)

    def _change(self, sample: Sample, **fields: object) -> Annotation:
        annotation = replace(self._base(sample), updated_at=now_iso(), **fields)  # type: ignore[arg-type]
        empty = not annotation.decision and not annotation.feedback and annotation.edited is None
        self._set(sample.key, None if empty else annotation)
        return annotation

    def undo(self) -> str | None:
        """Revert the last action; returns the key it touched (the view selects it)."""
        with self._lock:
            if not self._undo:
                return None
            key, previous = self._undo.pop()
            self._pending[key] = previous
            return key

    # -- saving ----------------------------------------------------------------------------
    def save(self) -> SaveResult:
        """Commit what is pending (call from a worker thread)."""
        with self._lock:
            batch = dict(self._pending)
        if not batch:
            return SaveResult(0)
        try:
            saved = self.store.commit(batch)
        except (AnnotationsDamagedError, OSError, TimeoutError) as exc:
            return SaveResult(0, str(exc))
        with self._lock:
            self._saved = saved
            for key, value in batch.items():
                if key in self._pending and self._pending[key] is value:
                    del self._pending[key]  # unchanged since the batch was taken
        return SaveResult(len(batch))
