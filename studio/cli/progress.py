"""Run a studio job from the CLI with a rich progress bar; Ctrl+C cancels it cleanly.

The same :class:`~studio.core.jobs.JobRunner` as the GUI runs the work, and the bar is drawn
from the same ``jobs.updated`` events the Jobs view shows.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from studio.core.app import Studio
from studio.core.jobs import Job, JobState, JobUpdated

__all__ = ["EXIT_CANCELLED", "EXIT_FAILED", "run_job"]

EXIT_FAILED = 1
EXIT_CANCELLED = 130  # what shells report for SIGINT


def run_job(
    studio: Studio,
    title: str,
    fn: Callable[..., Any],
    *args: Any,
    console: Console | None = None,
    **kwargs: Any,
) -> tuple[int, Job]:
    """Run ``fn(context, *args)`` as a job, draw its progress, return (exit code, job)."""
    console = console or Console(stderr=True)
    finished = threading.Event()
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>5.1f}%"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[message]}", style="dim"),
        console=console,
        transient=False,
    )
    task = progress.add_task(title, total=1.0, message="queued")
    job_ref: dict[str, Job] = {}

    def on_update(event: JobUpdated) -> None:
        job = job_ref.get("job")
        if job is None or event.job_id != job.id:
            return
        total = None if event.fraction is None else 1.0
        progress.update(task, completed=event.fraction or 0.0, total=total, message=event.message)
        if event.state.finished:
            finished.set()

    subscription = studio.bus.subscribe(
        JobUpdated.topic, on_update, owner="cli", thread="publisher"
    )
    try:
        with progress, _ctrl_c_requests() as ctrl_c:
            job_ref["job"] = studio.jobs.submit(title, fn, *args, **kwargs)
            if job_ref["job"].state.finished:
                finished.set()
            while not finished.wait(0.1):
                if ctrl_c.is_set():
                    job_ref["job"].cancel()
                    progress.update(task, message="cancelling…")
                    break
            if job_ref["job"].future is not None:
                job_ref["job"].future.result()
    finally:
        subscription.unsubscribe()
    job = job_ref["job"]
    if job.state is JobState.SUCCEEDED:
        return 0, job
    if job.state is JobState.CANCELLED:
        console.print(f"[yellow]{escape(title)}: cancelled[/]")
        return EXIT_CANCELLED, job
    # Plain text: an error may quote TOML tables ([hosts.x]) or paths that look like markup.
    console.print(f"[red]{escape(title)} failed:[/] {escape(str(job.error))}")
    return EXIT_FAILED, job


@contextlib.contextmanager
def _ctrl_c_requests() -> Iterator[threading.Event]:
    """Ctrl+C sets the yielded event instead of raising KeyboardInterrupt wherever the main
    thread happens to be (inside submit() or a lock of the bus, that left a job running and the
    process hanging). A second Ctrl+C raises as usual: the way out if cancelling is stuck."""
    requested = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield requested  # signals only reach the main thread: nothing to install
        return
    previous = signal.getsignal(signal.SIGINT)

    def on_sigint(signum: int, frame: object) -> None:
        requested.set()
        signal.signal(signal.SIGINT, previous)

    signal.signal(signal.SIGINT, on_sigint)
    try:
        yield requested
    finally:
        signal.signal(signal.SIGINT, previous)

