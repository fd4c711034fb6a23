"""The demo trainer, ``hafs-studio training …`` and ``demo train`` as real subprocesses, and
stopping real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from studio.plugins.training.api import training
from studio.plugins.training.demo.trainer import DemoConfig, train_demo
from studio.plugins.training.monitor import MonitorSettings, TrainingMonitor
from studio.plugins.training.readers.trainer_state import TrainerStateReader
from studio.plugins.training.status import RunStatus
from studio.plugins.training.stop import find_run_process, stop_process

ROOT = Path(__file__).resolve().parents[3]


def test_demo_trainer_really_learns_and_writes_hf_layout(tmp_path):
    out = tmp_path / "run"
    seen = []
    result = train_demo(DemoConfig(out, max_steps=120, seed=3),
                        progress=lambda step, total, loss: seen.append((step, loss)))
    assert result.status == "completed" and result.steps == 120
    assert result.first_loss > 3.5 and result.final_loss < result.first_loss - 1.0
    assert result.eval_loss is not None and result.eval_loss < result.first_loss
    assert [s for s, _ in seen] == list(range(1, 121))
    assert sorted(p.name for p in out.glob("checkpoint-*")) == ["checkpoint-100",
                                                                "checkpoint-120",
                                                                "checkpoint-50"]
    state = json.loads((out / "trainer_state.json").read_text())
    assert state["global_step"] == 120 and state["max_steps"] == 120
    assert list(state) == sorted(state)  # HF writes sorted keys
    assert state["best_model_checkpoint"].endswith("checkpoint-120")
    read = TrainerStateReader(out).read()
    assert {"loss", "eval_loss", "grad_norm", "learning_rate"} <= set(read.columns)
    log = (out / "train.log").read_bytes().decode()
    assert "\r" in log and "120/120" in log and "'train_runtime'" in log
    events = [json.loads(x)["event"] for x in (out / "studio_metrics.jsonl").read_text().split(
        "\n") if x]
    assert events[0] == "start" and events[-1] == "end" and events.count("save") == 3


def _env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = dict(os.environ, HAFS_STUDIO_HOME=str(home / "studio"), HOME=str(home),
               COLUMNS="200", PYTHONPATH=str(ROOT),
               HAFS_SYNC_CONFIG=str(tmp_path / "no-sync.toml"))
    env.pop("DISPLAY", None)
    env.pop("QT_QPA_PLATFORM", None)
    return env


def _cli(tmp_path: Path, *args: str, input_text: str | None = None
         ) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "studio", "--context", str(tmp_path / "context"), *args]
    return subprocess.run(command, check=False, capture_output=True, text=True,
                          env=_env(tmp_path), input=input_text, timeout=180)


def test_cli_demo_then_status_show_logs_history(tmp_path):
    trained = _cli(tmp_path, "demo", "train", "--steps", "60")
    assert trained.returncode == 0, trained.stderr
    out = Path(trained.stdout.strip())
    assert out.parent == tmp_path / "context" / "training" / "runs"
    status = _cli(tmp_path, "training", "status", "--json")
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)
    (run,) = data["runs"]
    assert run["status"] == "Completed" and run["global_step"] == run["max_steps"] == 60
    assert run["eta_seconds"] == 0.0 and run["loss"] < 3.5 and run["best_metric"] is not None
    assert data["gpu_state"].startswith("no NVIDIA GPU") and data["system"]["cpu_percent"] >= 0
    table = _cli(tmp_path, "training", "status")
    assert out.name in table.stdout and "Completed" in table.stdout
    shown = _cli(tmp_path, "training", "show", out.name[:12], "--json")
    assert shown.returncode == 0, shown.stderr
    metrics = json.loads(shown.stdout)["metric_summary"]
    assert metrics["loss"]["points"] == 12 and metrics["eval_loss"]["points"] == 2
    logs = _cli(tmp_path, "training", "logs", out.name, "-n", "3")
    assert logs.returncode == 0 and "'train_runtime'" in logs.stdout
    assert "\r" not in logs.stdout  # tqdm refreshes folded to the newest
    missing = _cli(tmp_path, "training", "show", "nope")
    assert missing.returncode == 1 and "matches no run" in missing.stderr
    history = _cli(tmp_path, "training", "history", "--json")
    assert json.loads(history.stdout) == {"runs": [], "total": 0}


def test_cli_history_and_show_follow_hafs(tmp_path, training_data):
    dataset = tmp_path / "context" / "training" / "datasets" / "asm_20251221_195746"
    dataset.mkdir(parents=True)
    (dataset / "metadata.json").write_text(json.dumps(
        {"name": "asm", "created": "20251221_195746", "template": "alpaca", "train_count": 504,
         "val_count": 63, "test_count": 63, "domains": ["asm", "yaze"]}))
    (dataset / "stats.json").write_text(json.dumps(
        {"total_generated": 1000, "passed_quality": 700, "deduplicated": 650, "final_count": 630,
         "domain_counts": {"asm": 400, "yaze": 230}, "quality_scores": {"average": 0.71},
         "duration_seconds": 5400.0}))
    history = _cli(tmp_path, "training", "history")
    assert "asm_20251221_195746" in history.stdout and "630 / 504" in history.stdout
    assert "1.5h" in history.stdout and "71%" in history.stdout
    shown = json.loads(_cli(tmp_path, "training", "show", "asm_20251221_195746",
                            "--json").stdout)
    assert shown["domain_counts"] == {"asm": 400, "yaze": 230}


def _start_demo(tmp_path: Path, steps: int = 100000) -> tuple[subprocess.Popen, Path]:
    out = tmp_path / "context" / "training" / "runs" / "live"
    process = subprocess.Popen([sys.executable, "-m", "studio.plugins.training.demo", str(out),
                                str(steps), "0.02"], env=_env(tmp_path),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not (out / "studio_metrics.jsonl").exists() or \
            (out / "studio_metrics.jsonl").stat().st_size < 200:
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    return process, out


def test_stop_a_live_run_verifies_then_terminates(tmp_path):
    process, out = _start_demo(tmp_path)
    try:
        monitor = TrainingMonitor(tmp_path / "context", settings=MonitorSettings(),
                                  environ=_env(tmp_path))
        (summary,) = monitor.refresh_now(rescan=True).runs
        assert summary.status is RunStatus.RUNNING and summary.pid == process.pid
        run = monitor.run(summary.id)
        target = find_run_process(run)
        assert target is not None and target.pid == process.pid
        assert target.why == "pid in the metrics stream"
        assert stop_process(target, grace_s=20) == "terminated"
        assert process.wait(timeout=20) == 0
        last = json.loads((out / "studio_metrics.jsonl").read_text().splitlines()[-1])
        assert last["event"] == "end" and last["status"] == "stopped"
        (summary,) = monitor.refresh_now().runs
        assert summary.status is RunStatus.IDLE and summary.status_reason.startswith("stopped")
        assert find_run_process(monitor.run(summary.id)) is None  # gone: nothing to signal
    finally:
        if process.poll() is None:
            process.kill()


def test_a_reused_pid_is_never_signalled(tmp_path):
    out = tmp_path / "context" / "training" / "runs" / "old"
    out.mkdir(parents=True)
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        # Same pid and even the same command line, but the process is younger than the run's
        # start event: the pid was reused.
        record = {"time": time.time() - 3600, "event": "start", "pid": stranger.pid,
                  "argv": ["-c", "import time; time.sleep(60)"]}
        (out / "studio_metrics.jsonl").write_text(json.dumps(record) + "\n")
        monitor = TrainingMonitor(tmp_path / "context", environ=_env(tmp_path))
        (summary,) = monitor.refresh_now(rescan=True).runs
        assert find_run_process(monitor.run(summary.id)) is None
        assert stranger.poll() is None
    finally:
        stranger.kill()
        stranger.wait()


def test_stop_a_hafs_campaign_by_pid_file_and_cli(tmp_path):
    training = tmp_path / "context" / "training"
    training.mkdir(parents=True)
    campaign = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)",
                                 "generate_campaign", "--target", "10"])
    try:
        (training / "campaign.pid").write_text(f"{campaign.pid}\n")
        refused = _cli(tmp_path, "training", "stop", input_text="n\n")
        assert refused.returncode == 1 and f"pid {campaign.pid}" in refused.stdout
        assert campaign.poll() is None
        stopped = _cli(tmp_path, "training", "stop", "--force", "--timeout", "5")
        assert stopped.returncode == 0, stopped.stderr
        assert campaign.wait(timeout=10) != 0  # killed by SIGTERM
        assert "terminated" in stopped.stderr
    finally:
        if campaign.poll() is None:
            campaign.kill()


def test_stale_campaign_pid_of_another_program_is_ignored(tmp_path):
    training = tmp_path / "context" / "training"
    training.mkdir(parents=True)
    (training / "campaign.pid").write_text(f"{os.getppid()}\n")  # alive, but not a campaign
    result = _cli(tmp_path, "training", "stop", "--force")
    if any("generate_campaign" in " ".join(p.info["cmdline"] or [])
           for p in psutil.process_iter(["cmdline"])):
        pytest.skip("another campaign-like process runs on this machine")
    assert result.returncode == 1 and "no running process" in result.stderr
    assert psutil.pid_exists(os.getppid())


def test_a_demo_run_started_by_the_studio_is_stopped_by_its_process_service(studio):
    service = training(studio)
    out = service.start_demo_run(steps=100000, step_delay=0.02)
    (own,) = studio.services.process.processes(owner="training")
    stream = out / "studio_metrics.jsonl"
    deadline = time.monotonic() + 60
    while not stream.exists() or stream.stat().st_size < 200:
        assert own.running and time.monotonic() < deadline
        time.sleep(0.05)
    (summary,) = service.monitor.refresh_now(rescan=True).runs
    target = find_run_process(service.monitor.run(summary.id))
    assert target is not None and target.pid == own.pid
    assert service.managed_process(target.pid) is own
    assert service.stop_target(target, grace_s=20) == "terminated"
    assert own.wait(timeout=20) == 0 and service.managed_process(target.pid) is None
    last = json.loads(stream.read_text().splitlines()[-1])
    assert last["event"] == "end" and last["status"] == "stopped"
