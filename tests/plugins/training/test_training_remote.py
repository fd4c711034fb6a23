"""Runs on a host over SSH, through the real OpenSSH server on 127.0.0.1.

The server serves this machine's disk, so the "remote" training root is a temp folder the test
writes to as the trainer on the GPU box would; the monitor sees it only through the shared
remote service (list_dir, stat, read_from) and its local copies.
"""

from __future__ import annotations

import json
import shutil
import time

import pytest
from training_helpers import loss_entries, set_mtime, write_checkpoint

from studio.core.events import EventBus
from studio.core.remote_manager import RemoteManager
from studio.core.remote_state import Backoff
from studio.plugins.training.monitor import MonitorSettings, TrainingMonitor
from studio.plugins.training.remote_runs import RemoteRoot, parse_remote_roots
from studio.plugins.training.status import RunStatus
from studio.testing.real_parts import missing_real_part
from studio.testing.sshd import configure_host, start_sshd

FAST = Backoff(first_s=0.05, factor=2.0, max_s=0.2, attempts=3)
HOST = "medical-mechanica"
MODEL = "oracle-rauru-assembler-qwen25-coder-15b-20251222"


@pytest.fixture
def own_host(tmp_path):
    """An sshd of this test alone (its connections are dropped on purpose)."""
    try:
        server = start_sshd(tmp_path / "own-sshd")
    except RuntimeError as exc:
        missing_real_part(f"cannot run a local sshd (openssh-server): {exc}")
    yield configure_host(server, tmp_path / "ssh-host")
    server.stop()


@pytest.fixture
def manager(own_host, tmp_path):
    manager = RemoteManager(EventBus(), sync_path=own_host.sync_path,
                            nodes_path=tmp_path / "nodes.toml", backoff=FAST)
    yield manager
    manager.shutdown()


def _monitor(tmp_path, manager, root: str, **settings) -> TrainingMonitor:
    context = tmp_path / "context"
    context.mkdir(exist_ok=True)
    settings.setdefault("remote_sync_s", 0.0)
    return TrainingMonitor(
        context, settings=MonitorSettings(remote_roots=(RemoteRoot(HOST, root),), **settings),
        environ={"HOME": str(tmp_path / "home"), "HAFS_SYNC_CONFIG": str(tmp_path / "none")},
        remote=manager.host, mirror_root=tmp_path / "cache" / "training-remote")


def test_the_setting_names_hosts_and_folders():
    assert parse_remote_roots("gpu-box; mm:D:/runs\nlab:/srv/exp/", "D:/hafs_training") == (
        RemoteRoot("gpu-box", "D:/hafs_training"), RemoteRoot("mm", "D:/runs"),
        RemoteRoot("lab", "/srv/exp"))
    with pytest.raises(ValueError, match=r"'bad host' is not a host name"):
        parse_remote_roots("bad host:/x", "D:/hafs_training")


def test_a_hafs_fine_tune_on_the_host_is_followed_incrementally(tmp_path, manager,
                                                                training_data):
    root = tmp_path / "gpu-box" / "hafs_training"
    (root / "logs").mkdir(parents=True)
    log = root / "logs" / f"training_{MODEL}_20251222_000914.log"
    shutil.copy(training_data / "hafs_training_oracle_rauru.log", log)
    model = root / "models" / MODEL
    state = write_checkpoint(model, 4, loss_entries(1, 4, 1), max_steps=252)
    (root / "models" / "finished-adapter").mkdir()  # no state, no log: not a run
    fresh = time.time()
    for path in (log, state):
        set_mtime(path, fresh - 60)
    monitor = _monitor(tmp_path, manager, str(root))

    (summary,) = monitor.refresh_now(rescan=True).runs
    assert (summary.name, summary.kind, summary.origin) == (MODEL, "hafs-finetune",
                                                           f"host:{HOST}")
    assert summary.status is RunStatus.RUNNING and summary.max_steps == 252
    assert summary.global_step is not None and summary.global_step >= 4
    assert summary.loss is not None and summary.errors == ()
    # The copies carry the host's mtimes: staleness means what it means locally.
    assert abs(summary.last_update - (fresh - 60)) < 1

    run = monitor.run(summary.id)
    mirror = monitor._remote[summary.id][1]
    fetched = mirror.bytes_fetched
    assert fetched >= log.stat().st_size + state.stat().st_size
    monitor.refresh_now()
    assert mirror.bytes_fetched == fetched  # nothing changed: nothing fetched
    line = "{'loss': 0.125, 'probe_metric': 0.5, 'learning_rate': 1e-05, 'epoch': 0.05}\n"
    with log.open("a") as handle:
        handle.write(line)
    monitor.refresh_now()
    assert mirror.bytes_fetched - fetched == len(line)  # only the appended bytes moved
    assert run.series("probe_metric").value.tolist() == [0.5]  # a metric only the log has

    write_checkpoint(model, 8, loss_entries(1, 8, 1), max_steps=252)
    (summary,) = monitor.refresh_now(rescan=True).runs
    assert summary.global_step >= 8


