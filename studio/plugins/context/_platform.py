"""The platform names this plugin uses, in one place.

Issue 8 moves them behind the public ``studio.api`` (``atomic_write_bytes``, ``JobContext``,
``native``, ``run_job`` …). Until that lands they come from ``studio.core``, ``studio.native``
and ``studio.cli``; at the merge only this file changes. ``native`` (NumPy) and ``run_job``
(rich) load on first use, so importing this module stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from studio.core.atomic import atomic_write_bytes, atomic_write_text, backup_file
from studio.core.events import Event
from studio.core.jobs import NULL_CONTEXT, JobCancelled, JobContext, JobState, JobUpdated

if TYPE_CHECKING:
    from studio import native
    from studio.cli.progress import run_job

__all__ = [
    "NULL_CONTEXT",
    "Event",
    "JobCancelled",
    "JobContext",
    "JobState",
    "JobUpdated",
    "atomic_write_bytes",
    "atomic_write_text",
    "backup_file",
    "native",
    "run_job",
]


def __getattr__(name: str) -> Any:
    if name == "native":
        from studio import native

        return native
    if name == "run_job":
        from studio.cli.progress import run_job

        return run_job
    raise AttributeError(name)
