"""A generated hafs context tree with every file kind the browser recognises.

Real files of each kind, written the way their programs write them: a 36-key registry entry,
dataset splits in hafs's alpaca shape, an HF trainer_state.json, a GGUF made with the gguf
package's writer, a safetensors file made with the safetensors package, a daemon log,
JSON/JSONL/TOML/YAML, assembly and C sources, hafs's expert Q&A files, a ``.context`` folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.plugins.models.schema import new_entry

REQUIRED = {
    "version": "v1", "base_model": "Qwen/Qwen2.5-Coder-1.5B", "role": "asm",
    "group": "rom-tooling", "training_date": "2025-12-01T10:00:00",
    "training_duration_minutes": 42, "dataset_name": "alttp", "dataset_path": "",
    "train_samples": 504, "val_samples": 63, "test_samples": 63, "dataset_quality": {},
    "final_loss": 0.91, "best_loss": 0.88, "eval_loss": None, "perplexity": None,
    "lora_config": {}, "hyperparameters": {}, "hardware": "RTX 4090", "device": "cuda",
    "model_path": "", "checkpoint_path": None, "adapter_path": None,
}  # fmt: skip

ASM = """; Oracle of Secrets: custom NMI handler
NMI:
    REP #$30          ; 16-bit A/X/Y
    LDA $4210         ; acknowledge NMI
    JSL CustomSprite_Draw
    LDA #$80 : STA $2100   ; force blank while the DMA runs
    STZ $420C         ; no HDMA this frame, a workaround for the flicker trick
    RTI

org $1BB8C6
    JSL NewHook_Main
pushpc
    dw $0000
