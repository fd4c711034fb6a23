"""Job runner: progress, results, failures and cancellation, all published on the bus."""

from __future__ import annotations

import sys
import threading

import pytest

from studio.core.events import EventBus
from studio.core.jobs import JobContext, JobRunner, JobState, JobUpdated


@pytest.fixture
def runner():
    bus = EventBus()
    runner = JobRunner(bus, max_workers=2)
    runner.updates = []
    bus.subscribe(JobUpdated.topic, runner.updates.append, thread="publisher")
    yield runner
    runner.shutdown()


def test_success_with_progress(runner):
    def work(context: JobContext, n: int) -> int:
        for i in range(n):
            context.report((i + 1) / n, f"step {i + 1}")
        return n * 2

    job = runner.submit("double", work, 5)
    assert job.future.result(timeout=10) == 10
    assert job.state is JobState.SUCCEEDED
    states = [u.state for u in runner.updates if u.job_id == job.id]
    assert states[0] is JobState.QUEUED and states[-1] is JobState.SUCCEEDED
    assert runner.updates[-1].fraction == 1.0


def test_failure_is_recorded_not_raised(runner):
    def fail(context: JobContext) -> None:
        raise OSError("no space left on /tmp")

    job = runner.submit("fail", fail)
    job.future.result(timeout=10)
    assert job.state is JobState.FAILED
    assert "OSError: no space left" in job.error
    assert "Traceback" in runner.updates[-1].error


def test_cancel_running_job(runner):
    started = threading.Event()

    def slow(context: JobContext) -> None:
        started.set()
        while True:
            context.raise_if_cancelled()
            context.wait(0.01)

    job = runner.submit("slow", slow)
    assert started.wait(10)
    job.cancel()
    job.future.result(timeout=10)
    assert job.state is JobState.CANCELLED
    assert runner.updates[-1].state is JobState.CANCELLED


def test_cancelled_before_start_never_runs(runner):
    gate = threading.Event()
    ran = []
    blockers = [runner.submit("block", lambda c: gate.wait(10)) for _ in range(2)]
    queued = runner.submit("queued", lambda c: ran.append(1))
    queued.cancel()
    gate.set()
    queued.future.result(timeout=10)
    for job in blockers:
        job.future.result(timeout=10)
    assert queued.state is JobState.CANCELLED and ran == []


def test_clear_finished_forgets_only_finished_jobs(runner):
    gate = threading.Event()
    done = runner.submit("done", lambda c: 1)
    done.future.result(timeout=10)
    running = runner.submit("running", lambda c: gate.wait(10))
    assert runner.clear_finished() == 1
    assert runner.jobs() == [running]
    gate.set()
    running.future.result(timeout=10)


def test_progress_is_clamped_and_throttled():
    emitted = []
    context = JobContext(lambda fraction, message: emitted.append(fraction), min_interval=60)
    for i in range(1000):
        context.report(i / 500)
    context.report(1.0)
    assert context.fraction == 1.0
    assert len(emitted) <= 3


# -- owners ----------------------------------------------------------------------------------
def test_jobs_belong_to_the_acting_plugin_and_their_thread_acts_as_it(studio_factory,
                                                                      tmp_plugin):
    seen: dict[str, str] = {}

    def startup(studio):
        def work(context):
            seen["inside"] = studio.plugins.owner_of(None)  # what the job thread acts as
            process = studio.services.process.spawn(
                [sys.executable, "-c", "pass"], name="helper")
            seen["process"] = process.owner
            process.wait(20)

        seen["job"] = studio.jobs.submit("Index", work).owner

    studio = studio_factory(plugins=[("indexer", tmp_plugin("indexer", studio_startup=startup))])
    (job,) = studio.jobs.jobs()
    job.future.result(timeout=20)
    assert seen == {"job": "indexer", "inside": "indexer", "process": "indexer"}
    assert job.owner == "indexer"
    explicit = studio.jobs.submit("Other", lambda context: None, owner="deploy")
    assert explicit.owner == "deploy"
    assert studio.jobs.submit("Mine", lambda context: None).owner == "studio"  # nobody acting


def test_cancel_owned_cancels_only_that_plugins_jobs(runner):
    gate = threading.Event()

    def wait(context):
        while not gate.is_set():
            context.raise_if_cancelled()
            context.wait(0.01)

    deploy = runner.submit("serve", wait, owner="deploy")
    training = runner.submit("train", wait, owner="training")
    assert runner.cancel_owned("deploy") == [deploy]
    deploy.future.result(timeout=10)
    assert deploy.state is JobState.CANCELLED and not training.state.finished
    assert runner.owners() == ["deploy", "training"]
    gate.set()
    training.future.result(timeout=10)
    assert training.state is JobState.SUCCEEDED
    assert {u.owner for u in runner.updates if u.job_id == training.id} == {"training"}


def test_no_job_is_accepted_after_shutdown_even_before_the_first():
    runner = JobRunner(EventBus(), max_workers=1)  # the pool is made by the first submit
    runner.shutdown()
    with pytest.raises(RuntimeError, match="shut down"):
        runner.submit("late", lambda context: None)
