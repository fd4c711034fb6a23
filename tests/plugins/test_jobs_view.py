"""The Jobs plugin: view, status-bar indicator and command, with real jobs on the runner."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading
from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt

import studio.plugins.jobs.plugin as jobs_plugin
from studio.core.app import Studio
from studio.core.context import ContextRoot
from studio.core.jobs import JobState
from studio.plugins.jobs.widgets.jobs_view import (
    CANCEL,
    JobErrorDialog,
    JobsView,
    format_elapsed,
)
from studio.shell.dispatcher import QtDispatcher
from studio.shell.jobs_indicator import JobsIndicator


@pytest.fixture(params=["qt-dispatcher", "inline"])
def studio(request, tmp_path, qtbot):
    studio = Studio(
        builtins=(), load_entry_points=False, extra_plugins=[("jobs", jobs_plugin)],
        environ={"HAFS_STUDIO_HOME": str(tmp_path)}, context=ContextRoot(tmp_path / "ctx", "test"),
    ).start()
    if request.param == "qt-dispatcher":  # as in the GUI; "inline" delivers in job threads
        studio.bus.set_dispatcher(QtDispatcher())
    yield studio
    studio.shutdown()  # cancels what still runs: waiting jobs stop at their next check
    studio.bus.set_dispatcher(None)


@pytest.fixture
def view(qtbot, studio):
    widget = JobsView(studio)
    qtbot.addWidget(widget)
    widget.resize(900, 260)
    widget.show()
    return widget


@pytest.fixture
def indicator(qtbot, studio):
    widget = JobsIndicator(studio)
    qtbot.addWidget(widget)
    return widget


def waiting_job(fraction, message):
    """A job that reports progress, then waits until released or cancelled."""
    release = threading.Event()

    def work(context):
        context.report(fraction, message)
        while not release.is_set():
            context.raise_if_cancelled()
            context.wait(0.01)
        return "ok"

    return work, release


def failing_job(context):
    context.report(0.3, "reading tensors")
    raise ValueError("tensor blk.3 has the wrong shape")


def row(view, job):
    number = view.model.row_of(job.id)
    return view.model.rows[number] if number >= 0 else None


def test_running_job_shows_progress_then_cancel_stops_it(qtbot, studio, view, indicator,
                                                         tmp_path):
    assert view.empty_label.isVisibleTo(view)
    work, _release = waiting_job(0.5, "shard 50 of 100")
    job = studio.jobs.submit("Index dataset", work)
    qtbot.waitUntil(lambda: row(view, job) is not None and row(view, job).fraction == 0.5)
    shown = row(view, job)
    assert (shown.title, shown.state, shown.message) == (
        "Index dataset", JobState.RUNNING, "shard 50 of 100")
    assert view.summary.text().startswith("1 running")
    qtbot.waitUntil(lambda: indicator.running_count() == 1)
    assert indicator.text_label.text() == "1 job running"
    assert indicator.bar.value() == 500
    view.grab().save(str(tmp_path / "jobs.png"))

    # Click the row's cancel button, as a user would.
    cell = view.table.visualRect(view.model.index(view.model.row_of(job.id), CANCEL))
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=cell.center())
    qtbot.waitUntil(lambda: row(view, job).state is JobState.CANCELLED)
    assert job.state is JobState.CANCELLED
    qtbot.waitUntil(lambda: indicator.running_count() == 0)
    assert indicator.isHidden()


def test_failed_job_offers_its_traceback_and_flags_the_indicator(qtbot, studio, view,
                                                                 indicator):
    job = studio.jobs.submit("Quantize", failing_job)
    qtbot.waitUntil(lambda: row(view, job) is not None and row(view, job).state.finished)
    assert row(view, job).state is JobState.FAILED
    assert "wrong shape" in row(view, job).message
    qtbot.waitUntil(lambda: indicator.failure_count() == 1)
    assert not indicator.isHidden()
    assert indicator.text_label.text() == "1 job failed"

    view.select_job(job.id)
    assert view.details_button.isEnabled()
    with qtbot.waitSignal(view.details_requested):
        view.details_button.click()
    dialog = view.findChild(JobErrorDialog)
    assert "ValueError: tensor blk.3 has the wrong shape" in dialog.traceback.toPlainText()
    assert "Traceback" in dialog.traceback.toPlainText()

    with qtbot.waitSignal(indicator.clicked):
        qtbot.mouseClick(indicator, Qt.MouseButton.LeftButton)
    assert indicator.failure_count() == 0 and indicator.isHidden()


def test_clear_finished_keeps_running_jobs(qtbot, studio, view):
    done = studio.jobs.submit("Quick", lambda context: context.report(1.0, "done"))
    work, release = waiting_job(None, "waiting")
    running = studio.jobs.submit("Slow", work)
    qtbot.waitUntil(lambda: row(view, done) is not None and row(view, done).state.finished
                    and row(view, running) is not None)
    view.clear_button.click()
    assert [r.title for r in view.model.rows] == ["Slow"]
    release.set()
    qtbot.waitUntil(lambda: row(view, running).state is JobState.SUCCEEDED)


def test_cancel_all_command_is_enabled_only_while_jobs_run(qtbot, studio):
    assert not studio.commands.is_enabled("jobs.cancel-all")
    work, _release = waiting_job(0.1, "")
    job = studio.jobs.submit("Slow", work)
    qtbot.waitUntil(lambda: job.state is JobState.RUNNING)
    assert studio.commands.is_enabled("jobs.cancel-all")
    studio.commands.execute("jobs.cancel-all")
    qtbot.waitUntil(lambda: job.state is JobState.CANCELLED)


def test_plugin_registers_the_jobs_view(qtbot, studio):
    spec = studio.contributions.views["jobs.list"]
    assert (spec.title, spec.icon, spec.area) == ("Jobs", "mdi6.progress-clock", "bottom")
    assert set(spec.workspaces) == {"dashboard", "models", "deploy", "training", "data"}
    widget = spec.factory(SimpleNamespace(studio=studio))
    qtbot.addWidget(widget)
    assert isinstance(widget, JobsView)


def test_format_elapsed():
    assert format_elapsed(None) == "—"
    assert format_elapsed(3.25) == "3.2 s"
    assert format_elapsed(75) == "1 min 15 s"
    assert format_elapsed(3725) == "1 h 02 min"


def test_owner_filter_shows_one_plugins_jobs_and_cancels_only_those(qtbot, studio, view,
                                                                    tmp_path):
    work, release = waiting_job(0.3, "serving")
    deploy = studio.jobs.submit("Serve model", work, owner="deploy")
    training = studio.jobs.submit("Train adapter", waiting_job(0.6, "epoch 2")[0],
                                  owner="training")
    qtbot.waitUntil(lambda: row(view, deploy) is not None and row(view, training) is not None)
    assert [view.owner_filter.itemText(i) for i in range(view.owner_filter.count())] == [
        "All plugins", "deploy", "training"]
    assert "For plugin deploy" in view.model.data(
        view.model.index(view.model.row_of(deploy.id), 0), Qt.ItemDataRole.ToolTipRole)

    view.set_owner_filter("training")
    assert [r.title for r in view.visible_rows()] == ["Train adapter"]
    assert view.summary.text().startswith("1 running")
    # A job of another plugin arriving while filtered stays hidden.
    later = studio.jobs.submit("Quantize", lambda context: None, owner="models")
    qtbot.waitUntil(lambda: row(view, later) is not None)  # queued: both workers are busy
    assert [r.title for r in view.visible_rows()] == ["Train adapter"]
    view.grab().save(str(tmp_path / "jobs-filtered.png"))

    view.cancel_all_button.click()  # cancels what is shown: training's job only
    qtbot.waitUntil(lambda: training.state is JobState.CANCELLED)
    assert not deploy.state.finished
    view.set_owner_filter("ollama")  # no jobs (yet): says so
    assert view.empty_label.text() == "No jobs of plugin ollama."
    view.set_owner_filter(None)
    assert {r.title for r in view.visible_rows()} == {"Serve model", "Train adapter",
                                                      "Quantize"}
    release.set()