pullpc
"""

C_SOURCE = """/* a tiny ROM patcher */
#include <stdio.h>
int main(void) {
    int bank = 0x20; // expanded ROM bank
    printf("bank %d\\n", bank);
    return 0;
}
"""


@dataclass
class ContextTree:
    root: Path
    registry: Path
    scheduled_tasks: Path
    dataset: Path
    trainer_state: Path
    gguf: Path
    safetensors: Path
    log: Path
    json: Path
    jsonl: Path
    toml: Path
    yaml: Path
    markdown: Path
    asm: Path
    c: Path
    context_folder: Path
    training: Path


def write_gguf(path: Path, vocab: int = 40) -> Path:
    """A small GGUF with strings, arrays and F32/F16/Q8_0 tensors (the gguf package's writer)."""
    import gguf

    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("tiny-context-test")
    writer.add_context_length(256)
    writer.add_embedding_length(32)
    writer.add_block_count(1)
    writer.add_head_count(4)
    writer.add_token_list([f"tok{i}" for i in range(vocab)])
    writer.add_token_scores([float(i) / vocab for i in range(vocab)])
    writer.add_string("studio.note", "ünïcode ✓ value")
    writer.add_bool("studio.flag", True)
    writer.add_uint64("studio.big", 1 << 40)
    rng = np.random.default_rng(7)
    writer.add_tensor("token_embd.weight", rng.standard_normal((vocab, 32)).astype(np.float32))
    writer.add_tensor("blk.0.attn_q.weight", rng.standard_normal((32, 32)).astype(np.float16))
    q8 = gguf.quants.quantize(rng.standard_normal((32, 64)).astype(np.float32),
                              gguf.GGMLQuantizationType.Q8_0)
    writer.add_tensor("blk.0.ffn_up.weight", q8, raw_shape=q8.shape,
                      raw_dtype=gguf.GGMLQuantizationType.Q8_0)
    writer.add_tensor("output_norm.weight", np.ones(32, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def write_safetensors(path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    from safetensors.numpy import save_file

    rng = np.random.default_rng(3)
    tensors = {
        "model.embed_tokens.weight": rng.standard_normal((16, 8)).astype(np.float32),
        "model.norm.weight": np.ones(8, dtype=np.float16),
        "lm_head.bias": np.arange(16, dtype=np.int32),
    }
    save_file(tensors, str(path), metadata={"format": "pt", "note": "context test"})
    return path, tensors


def question(qid: str, difficulty: str, priority: float, line: int = 2,
             text: str = "Why does the NMI handler force blank before DMA?") -> dict:
    return {
        "question_id": qid,
        "pattern": {"pattern_type": "nmi_handler", "file_path": "/src/oracle/nmi.asm",
                    "line_number": line, "code_snippet": "NMI:",
                    "context": ASM.split("\n", 8)[-1][:200], "complexity_score": 0.9,
                    "pedagogical_value": 0.7, "related_entities": ["NMI"]},
        "question_text": text,
        "question_type": "why",
        "difficulty": difficulty,
        "learning_objectives": ["NMI timing"],
        "estimated_answer_length": 200,
        "priority_score": priority,
    }


def write_qa(training: Path) -> list[dict]:
    questions = [
        question("q_nmi_handler_nmi.asm_2", "advanced", 0.9),
        question("q_dma_transfer_nmi.asm_6", "intermediate", 0.8, 6,
                 "How does this DMA avoid tearing?"),
        question("q_rom_hook_nmi.asm_10", "beginner", 0.7, 10, "What does this hook replace?"),
        question("q_bank_allocation_patch.c_4", "mystery", 0.5, 4, "Why bank $20?"),
    ]
    (training / "expert_questions.json").write_text(json.dumps(questions, indent=2))
    return questions


def make_context_tree(root: Path) -> ContextTree:
    root.mkdir(parents=True, exist_ok=True)
    models = root / "models"
    models.mkdir()
    registry = models / "registry.json"
    entry = new_entry("oracle-asm", display_name="Oracle ASM", **REQUIRED)
    registry.write_text(json.dumps({"version": "1.0", "updated_at": "2025-12-01T10:00:00",
                                    "models": {"oracle-asm": entry}}, indent=2))
    gguf_path = write_gguf(models / "oracle-asm.Q8_0.gguf")
    safetensors_path, _ = write_safetensors(models / "adapter_model.safetensors")
    training = root / "training"
    dataset = training / "datasets" / "alttp_20251201_100000"
    dataset.mkdir(parents=True)
    for split, count in (("train", 8), ("val", 2), ("test", 2)):
        lines = [json.dumps({"instruction": f"Explain routine {i}", "output": "It ...",
                             "_metadata": {"sample_id": f"{split}-{i}", "domain": "asm",
                                           "source": "oracle", "quality_score": 0.8,
                                           "timestamp": "2025-12-01T10:00:00"}})
                 for i in range(count)]
        (dataset / f"{split}.jsonl").write_text("\n".join(lines) + "\n")
    (dataset / "metadata.json").write_text(json.dumps({"name": "alttp", "train_count": 8}))
    run = root / "runs" / "qwen-asm-lora"
    run.mkdir(parents=True)
    trainer_state = run / "trainer_state.json"
    trainer_state.write_text(json.dumps({"global_step": 20, "log_history": [
        {"step": 10, "loss": 1.2}, {"step": 20, "loss": 0.9}]}, indent=2))
    write_qa(training)
    daemon = root / "training_daemon"
    daemon.mkdir()
    scheduled = daemon / "scheduled_tasks.json"
    scheduled.write_text(json.dumps({"tasks": [
        {"name": "asm_generation", "task_type": "generation", "domain": "asm",
         "interval_seconds": 86400, "limit": 100, "enabled": True, "last_run": "",
         "next_run": "", "config": {}}]}, indent=2))
    logs = root / "logs"
    logs.mkdir()
    log = logs / "training_daemon.log"
    log.write_text("".join(f"2025-12-01 10:00:{i:02d} INFO step {i}\n" for i in range(30)))
    notes = root / "notes"
    notes.mkdir()
    config_json = notes / "config.json"
    config_json.write_text('{"a": 1, "b": [1, 2, 3]}\n')
    jsonl = notes / "events.jsonl"
    jsonl.write_text('{"event": "start"}\n{"event": "stop"}\n')
    toml = notes / "sync.toml"
    toml.write_text('[hosts.medical-mechanica]\nhostname = "mm.local"\n')
    yaml_path = notes / "deploy.yaml"
    yaml_path.write_text("model: oracle-asm\nports:\n  - 8080\n")
    markdown = notes / "README.md"
    markdown.write_text("# Notes\n\nSome *context*.\n")
    src = root / "src" / "oracle"
    src.mkdir(parents=True)
    asm = src / "nmi.asm"
    asm.write_text(ASM)
    c_file = src / "patch.c"
    c_file.write_text(C_SOURCE)
    context_folder = root / "projects" / "zelda3"
    (context_folder / ".context").mkdir(parents=True)
    return ContextTree(root, registry, scheduled, dataset, trainer_state, gguf_path,
                       safetensors_path, log, config_json, jsonl, toml, yaml_path, markdown,
                       asm, c_file, context_folder, training)
