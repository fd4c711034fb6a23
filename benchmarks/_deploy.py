"""Shared by the deploy benchmarks: one tiny-but-not-trivial model, children, statistics.

The model is a random-weight Qwen2-style checkpoint (n_embd 512, 8 layers, 8 heads / 4 KV
heads, n_ff 1408, ≈ 25 M weights in the blocks), big enough that decoding, not Python overhead,
dominates a token's time. It is written once under ``$HAFS_BENCH_DATA`` (default
``/tmp/hafs-bench-data/deploy``) with the GGUF/CTranslate2 files made from it by the studio's
own converters, and every measured variant runs in its own fresh Python process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import REPO, child_environment, median

DATA = Path(os.environ.get("HAFS_BENCH_DATA", "/tmp/hafs-bench-data")) / "deploy"
CHECKPOINT = DATA / "bench-qwen"
SHAPE = {"n_embd": 512, "n_layer": 8, "n_head": 8, "n_head_kv": 4, "n_ff": 1408}
PROMPT = [{"role": "system", "content": "You are an expert in 65816 assembly."},
          {"role": "user", "content": "Write a subroutine that clears the first 16 bytes of "
                                      "RAM and explain each instruction."}]
MAX_TOKENS = 128
# One thread: on a shared 2-core machine, llama.cpp threads that spin at barriers while
# other processes hold the cores run 10x slower (measured: 1.5 vs 23.6 tokens/s).
THREADS = int(os.environ.get("HAFS_BENCH_THREADS", "1"))


def ensure_checkpoint() -> Path:
    if (CHECKPOINT / "config.json").is_file():
        return CHECKPOINT
    sys.path.insert(0, str(REPO / "tests" / "plugins" / "models"))
    from tiny_models import make_checkpoint

    make_checkpoint(CHECKPOINT, "qwen2", tokenizer="bpe", seed=3, **SHAPE)
    return CHECKPOINT


def ensure_gguf(outtype: str) -> Path:
    """``bench-qwen-<TYPE>.gguf`` from the checkpoint with the Models plugin's converter."""
    from studio.plugins.models.api import ModelsService

    target = DATA / f"bench-qwen-{outtype.upper()}.gguf"
    if not target.is_file():
        ModelsService(DATA / "context").convert(ensure_checkpoint(), outtype=outtype,
                                                out=target)
    return target


def run_child(code: str, *args: str) -> dict[str, Any]:
    """Run ``code`` (a script printing one JSON line last) in a fresh interpreter."""
    result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                            text=True, env=child_environment(), check=False, timeout=900)
    if result.returncode != 0:
        raise RuntimeError(f"child failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"runs": runs,
            "median_tokens_per_second": median([r["tokens_per_second"] for r in runs]),
            "median_time_to_first_token_ms": median([r["time_to_first_token_ms"]
                                                      for r in runs]),
            "median_cpu_s": median([r["cpu_s"] for r in runs]) if all(
                "cpu_s" in r for r in runs) else None,
            "completion_tokens": sorted({r["completion_tokens"] for r in runs})}


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]
