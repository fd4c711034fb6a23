"""Background jobs: a thread pool with progress, cancellation and error reporting.

Every long operation (conversion, quantization, indexing, copying) runs as a :class:`Job`.
The job function receives a :class:`JobContext` to report progress and to poll for
cancellation; domain code takes a ``JobContext`` (or :data:`NULL_CONTEXT`) so that the GUI and
the CLI drive the very same function. State changes are published on the event bus as
:class:`JobUpdated` events (topic ``jobs.updated``), which the Jobs view and the CLI's rich
progress bars both render.

Every job has an **owner**, the plugin it works for: given to :meth:`JobRunner.submit`, else the
plugin acting now (or the one whose module defined the job function). While the job runs its
thread acts as that plugin, so what it starts (managed processes, bus subscriptions) is
attributed to the owner too, and :meth:`JobRunner.cancel_owned` stops a plugin's jobs when the
plugin is torn down.
"""

from __future__ import annotations

import contextlib
import enum
import itertools
import threading
import time
import traceback
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from studio.core.events import Event, EventBus

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

__all__ = [
    "NULL_CONTEXT",
    "Job",
    "JobCancelled",
    "JobContext",
    "JobRunner",
    "JobState",
    "JobUpdated",
]


class JobCancelled(Exception):
    """Raised inside a job function when the user cancelled it."""


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


@dataclass(frozen=True, slots=True)
class JobUpdated(Event):
    """A job changed state, progress or message."""

    topic = "jobs.updated"
    job_id: int = 0
    title: str = ""
    state: JobState = JobState.QUEUED
    fraction: float | None = None
    message: str = ""
    error: str | None = None
    owner: str = ""


