"""Helpers the Training plugin tests import by name (conftest only holds fixtures: several
plugins' conftest modules share that name, so importing from one is order-dependent)."""

from __future__ import annotations

import json
import os
from pathlib import Path


def hf_state(entries: list[dict], *, global_step: int | None = None, max_steps: int = 1000,
             epoch: float = 0.0, best: float | None = None) -> str:
    """A trainer_state.json exactly as transformers writes it (indent 2, sorted keys)."""
    step = global_step if global_step is not None else (entries[-1]["step"] if entries else 0)
    state = {"best_global_step": None, "best_metric": best, "best_model_checkpoint": None,
             "epoch": epoch, "eval_steps": 500, "global_step": step,
             "is_hyper_param_search": False, "is_local_process_zero": True,
             "is_world_process_zero": True, "log_history": entries, "logging_steps": 10,
             "max_steps": max_steps, "num_input_tokens_seen": 0, "num_train_epochs": 3,
             "save_steps": 100, "stateful_callbacks": {}, "total_flos": 1.5e15,
             "train_batch_size": 8, "trial_name": None, "trial_params": None}
    return json.dumps(state, indent=2, sort_keys=True) + "\n"


def loss_entries(first: int, last: int, every: int = 10) -> list[dict]:
    return [{"epoch": round(step / 1000, 4), "grad_norm": 1.0 / step,
             "learning_rate": 5e-05 * (1 - step / 2000), "loss": round(3.0 - step / 1000, 4),
             "step": step} for step in range(first, last + 1, every)]


def write_checkpoint(folder: Path, step: int, entries: list[dict], **kwargs) -> Path:
    path = folder / f"checkpoint-{step}" / "trainer_state.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(hf_state(entries, global_step=step, **kwargs), encoding="utf-8")
    return path


def set_mtime(path: Path, seconds: float) -> None:
    os.utime(path, (seconds, seconds))
