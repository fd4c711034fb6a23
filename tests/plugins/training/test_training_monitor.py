"""Status rules, ETA, discovery (local, through a sync.toml mount, campaigns), the monitor."""

from __future__ import annotations

import json
import shutil
import time

import pytest
from training_helpers import hf_state, loss_entries, set_mtime, write_checkpoint

from studio.callbacks import MetricsWriter
from studio.core.events import EventBus
from studio.plugins.training.monitor import MonitorSettings, TrainingMonitor
from studio.plugins.training.readers.base import Progress, StatusHint
from studio.plugins.training.status import RateEstimator, RunStatus, decide_status, eta_seconds

NOW = 1_800_000_000.0
STALL = 1800.0


@pytest.mark.parametrize(("progress", "hint", "age", "expected"), [
    (Progress(global_step=10, max_steps=100), None, 60, RunStatus.RUNNING),
    (Progress(global_step=10, max_steps=100), None, 3600, RunStatus.STALLED),
    (Progress(global_step=100, max_steps=100), None, 3600, RunStatus.COMPLETED),
    (Progress(global_step=10, max_steps=100), StatusHint("failed", "boom"), 5, RunStatus.FAILED),
    (Progress(global_step=10), None, 3600, RunStatus.IDLE),  # no max: never "stalled"
    (Progress(), None, None, RunStatus.IDLE),
    (Progress(global_step=5, max_steps=9), StatusHint("stopped", "user"), 1, RunStatus.IDLE),
    (Progress(global_step=10, max_steps=100), None, -7200, RunStatus.RUNNING),  # clock skew
])
def test_status_rules(progress, hint, age, expected):
    last = None if age is None else NOW - age
    decision = decide_status(progress=progress, hint=hint, last_update=last, now=NOW,
                             stall_after_s=STALL)
    assert decision.status is expected


def test_eta_from_recent_rate_and_from_tqdm():
    rate = RateEstimator(window_s=60)
    for second in range(0, 100, 10):
        rate.add(NOW + second, second * 2)  # 2 steps per second
    assert rate.rate() == pytest.approx(2.0)
    progress = Progress(global_step=180, max_steps=380)
    assert eta_seconds(progress, rate.rate(), status=RunStatus.RUNNING, last_update=NOW,
                       now=NOW) == pytest.approx(100.0)
    tqdm = Progress(global_step=4, max_steps=252, eta_seconds=500.0)
    assert eta_seconds(tqdm, None, status=RunStatus.RUNNING, last_update=NOW - 100,
                       now=NOW) == 400.0
    assert eta_seconds(progress, 2.0, status=RunStatus.STALLED, last_update=NOW,
                       now=NOW) is None
    rate.add(NOW + 200, 10)  # resumed from an earlier checkpoint: the window restarts
    assert rate.rate() is None


def _monitor(context, bus=None, **settings):
    return TrainingMonitor(context, bus, settings=MonitorSettings(**settings),
                           environ={"HOME": str(context.parent / "home"),
                                    "HAFS_SYNC_CONFIG": str(context.parent / "sync.toml")})


def test_hf_run_folder_live_through_the_monitor(tmp_path):
    context = tmp_path / "context"
    run = context / "training" / "runs" / "my-run"
    run.mkdir(parents=True)
    write_checkpoint(run, 100, loss_entries(10, 100), max_steps=300)
    bus = EventBus()
    events = []
    bus.subscribe("training.*", events.append, thread="publisher")
    monitor = _monitor(context, bus)
    snapshot = monitor.refresh_now(rescan=True)
    (summary,) = snapshot.runs
    assert (summary.name, summary.kind, summary.status) == ("my-run", "hf", RunStatus.RUNNING)
    assert (summary.global_step, summary.max_steps, summary.loss) == (100, 300, 2.9)
    assert summary.best_loss == 2.9 and summary.loss_name == "loss"
    # The live stream arrives: its points win for "loss" (every logging step, wall times).
    with MetricsWriter(run, max_steps=300) as writer:
        for step in range(110, 160, 10):
            writer.log(step, {"loss": 2.0 - step / 1000})
    snapshot = monitor.refresh_now(rescan=True)
    (summary,) = snapshot.runs
    assert summary.global_step == 150 and summary.loss == pytest.approx(1.85)
    assert summary.status is RunStatus.COMPLETED  # the stream's end event says completed
    assert summary.id in snapshot.changed
    as_json = summary.as_json()
    assert as_json["status"] == "Completed" and as_json["last_update"].endswith("+00:00")
    assert set(as_json) >= {"global_step", "max_steps", "status", "eta_seconds", "loss",
                            "best_metric"}
    assert json.dumps(as_json)  # serialisable (hafs's --json crashed on datetimes)
    assert any(e.topic == "training.runs" for e in events)