class JobContext:
    """Handed to a job function: report progress, check for cancellation.

    ``report`` is cheap and thread-safe; callers may call it per item. Publications to the bus
    are throttled to ``min_interval`` seconds, except the first report of completion (1.0).
    """

    def __init__(
        self,
        on_progress: Callable[[float | None, str], None] | None = None,
        min_interval: float = 0.05,
    ) -> None:
        self._cancel = threading.Event()
        self._on_progress = on_progress
        self._min_interval = min_interval
        self._last_emit = 0.0
        self._last_emitted_fraction: float | None = None
        self.fraction: float | None = None
        self.message = ""

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def raise_if_cancelled(self) -> None:
        """Raise :class:`JobCancelled` if the user asked to stop; call it between work units."""
        if self._cancel.is_set():
            raise JobCancelled()

    def report(self, fraction: float | None = None, message: str | None = None) -> None:
        """Record progress (``fraction`` in [0, 1] or None when unknown) and an optional message."""
        if fraction is not None:
            fraction = min(1.0, max(0.0, float(fraction)))
        self.fraction = fraction
        if message is not None:
            self.message = message
        now = time.monotonic()
        if self._on_progress is None:
            return
        finishing = fraction == 1.0 and self._last_emitted_fraction != 1.0
        if finishing or now - self._last_emit >= self._min_interval:
            self._last_emit = now
            self._last_emitted_fraction = fraction
            self._on_progress(self.fraction, self.message)

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; return True early if cancelled (for polling loops)."""
        return self._cancel.wait(seconds)


NULL_CONTEXT = JobContext()
"""A context for synchronous calls: never cancelled, progress discarded."""


@dataclass(eq=False)
class Job:
    """One submitted unit of background work and its observable state."""

    id: int
    title: str
    context: JobContext
    owner: str = "studio"
    state: JobState = JobState.QUEUED
    error: str | None = None
    result: Any = None
    started_at: float | None = None
    finished_at: float | None = None
    future: Future[Any] | None = field(default=None, repr=False)

    @property
    def fraction(self) -> float | None:
        return self.context.fraction

    @property
    def message(self) -> str:
        return self.context.message

    def cancel(self) -> None:
        """Ask the job to stop; a queued job is cancelled at once."""
        self.context.cancel()


def _no_owner(fn: object) -> str:
    return "studio"


def _acting_as_nobody(owner: str) -> AbstractContextManager[None]:
    return contextlib.nullcontext()


class JobRunner:
    """Thread pool that runs jobs and publishes their state on the event bus.

    ``owner_of(fn)`` names the plugin a job belongs to when ``submit`` is given none, and
    ``acting_as(owner)`` attributes the job thread's work to it; the studio passes its plugin
    manager's (:meth:`attribute_to_plugins`).
    """

    def __init__(self, bus: EventBus, max_workers: int = 4, keep_finished: int = 200) -> None:
        self._bus = bus
        self._owner_of: Callable[[object], str] = _no_owner
        self._acting_as: Callable[[str], AbstractContextManager[Any]] = _acting_as_nobody
        self._max_workers = max_workers
        self._pool: ThreadPoolExecutor | None = None  # made by the first submit (see _executor)
        self._closed = False
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._jobs: dict[int, Job] = {}
        self._keep_finished = keep_finished

    def attribute_to_plugins(self, owner_of: Callable[[object], str],
                             acting_as: Callable[[str], AbstractContextManager[Any]]) -> None:
        """Resolve owners with ``owner_of(fn)`` and run jobs inside ``acting_as(owner)``."""
        self._owner_of = owner_of
        self._acting_as = acting_as

    def submit(self, title: str, fn: Callable[..., Any], /, *args: Any,
               owner: str | None = None, **kwargs: Any) -> Job:
        """Run ``fn(context, *args, **kwargs)`` in the pool and return its :class:`Job`.

        ``owner``: the plugin the job works for; default the plugin acting now, else the one
        whose module defined ``fn``, else ``"studio"``.
        """
        job_id = next(self._ids)
        job = Job(id=job_id, title=title, context=JobContext(),
                  owner=owner or self._owner_of(fn))
        job.context._on_progress = lambda fraction, message: self._publish(job)
        with self._lock:
            self._jobs[job_id] = job
            self._trim_finished()
        self._publish(job)
        job.future = self._executor().submit(self._run, job, fn, args, kwargs)
        return job

    def jobs(self) -> list[Job]:
        """All known jobs, oldest first."""
        with self._lock:
            return list(self._jobs.values())

    def get(self, job_id: int) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def running(self) -> list[Job]:
        return [job for job in self.jobs() if not job.state.finished]

    def clear_finished(self) -> int:
        """Forget finished jobs (the Jobs view's "Clear finished"); return how many."""
        with self._lock:
            done = [job_id for job_id, job in self._jobs.items() if job.state.finished]
            for job_id in done:
                del self._jobs[job_id]
        return len(done)

    def cancel_all(self) -> None:
        for job in self.running():
            job.cancel()

    def cancel_owned(self, owner: str) -> list[Job]:
        """Cancel the unfinished jobs of plugin ``owner`` (its teardown); return them."""
        jobs = [job for job in self.running() if job.owner == owner]
        for job in jobs:
            job.cancel()
        return jobs

    def owners(self) -> list[str]:
        """The owners of every known job, sorted (the Jobs view's filter)."""
        return sorted({job.owner for job in self.jobs()})

    def shutdown(self, wait: bool = True) -> None:
        """Cancel what runs and stop the pool (at application exit)."""
        self.cancel_all()
        with self._lock:
            self._closed, pool = True, self._pool
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=True)

    def _executor(self) -> ThreadPoolExecutor:
        # Made on first use: concurrent.futures is not imported before the window's first frame.
        with self._lock:
            if self._pool is None:
                if self._closed:
                    raise RuntimeError("cannot schedule new jobs after the job runner shut down")
                from concurrent.futures import ThreadPoolExecutor

                self._pool = ThreadPoolExecutor(max_workers=self._max_workers,
                                                thread_name_prefix="studio-job")
            return self._pool

    def _run(self, job: Job, fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
        if job.context.cancelled:
            return self._finish(job, JobState.CANCELLED)
        job.state = JobState.RUNNING
        job.started_at = time.monotonic()
        self._publish(job)
        try:
            with self._acting_as(job.owner):
                job.result = fn(job.context, *args, **kwargs)
        except JobCancelled:
            return self._finish(job, JobState.CANCELLED)
        except Exception as exc:  # a job's failure is data for the UI, never a crash
            job.error = f"{type(exc).__name__}: {exc}"
            job.context.message = job.error
            self._finish(job, JobState.FAILED, traceback.format_exc())
            return None
        if job.context.cancelled:
            return self._finish(job, JobState.CANCELLED)
        job.context.fraction = 1.0
        return self._finish(job, JobState.SUCCEEDED)

    def _finish(self, job: Job, state: JobState, details: str | None = None) -> Any:
        job.state = state
        job.finished_at = time.monotonic()
        if state is JobState.CANCELLED and not job.context.message:
            job.context.message = "Cancelled"
        self._publish(job, details)
        return job.result

    def _publish(self, job: Job, details: str | None = None) -> None:
        self._bus.publish(
            JobUpdated(
                job_id=job.id,
                title=job.title,
                state=job.state,
                fraction=job.context.fraction,
                message=job.context.message,
                error=details or job.error,
                owner=job.owner,
            )
        )

    def _trim_finished(self) -> None:
        finished = [job_id for job_id, job in self._jobs.items() if job.state.finished]
        for job_id in finished[: max(0, len(finished) - self._keep_finished)]:
            del self._jobs[job_id]
