"""The live monitor is driven by the studio's folder watcher, not by a timer of its own.

The monitor's own ticks are set to minutes here, so only the watches can make a new run or
new points show up; the test waits on the published snapshots (no sleeps, no timed asserts).
"""

from __future__ import annotations

import threading

from training_helpers import loss_entries, write_checkpoint

from studio.callbacks import MetricsWriter
from studio.core.events import EventBus
from studio.core.filewatch import FileWatcher
from studio.plugins.training.monitor import MonitorSettings, RunsUpdated, TrainingMonitor


class Snapshots:
    def __init__(self, bus: EventBus) -> None:
        self.latest: RunsUpdated | None = None
        self._changed = threading.Condition()
        bus.subscribe(RunsUpdated.topic, self._on, thread="publisher")

    def _on(self, event: RunsUpdated) -> None:
        with self._changed:
            self.latest = event
            self._changed.notify_all()

    def wait(self, condition, what: str) -> RunsUpdated:
        with self._changed:
            if not self._changed.wait_for(lambda: self.latest is not None
                                          and condition(self.latest), timeout=30):
                raise AssertionError(f"no snapshot with {what}; last: {self.latest}")
            return self.latest


def test_new_runs_and_new_points_arrive_through_folder_watches(tmp_path):
    context = tmp_path / "context"
    runs = context / "training" / "runs"
    runs.mkdir(parents=True)
    bus = EventBus()
    snapshots = Snapshots(bus)
    watcher = FileWatcher(bus=bus)
    monitor = TrainingMonitor(
        context, bus, settings=MonitorSettings(watched_tick_s=600, watched_rescan_s=600),
        environ={"HOME": str(tmp_path / "home"), "HAFS_SYNC_CONFIG": str(tmp_path / "none")},
        watcher=watcher)
    monitor.start()
    try:
        snapshots.wait(lambda s: s.scanned and s.runs == (), "the first, empty scan")
        assert (runs, "tree") in monitor.watches.folders()

        run = runs / "watched-run"
        write_checkpoint(run, 10, loss_entries(10, 10), max_steps=100)
        snapshot = snapshots.wait(lambda s: [r.name for r in s.runs] == ["watched-run"],
                                  "the new run")
        assert (run, "run") in monitor.watches.folders()  # the run folder, recursively
        assert snapshot.runs[0].global_step == 10

        with MetricsWriter(run, max_steps=100) as writer:
            writer.log(20, {"loss": 1.5})
            writer.log(30, {"loss": 1.25})
            snapshots.wait(lambda s: s.runs and s.runs[0].global_step == 30, "step 30")
    finally:
        monitor.stop()
        watcher.stop()
    assert monitor.watches.folders() == []
