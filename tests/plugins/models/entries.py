"""Registry entries for tests: complete 36-key entries with readable defaults."""

from __future__ import annotations

from typing import Any

from studio.plugins.models.schema import ModelEntry, new_entry

REQUIRED_DEFAULTS: dict[str, Any] = {
    "version": "v1", "base_model": "Qwen/Qwen2.5-Coder-1.5B", "role": "general",
    "group": "rom-tooling", "training_date": "2025-12-01T10:00:00",
    "training_duration_minutes": 0, "dataset_name": "", "dataset_path": "", "train_samples": 0,
    "val_samples": 0, "test_samples": 0, "dataset_quality": {}, "final_loss": None,
    "best_loss": None, "eval_loss": None, "perplexity": None, "lora_config": {},
    "hyperparameters": {}, "hardware": "unknown", "device": "unknown", "model_path": "",
    "checkpoint_path": None, "adapter_path": None,
}


def make_entry(model_id: str, **fields: Any) -> ModelEntry:
    return new_entry(model_id, **{**REQUIRED_DEFAULTS, **fields})


def sample_entries() -> list[ModelEntry]:
    """Four models that differ in role, location, backend, loss and samples."""
    return [
        make_entry("oracle-rauru-asm", display_name="Oracle: Rauru Assembler", role="asm",
                   final_loss=0.91, best_loss=0.88, train_samples=504, val_samples=63,
                   test_samples=63, dataset_quality={"acceptance_rate": 0.81},
                   locations={"windows": "D:/hafs_training/models/oracle-rauru-asm"},
                   primary_location="windows", tags=["best"]),
        make_entry("oracle-debugger", display_name="Oracle: Debugger", role="debug",
                   final_loss=1.20, best_loss=1.05, train_samples=1200,
                   locations={"mac": "/nonexistent/oracle-debugger"}, primary_location="mac",
                   deployed_backends=["ollama"], ollama_model_name="oracle-debugger",
                   formats=["pytorch", "gguf"]),
        make_entry("yaze-helper", display_name="Yaze Helper", role="yaze", final_loss=0.5,
                   best_loss=0.45, train_samples=80, locations={"cloud": "/mnt/x"},
                   primary_location="cloud", base_model="meta-llama/Llama-3.2-1B"),
        make_entry("general-chat", display_name="General Chat", role="general",
                   train_samples=10, locations={"windows": "D:/m/general-chat"}),
    ]