def test_a_dropped_connection_keeps_the_run_and_resumes(tmp_path, manager, own_host):
    root = tmp_path / "runs"
    run_folder = root / "exp-1"
    write_checkpoint(run_folder, 10, loss_entries(10, 10), max_steps=100)
    (run_folder / "train.log").write_text("{'loss': 2.5, 'probe_metric': 1.0, 'epoch': 0.1}\n")
    monitor = _monitor(tmp_path, manager, str(root), host_retry_s=0.0)
    (summary,) = monitor.refresh_now(rescan=True).runs
    assert (summary.name, summary.kind, summary.global_step) == ("exp-1", "hf", 10)

    own_host.server.stop()  # the host goes away mid-run
    with (run_folder / "train.log").open("a") as handle:
        handle.write("{'loss': 2.25, 'probe_metric': 2.0, 'epoch': 0.2}\n")
    (summary,) = monitor.refresh_now(rescan=True).runs  # the run stays, with what was read
    assert summary.global_step == 10
    assert monitor.run(summary.id).series("probe_metric").value.tolist() == [1.0]
    assert any(HOST in error for error in summary.errors), summary.errors
    assert any(HOST in error for error in monitor.scan_errors), monitor.scan_errors

    own_host.server.restart()
    (summary,) = monitor.refresh_now(rescan=True).runs
    assert summary.errors == ()
    assert monitor.run(summary.id).series("probe_metric").value.tolist() == [1.0, 2.0]


def test_a_file_name_from_the_host_cannot_leave_the_mirror(tmp_path):
    from studio.api import RemoteError
    from studio.plugins.training.remote_runs import RemoteMirror

    mirror = RemoteMirror(tmp_path / "mirror")
    with pytest.raises(RemoteError, match=r"not a plain relative path"):
        mirror.local("../../etc/passwd")
    with pytest.raises(RemoteError, match=r"not a plain relative path"):
        mirror.local("/etc/passwd")


# -- nvidia-smi over SSH --------------------------------------------------------------------------
CAPTURE_FIELDS = ("timestamp", "utilization.gpu", "utilization.memory", "memory.used",
                  "memory.free", "temperature.gpu", "power.draw")
STAND_IN = '''#!{python}
"""A stand-in nvidia-smi: replays lines captured from a real GPU (tests/data/training)."""
import sys, time
args = sys.argv[1:]
query = next(a for a in args if a.startswith("--query-gpu="))
if query != "--query-gpu={fields}" or "--format=csv,noheader,nounits" not in args:
    sys.exit("stand-in nvidia-smi: unexpected arguments " + " ".join(args))
interval = int(args[args.index("-lms") + 1]) / 1000
lines = open({capture!r}).read().splitlines()
while True:
    for line in lines:
        print(line, flush=True)
        time.sleep(interval)
'''


