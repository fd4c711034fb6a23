"""HF → GGUF conversion throughput vs a plain copy of the same bytes (issue 4 goal: ≥ 0.5x).

A ~490 MB random-weight F16 Llama checkpoint (1024 wide, 16 layers, GQA, 32k vocab) is written
under /tmp, then alternately copied with shutil.copyfile and converted (F16 → F16, which is what
a bf16/f16 fine-tune usually becomes; Q8_0 is measured for information). Both read the same
page-cached bytes. The converter fsyncs its output before the rename (a GGUF that survives a
power cut half-written would load as garbage), so "copy + fsync" is the like-for-like baseline;
the goal is stated against the plain (page-cache, never synced) copy. Each timed step starts
after ``os.sync()`` so one step's writeback does not slow the next.

    python benchmarks/models_convert.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import median, print_table, write_results
from studio.plugins.models.hf_to_gguf import convert_hf_to_gguf

DATA = Path(os.environ.get("HAFS_BENCH_DATA", "/tmp/hafs-bench-data")) / "models-convert"
CONFIG = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 1024,
    "intermediate_size": 2816, "num_attention_heads": 16, "num_key_value_heads": 4,
    "num_hidden_layers": 16, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
    "max_position_embeddings": 4096, "vocab_size": 32000, "tie_word_embeddings": False,
    "bos_token_id": None, "eos_token_id": 0,
}  # fmt: skip


def byte_level_tokenizer() -> dict:
    """A minimal valid byte-level BPE tokenizer.json (256 byte tokens, no merges)."""
    printable = [*range(33, 127), *range(161, 173), *range(174, 256)]
    extra = iter(range(256, 512))
    table = {b: chr(b if b in printable else next(extra)) for b in range(256)}
    vocab = {"<|endoftext|>": 0, **{table[b]: b + 1 for b in range(255)}}
    return {"version": "1.0", "added_tokens": [{"id": 0, "content": "<|endoftext|>",
            "special": True}], "normalizer": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                              "use_regex": True},
            "model": {"type": "BPE", "vocab": vocab, "merges": []}}


def make_checkpoint(folder: Path) -> Path:
    from safetensors.numpy import save_file

    if (folder / "model.safetensors").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    c = CONFIG
    d, ff, head_dim = c["hidden_size"], c["intermediate_size"], 1024 // 16
    kv = c["num_key_value_heads"] * head_dim

    def mat(rows: int, cols: int) -> np.ndarray:
        return (rng.standard_normal((rows, cols), dtype=np.float32) * 0.02).astype(np.float16)

    weights = {"model.embed_tokens.weight": mat(c["vocab_size"], d)}
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        weights |= {
            p + "input_layernorm.weight": np.ones(d, np.float16),
            p + "self_attn.q_proj.weight": mat(d, d), p + "self_attn.k_proj.weight": mat(kv, d),
            p + "self_attn.v_proj.weight": mat(kv, d), p + "self_attn.o_proj.weight": mat(d, d),
            p + "post_attention_layernorm.weight": np.ones(d, np.float16),
            p + "mlp.gate_proj.weight": mat(ff, d), p + "mlp.up_proj.weight": mat(ff, d),
            p + "mlp.down_proj.weight": mat(d, ff),
        }  # fmt: skip
    weights["model.norm.weight"] = np.ones(d, np.float16)
    weights["lm_head.weight"] = mat(c["vocab_size"], d)
    save_file(weights, str(folder / "model.safetensors"))
    (folder / "config.json").write_text(json.dumps(c))
    (folder / "tokenizer.json").write_text(json.dumps(byte_level_tokenizer()))
    return folder


def timed(action, target: Path) -> float:
    target.unlink(missing_ok=True)  # both start from no output file
    # ...and from a quiet disk: without this, the previous step's writeback (and the freeing of
    # the file just deleted) runs during the timed one and penalises whichever comes next.
    os.sync()
    time.sleep(1.0)  # the VM's virtual disk keeps writing for a moment after sync returns
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def copy_and_fsync(source: Path, target: Path) -> None:
    shutil.copyfile(source, target)
    with open(target, "rb+") as handle:
        os.fsync(handle.fileno())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    folder = make_checkpoint(DATA / "tiny-llama-490m")
    source = folder / "model.safetensors"
    size_mb = source.stat().st_size / 1e6
    copy_target, out = DATA / "copy.bin", DATA / "out.gguf"
    copies, synced, f16_runs, q8_runs = [], [], [], []
    for _ in range(args.repeat):
        copies.append(timed(lambda: shutil.copyfile(source, copy_target), copy_target))
        synced.append(timed(lambda: copy_and_fsync(source, copy_target), copy_target))
        f16_runs.append(timed(lambda: convert_hf_to_gguf(folder, out, "f16"), out))
    q8_runs.append(timed(lambda: convert_hf_to_gguf(folder, out, "q8_0"), out))
    copy_rate, synced_rate = size_mb / median(copies), size_mb / median(synced)
    f16_rate, q8_rate = size_mb / median(f16_runs), size_mb / median(q8_runs)
    rows = [["plain copy", size_mb, median(copies), copy_rate, 1.0],
            ["copy + fsync", size_mb, median(synced), synced_rate, synced_rate / copy_rate],
            ["convert F16 -> F16", size_mb, median(f16_runs), f16_rate, f16_rate / copy_rate],
            ["convert F16 -> Q8_0", size_mb, median(q8_runs), q8_rate, q8_rate / copy_rate]]
    print_table(["operation", "MB", "seconds", "MB/s", "x copy"], rows,
                title="HF -> GGUF conversion throughput")
    path = write_results("models_convert", {
        "checkpoint_mb": size_mb, "config": CONFIG, "repeat": args.repeat,
        "copy_s": copies, "copy_fsync_s": synced, "copy_fsync_mb_s": synced_rate,
        "f16_vs_copy_fsync": f16_rate / synced_rate,
        "convert_f16_s": f16_runs, "convert_q8_0_s": q8_runs,
        "copy_mb_s": copy_rate, "convert_f16_mb_s": f16_rate, "convert_q8_0_mb_s": q8_rate,
        "f16_vs_copy": f16_rate / copy_rate, "goal_f16_vs_copy": 0.5,
    })
    print(f"\nresults: {path}")
    for leftover in (copy_target, out):
        leftover.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
