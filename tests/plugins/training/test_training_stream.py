"""The JSONL metrics stream: the writer, the HF callback (without transformers), the reader."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from studio.callbacks import METRICS_FILE, MetricsWriter, StudioCallback
from studio.plugins.training.readers.jsonl import MetricsStreamReader


def test_writer_reader_round_trip_with_non_finite_values(tmp_path):
    with MetricsWriter(tmp_path, max_steps=30, num_train_epochs=1) as writer:
        for step in (10, 20, 30):
            writer.log(step, {"loss": 3.0 - step / 10, "grad_norm": math.nan if step == 20
                              else 1.0, "lr": 1e-4, "text": "ignored", "ok": True},
                       epoch=step / 30)
    lines = (tmp_path / METRICS_FILE).read_text().splitlines()
    records = [json.loads(line) for line in lines]  # strict JSON: no bare NaN tokens
    assert [r["event"] for r in records] == ["start", "log", "log", "log", "end"]
    assert records[2]["metrics"]["grad_norm"] == "NaN"
    assert records[-1]["status"] == "completed" and records[0]["pid"] == os.getpid()
    reader = MetricsStreamReader(tmp_path / METRICS_FILE)
    result = reader.read()
    assert result.columns["loss"].step.tolist() == [10.0, 20.0, 30.0]
    assert math.isnan(result.columns["grad_norm"].value[1])
    assert set(result.columns) == {"loss", "grad_norm", "lr"}
    assert all(math.isfinite(w) for w in result.columns["loss"].wall)
    assert (result.progress.global_step, result.progress.max_steps) == (30, 30)
    assert [h.state for h in result.hints] == ["running", "completed"]
    assert reader.pid == os.getpid() and reader.argv == sys.argv


def test_partial_line_waits_corrupt_line_is_skipped(tmp_path):
    path = tmp_path / METRICS_FILE
    line = json.dumps({"time": 1.0, "event": "log", "step": 1, "metrics": {"loss": 2.0}})
    path.write_text(line + "\n" + "{not json\n" + line[:20])
    reader = MetricsStreamReader(path)
    first = reader.read()
    assert len(first.columns["loss"]) == 1 and reader.bad_lines == 1
    with open(path, "a") as handle:
        handle.write(line[20:].replace('"step": 1', '"step": 1') + "\n")
    second = reader.read()
    assert len(second.columns["loss"]) == 1 and second.bytes_read == len(line) - 20 + 1


def test_truncated_or_replaced_stream_resets(tmp_path):
    path = tmp_path / METRICS_FILE
    writer = MetricsWriter(path)
    for step in range(1, 6):
        writer.log(step, {"loss": 1.0})
    writer.close()
    reader = MetricsStreamReader(path)
    assert len(reader.read().columns["loss"]) == 5
    path.write_text(json.dumps({"time": 2.0, "step": 1, "metrics": {"loss": 9.0}}) + "\n")
    result = reader.read()
    assert result.reset and result.columns["loss"].value.tolist() == [9.0]


def test_context_manager_records_failure_and_stop(tmp_path):
    with pytest.raises(RuntimeError), MetricsWriter(tmp_path / "a") as writer:
        writer.log(1, {"loss": 1.0})
        raise RuntimeError("CUDA out of memory")
    end = json.loads((tmp_path / "a" / METRICS_FILE).read_text().splitlines()[-1])
    assert end == {**end, "event": "end", "status": "failed", "step": 1,
                   "error": "RuntimeError: CUDA out of memory"}
    hints = MetricsStreamReader(tmp_path / "a" / METRICS_FILE).read().hints
    assert hints[-1].state == "failed" and "CUDA out of memory" in hints[-1].message


def test_callback_duck_types_the_trainer_protocol(tmp_path):
    args = SimpleNamespace(output_dir=str(tmp_path), num_train_epochs=2, run_name="r1")
    state = SimpleNamespace(is_world_process_zero=True, global_step=0, max_steps=20, epoch=0.0)
    control = SimpleNamespace()
    callback = StudioCallback()
    with callback.guard():
        callback.on_init_end(args, state, control)  # any on_* event is accepted
        callback.on_train_begin(args, state, control)
        for step in (10, 20):
            state.global_step, state.epoch = step, step / 10
            callback.on_step_end(args, state, control)
            callback.on_log(args, state, control, logs={"loss": 1.0 / step, "epoch": state.epoch})
            callback.on_save(args, state, control)
        callback.on_some_future_event(args, state, control, model=None)
        callback.on_train_end(args, state, control)
    records = [json.loads(x) for x in (tmp_path / METRICS_FILE).read_text().splitlines()]
    assert [r["event"] for r in records] == ["start", "log", "save", "log", "save", "end"]
    assert records[0]["max_steps"] == 20 and records[0]["run"] == "r1"
    assert records[3]["metrics"] == {"loss": 0.05} and records[3]["epoch"] == 2.0
    with pytest.raises(AttributeError):
        callback.not_an_event  # noqa: B018
    other = SimpleNamespace(is_world_process_zero=False, global_step=1, max_steps=2, epoch=0)
    quiet = StudioCallback(output_dir=tmp_path / "rank1")
    quiet.on_train_begin(args, other, control)
    assert not (tmp_path / "rank1").exists()  # only the main process writes


def test_callbacks_import_without_transformers_or_numpy(tmp_path):
    source = Path(__file__).resolve().parents[3] / "studio" / "callbacks.py"
    script = ("import sys, importlib.util\n"
              f"spec = importlib.util.spec_from_file_location('callbacks', {str(source)!r})\n"
              "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
              f"w = m.MetricsWriter({str(tmp_path)!r}); w.log(1, {{'loss': 1.0}}); w.close()\n"
              "assert 'transformers' not in sys.modules and 'numpy' not in sys.modules\n")
    subprocess.run([sys.executable, "-S", "-c", script], check=True, timeout=60)
    assert (tmp_path / METRICS_FILE).read_text().count("\n") == 1