def test_hafs_training_root_through_a_sync_mount_with_staleness(tmp_path, training_data):
    mount = tmp_path / "Mounts" / "mm-d" / "hafs_training"
    name = "oracle-rauru-assembler-qwen25-coder-15b-20251222"
    (mount / "logs").mkdir(parents=True)
    log = mount / "logs" / f"training_{name}_20251222_000914.log"
    shutil.copy(training_data / "hafs_training_oracle_rauru.log", log)
    (mount / "logs" / f"training_{name}_20251222_000914.err.log").write_text("warning\n")
    model = mount / "models" / name
    model.mkdir(parents=True)
    write_checkpoint(model, 4, loss_entries(1, 4, 1), max_steps=252)
    (tmp_path / "sync.toml").write_text(
        f'[mounts.windows-training]\nlocal_path = "{mount}"\nremote_path = "D:/hafs_training"\n'
        '[mounts.broken]\nlocal_path = "/nonexistent"\nremote_path = "E:/x"\n')
    context = tmp_path / "context"
    context.mkdir()
    monitor = _monitor(context)
    fresh = time.time()
    for path in (log, model / "checkpoint-4" / "trainer_state.json"):
        set_mtime(path, fresh - 60)
    (summary,) = monitor.refresh_now(rescan=True).runs
    assert (summary.name, summary.kind, summary.origin) == (name, "hafs-finetune",
                                                           "mount:windows-training")
    assert summary.status is RunStatus.RUNNING and summary.max_steps == 252
    assert summary.eta_seconds is not None and summary.eta_seconds > 14 * 3600
    assert summary.log_file == str(log)
    # hafs: not running once both the log and the checkpoint are 30+ minutes old.
    for path in (log, model / "checkpoint-4" / "trainer_state.json"):
        set_mtime(path, fresh - 31 * 60)
    (summary,) = monitor.refresh_now().runs
    assert summary.status is RunStatus.STALLED and "no update for 31 min" in summary.status_reason
    # A log whose model folder does not exist yet is still a run.
    (mount / "logs" / "training_next-model_20251223_101010.log").write_text("starting\n")
    names = {s.name for s in monitor.refresh_now(rescan=True).runs}
    assert names == {name, "next-model"}


def test_campaign_from_status_files_and_log(tmp_path):
    context = tmp_path / "context"
    training = context / "training"
    training.mkdir(parents=True)
    (context / "logs").mkdir()
    log = context / "logs" / "campaign_asm_20251222_180000.log"
    log.write_text("2025-12-22 18:00:00,001 INFO Target: 1000 samples\n"
                   "2025-12-22 18:10:00,500 INFO Progress: 200/1000\n")
    (training / "campaign_status.json").write_text(json.dumps(
        {"launched": True, "pid": 999999, "log_path": str(log), "target": 1000,
         "launch_time": "2025-12-22T18:00:00", "validation": {}}))
    (training / "campaign_monitor_status.json").write_text(json.dumps(
        {"progress": 250, "total": 1000, "percentage": 25.0, "is_running": True,
         "last_update": "2025-12-22T18:11:00"}))
    monitor = _monitor(context)
    (summary,) = monitor.refresh_now(rescan=True).runs
    assert summary.kind == "campaign" and summary.global_step == 250
    assert summary.max_steps == 1000 and summary.log_file == str(log)
    (training / "campaign_monitor_status.json").write_text('{"progress": 2')  # mid-write
    (summary,) = monitor.refresh_now().runs
    assert summary.global_step == 250  # the last good data stays
    (training / "campaign_status.json").write_text(json.dumps(
        {"launched": False, "error": "validation not approved", "launch_time": "x"}))
    (summary,) = monitor.refresh_now().runs
    assert summary.status is RunStatus.FAILED and "validation not approved" in \
        summary.status_reason


def test_user_folders_setting_and_find(tmp_path):
    context = tmp_path / "context"
    context.mkdir()
    outside = tmp_path / "experiments"
    for name in ("alpha", "beta"):
        (outside / name).mkdir(parents=True)
        (outside / name / "trainer_state.json").write_text(hf_state(loss_entries(10, 50)))
    (outside / "not-a-run").mkdir()
    (outside / "not-a-run" / "notes.log").write_text("hello\n")
    monitor = _monitor(context, run_folders=(outside,))
    runs = monitor.refresh_now(rescan=True).runs
    assert sorted(r.name for r in runs) == ["alpha", "beta"]
    assert monitor.find("alp").source.name == "alpha"
    with pytest.raises(KeyError, match="matches no run"):
        monitor.find("gamma")
    single = _monitor(context, run_folders=(outside / "beta",))
    assert [r.name for r in single.refresh_now(rescan=True).runs] == ["beta"]


def test_clock_skew_on_a_mount_reads_as_just_updated(tmp_path):
    context = tmp_path / "context"
    run = context / "training" / "runs" / "skewed"
    run.mkdir(parents=True)
    state = write_checkpoint(run, 10, loss_entries(1, 10, 1), max_steps=100)
    set_mtime(state, time.time() + 7200)  # the file server's clock is two hours ahead
    monitor = _monitor(context)
    (summary,) = monitor.refresh_now(rescan=True).runs
    assert summary.status is RunStatus.RUNNING and summary.status_reason == "updated 0 s ago"
    from studio.plugins.training.present import time_ago

    assert time_ago(summary.last_update) == "just now"


def test_settings_reconfigure_the_studio_monitor(studio, tmp_path):
    from studio.plugins.training.api import training

    folder = tmp_path / "elsewhere" / "exp"
    folder.mkdir(parents=True)
    (folder / "trainer_state.json").write_text(hf_state(loss_entries(10, 30)))
    service = training(studio)
    assert not service.live  # the CLI and core tests start no thread
    assert service.monitor.refresh_now(rescan=True).runs == ()
    studio.settings.set("training", "run_folders", f"{tmp_path / 'nowhere'}; {folder.parent}")
    studio.settings.set("training", "stall_minutes", 5)
    assert service.monitor.settings.stall_after_s == 300
    assert [r.name for r in service.monitor.refresh_now(rescan=True).runs] == ["exp"]
