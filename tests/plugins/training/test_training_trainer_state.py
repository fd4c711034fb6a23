"""trainer_state.json: the real file, incremental checkpoints, half-written files, NaN."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
from training_helpers import hf_state, loss_entries, write_checkpoint

from studio.plugins.training.readers.trainer_state import (
    TrainerStateReader,
    trainer_state_file,
)
from studio.plugins.training.series import MetricStore


def _store(result) -> MetricStore:
    store = MetricStore()
    store.add_batches(result.columns)
    return store


def test_real_file_every_numeric_key(tmp_path, aigoncharov_state):
    shutil.copy(aigoncharov_state, tmp_path / "trainer_state.json")
    result = TrainerStateReader(tmp_path).read()
    document = json.loads(aigoncharov_state.read_text())
    store = _store(result)
    expected = {key for entry in document["log_history"] for key, value in entry.items()
                if key not in ("step", "epoch") and isinstance(value, int | float)}
    assert set(store.names()) == expected
    assert {"eval_g0_loss", "loss"} <= expected  # eval groups and 30 training entries
    for key in expected:
        values = [e[key] for e in document["log_history"] if key in e]
        view = store.view(key)
        np.testing.assert_array_equal(view.value, values)
        assert view.step.tolist() == [float(e["step"]) for e in document["log_history"]
                                      if key in e]
    progress = result.progress
    assert (progress.global_step, progress.max_steps) == (12030, 12030)
    assert progress.epoch == 30.0 and progress.num_train_epochs == 30
    assert progress.best_metric is None and progress.best_model_checkpoint is None
    assert result.reset and not result.partial


def test_new_checkpoint_reads_only_new_bytes(tmp_path):
    reader = TrainerStateReader(tmp_path)
    first = write_checkpoint(tmp_path, 500, loss_entries(10, 500))
    result = reader.read()
    assert len(result.columns["loss"]) == 50 and result.reset
    second = write_checkpoint(tmp_path, 1000, loss_entries(10, 1000), best=1.9)
    result = reader.read()
    size = second.stat().st_size
    assert not result.reset and reader.full_parses == 1
    assert result.bytes_read < size - first.stat().st_size + 2000  # only the new part (+head)
    assert result.columns["loss"].step.tolist() == [float(s) for s in range(510, 1001, 10)]
    assert result.progress.global_step == 1000 and result.progress.best_metric == 1.9
    # The incremental result equals a full parse of the same file.
    fresh = TrainerStateReader(second).read()
    combined = MetricStore()
    combined.add_batches(TrainerStateReader(first).read().columns)
    combined.add_batches(result.columns)
    for name in ("loss", "grad_norm", "learning_rate"):
        np.testing.assert_array_equal(combined.view(name).value, fresh.columns[name].value)
    assert reader.read().columns == {}  # nothing changed: nothing read


def test_top_level_state_wins_when_newer(tmp_path):
    write_checkpoint(tmp_path, 100, loss_entries(10, 100))
    (tmp_path / "trainer_state.json").write_text(hf_state(loss_entries(10, 120), max_steps=120))
    assert trainer_state_file(tmp_path) == tmp_path / "trainer_state.json"
    write_checkpoint(tmp_path, 9, loss_entries(1, 9, 1))  # a lower N never wins
    assert trainer_state_file(tmp_path) == tmp_path / "trainer_state.json"


def test_half_written_file_keeps_last_good_data(tmp_path):
    reader = TrainerStateReader(tmp_path)
    write_checkpoint(tmp_path, 100, loss_entries(10, 100))
    good = reader.read()
    text = hf_state(loss_entries(10, 200), global_step=200)
    broken = tmp_path / "checkpoint-200" / "trainer_state.json"
    broken.parent.mkdir()
    broken.write_text(text[: len(text) // 2])  # caught mid-write
    result = reader.read()
    assert result.partial and result.columns == {} and "checkpoint-200" in result.error
    assert reader._progress.global_step == 100  # the last good progress stays
    broken.write_text(text)  # the writer finished
    result = reader.read()
    assert not result.partial and result.progress.global_step == 200
    assert len(good.columns["loss"]) + len(result.columns["loss"]) == 20


def test_nan_infinity_tokens_and_odd_values(tmp_path):
    entries = [{"step": 1, "loss": 2.0, "grad_norm": math.nan, "epoch": 0.1},
               {"step": 2, "loss": math.inf, "note": "text", "flag": True, "epoch": 0.2},
               {"step": 3, "loss": "1.5", "epoch": None}]
    (tmp_path / "trainer_state.json").write_text(hf_state(entries))  # json writes NaN tokens
    assert "NaN" in (tmp_path / "trainer_state.json").read_text()
    store = _store(TrainerStateReader(tmp_path).read())
    assert store.names() == ["grad_norm", "loss"]
    values = store.view("loss").value
    assert values[0] == 2.0 and math.isinf(values[1]) and values[2] == 1.5
    assert math.isnan(store.view("grad_norm").value[0])
    assert math.isnan(store.view("loss").epoch[2])


def test_missing_keys_and_empty_history(tmp_path):
    path = tmp_path / "trainer_state.json"
    path.write_text(json.dumps({"log_history": [{"loss": 1.0}]}))
    result = TrainerStateReader(tmp_path).read()
    assert result.progress.max_steps is None and result.progress.global_step is None
    assert math.isnan(result.columns["loss"].step[0])  # no step: kept, x unknown
    path.write_text(json.dumps({"global_step": 0}))
    assert TrainerStateReader(tmp_path).read().columns == {}
    path.write_text("[]")
    assert TrainerStateReader(tmp_path).read().partial


def test_resumed_from_earlier_checkpoint_resets(tmp_path):
    reader = TrainerStateReader(tmp_path)
    write_checkpoint(tmp_path, 300, loss_entries(10, 300))
    reader.read()
    shutil.rmtree(tmp_path / "checkpoint-300")
    other = [dict(e, loss=e["loss"] + 1) for e in loss_entries(10, 200)]
    write_checkpoint(tmp_path, 200, other)  # a different history: not a continuation
    result = reader.read()
    assert result.reset and reader.full_parses == 2
    assert result.columns["loss"].value[0] == other[0]["loss"]
