"""The Jobs plugin: a "Jobs" view listing background jobs, and a "Cancel All Jobs" command.

Registered like any third-party plugin. The view's widget module is imported only when the
view is first shown, so the plugin costs nothing at startup.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from studio import hookimpl
from studio.api import CommandSpec, ViewSpec

if TYPE_CHECKING:
    from studio.api import Studio

VIEW_ID = "jobs.list"
CANCEL_ALL_ID = "jobs.cancel-all"

def _has_running_jobs(studio: Studio) -> bool:
    return bool(studio.jobs.running())


def cancel_all_jobs(studio: Studio) -> int:
    """Ask every running or queued job to stop; return how many were asked."""
    running = studio.jobs.running()
    studio.jobs.cancel_all()
    return len(running)


def _jobs_view(context: Any) -> Any:
    from studio.plugins.jobs.widgets.jobs_view import JobsView

    return JobsView(context.studio)


@hookimpl
def studio_register_views(register: Callable[[ViewSpec], None]) -> None:
    register(ViewSpec(
        id=VIEW_ID,
        title="Jobs",
        icon="mdi6.progress-clock",
        area="bottom",
        workspaces=("dashboard", "models", "deploy", "training", "data"),
        factory=_jobs_view,
        description="Running and finished background jobs: progress, cancel, errors",
    ))


@hookimpl
def studio_register_commands(register: Callable[[CommandSpec], None], studio: Studio) -> None:
    register(CommandSpec(
        CANCEL_ALL_ID, "Cancel All Jobs", lambda: cancel_all_jobs(studio), None, "Jobs",
        "mdi6.cancel", enabled_when=lambda: _has_running_jobs(studio),
        description="Ask every running and queued background job to stop",
    ))
