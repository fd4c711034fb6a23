"""A slice of a job's progress bar, for a step inside a longer job."""

from __future__ import annotations

from studio.api import JobContext

__all__ = ["ProgressWindow"]


class ProgressWindow(JobContext):
    """Maps a step's 0..1 onto [base, base + share] of ``parent``; cancel is the parent's."""

    def __init__(self, parent: JobContext, base: float, share: float,
                 message: str | None = None) -> None:
        super().__init__()
        self._parent, self._base, self._share, self._message = parent, base, share, message

    @property
    def cancelled(self) -> bool:
        return self._parent.cancelled

    def raise_if_cancelled(self) -> None:
        self._parent.raise_if_cancelled()

    def report(self, fraction: float | None = None, message: str | None = None) -> None:
        self._parent.report(None if fraction is None else self._base + self._share * fraction,
                            message or self._message)