def test_remote_gpu_telemetry_streams_real_nvidia_smi_output(tmp_path, manager, own_host,
                                                             training_data):
    import sys
    import threading

    from studio.plugins.training.alerts import TrainingAlert
    from studio.plugins.training.nvidia_smi import NvidiaSmiParser
    from studio.plugins.training.remote_telemetry import RemoteGpuStream
    from studio.plugins.training.telemetry import TelemetrySample

    capture = training_data / "nvidia_smi_noheader_units.csv"
    stand_in = tmp_path / "bin" / "nvidia-smi"
    stand_in.parent.mkdir()
    stand_in.write_text(STAND_IN.format(python=sys.executable, fields=",".join(CAPTURE_FIELDS),
                                        capture=str(capture)))
    stand_in.chmod(0o755)
    expected = NvidiaSmiParser(CAPTURE_FIELDS).feed(capture.read_text().splitlines())

    bus = EventBus()
    got: list[TelemetrySample] = []
    alerts: list[TrainingAlert] = []
    arrived = threading.Condition()

    def on(event) -> None:
        with arrived:
            (got if isinstance(event, TelemetrySample) else alerts).append(event)
            arrived.notify_all()

    bus.subscribe("training.*", on, thread="publisher")
    stream = RemoteGpuStream(HOST, manager.host, bus, executable=str(stand_in),
                             fields=CAPTURE_FIELDS, interval_ms=20, retry_s=0.1)

    def wait_until(condition, what: str) -> None:
        with arrived:
            if not arrived.wait_for(condition, timeout=60):
                raise AssertionError(f"timed out waiting for {what} ({stream.state})")

    stream.start()
    try:
        wait_until(lambda: len(got) >= len(expected), "a full replay")
        assert all(sample.source == f"host:{HOST}" for sample in got)
        for sample, want in zip(got, expected, strict=False):
            (gpu,) = sample.gpus
            assert (gpu.utilization, gpu.memory_used_mib, gpu.memory_total_mib,
                    gpu.temperature_c, gpu.power_w) == (
                want.utilization, want.memory_used_mib, want.memory_total_mib,
                want.temperature_c, want.power_w)
        # 20137 of 20148 MiB used in the capture: the memory alert names the host.
        wait_until(lambda: any("memory almost full" in a.title for a in alerts), "the alert")
        assert any(HOST in a.title for a in alerts)

        before = len(got)
        assert own_host.server.drop_connections() >= 1  # the network drops the connection
        wait_until(lambda: len(got) >= before + 5, "samples after the reconnect")
    finally:
        stream.stop()


def test_the_studio_streams_the_gpus_of_the_remote_runs_hosts(studio):
    from studio.plugins.training.api import training

    service = training(studio)
    studio.settings.set("training", "remote_runs", "unknown-box:/srv/runs")
    service.start_live()
    try:
        stream = service.gpu_streams["unknown-box"]
        deadline = time.monotonic() + 30
        while "unknown-box" not in stream.state and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "unknown-box" in stream.state  # names the host it cannot reach
        studio.settings.set("training", "remote_runs", "")
        assert service.gpu_streams == {}
    finally:
        service.close()


def test_a_remote_run_is_verified_then_stopped_over_ssh(tmp_path, manager, process_manager):
    import json

    from studio.plugins.training.demo.launch import start_demo
    from studio.plugins.training.remote_stop import find_remote_process, stop_remote_process

    root = tmp_path / "gpu-box-runs"
    out = root / "live-demo"
    trainer = start_demo(process_manager, out, 100000, 0.02)  # "on the host": its disk
    stream = out / "studio_metrics.jsonl"
    deadline = time.monotonic() + 60
    while not stream.exists() or stream.stat().st_size < 200:
        assert trainer.running and time.monotonic() < deadline
        time.sleep(0.05)
    monitor = _monitor(tmp_path, manager, str(root))
    (summary,) = monitor.refresh_now(rescan=True).runs
    assert summary.origin == f"host:{HOST}" and summary.status is RunStatus.RUNNING
    run = monitor.run(summary.id)
    host = manager.host(HOST)

    target = find_remote_process(run, host)
    assert target is not None and target.pid == trainer.pid and target.host == HOST
    assert target.why.startswith("pid") and str(out) in target.command
    assert stop_remote_process(host, target, grace_s=20) == "terminated"
    assert trainer.wait(timeout=20) == 0
    last = json.loads(stream.read_text().splitlines()[-1])
    assert last["event"] == "end" and last["status"] == "stopped"
    assert find_remote_process(run, host) is None  # gone: nothing to signal
    assert stop_remote_process(host, target) == "gone"


def test_a_stranger_with_the_recorded_pid_is_not_signalled(tmp_path, manager, process_manager):
    from studio.plugins.training.remote_stop import find_remote_process

    root = tmp_path / "runs"
    run_folder = root / "old-run"
    run_folder.mkdir(parents=True)
    stranger = process_manager.spawn(["sleep", "60"], name="stranger")
    (run_folder / "studio_metrics.jsonl").write_text(json.dumps(
        {"event": "start", "step": 0, "time": time.time(), "pid": stranger.pid,
         "argv": ["python", "train.py", "--out", str(run_folder)]}) + "\n")
    monitor = _monitor(tmp_path, manager, str(root))
    (summary,) = monitor.refresh_now(rescan=True).runs
    assert find_remote_process(monitor.run(summary.id), manager.host(HOST)) is None
    assert stranger.running


def test_where_a_run_is_reads_plainly():
    from studio.plugins.training.present import format_origin

    assert format_origin(f"host:{HOST}") == f"{HOST} (SSH)"
    assert format_origin("mount:windows-training") == "windows-training (mount)"
    assert format_origin("local") == "local"
