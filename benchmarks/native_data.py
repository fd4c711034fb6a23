"""Inputs and helpers shared by the native benchmarks (benchmarks/native_*.py).

Generated data lives under /tmp (HAFS_BENCH_DATA), never in the repository. Every generator is
seeded, so two runs measure the same bytes. Sizes follow issue 3: a 1 GB training log,
10M-point series, 100k x 384 embeddings and 100k short texts. How they are measured:
_fresh.py; results go to benchmarks/results/native_<name>.json and report.py renders them into
the docs.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

DATA_DIR = Path(os.environ.get("HAFS_BENCH_DATA", "/tmp/hafs-bench-data"))


_LEVELS = ["INFO"] * 70 + ["DEBUG"] * 18 + ["WARNING"] * 8 + ["ERROR"] * 3 + ["TRACE"]
_MESSAGES = [
    "step {n} loss={f:.4f} lr=2.0e-05 grad_norm={g:.3f} tokens/s={n2}",
    "eval step {n}: eval_loss={f:.4f} perplexity={g:.2f}",
    "saving checkpoint to runs/exp-{n2}/checkpoint-{n}",
    "dataloader worker {w} fetched batch {n} in {g:.1f} ms",
    "gpu{w} memory allocated {n2} MiB reserved {n} MiB",
    "scheduler: warmup finished at step {n}",
    "tokenizer: truncated {w} sequences longer than 4096 tokens",
    "CUDA out of memory. Tried to allocate {g:.2f} GiB (GPU {w})",
    "nan loss detected at step {n}, skipping batch",
    "Traceback (most recent call last): File \"train.py\", line {w}, in <module>",
    "connection to wandb lost, retrying in {w} s",
    "gradient overflow, reducing loss scale to {n2}",
]
# Rare messages are what a user searches for: keep them rare, as in a real log.
_WEIGHTS = np.array([60, 8, 3, 10, 6, 1, 3, 0.05, 0.05, 0.2, 0.5, 0.3])


def log_file(size_bytes: int = 1 << 30, name: str = "train-1g.log") -> Path:
    """A training log of about size_bytes (lines of ~100 bytes), generated once and reused."""
    path = DATA_DIR / name
    if path.exists() and path.stat().st_size >= size_bytes:
        return path
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(42)
    # A pool of distinct formatted lines sampled with replacement keeps generation fast.
    probs = _WEIGHTS / _WEIGHTS.sum()
    pool = []
    for i in range(20000):
        msg = _MESSAGES[rng.choice(len(_MESSAGES), p=probs)]
        text = msg.format(n=int(rng.integers(1, 10**6)), n2=int(rng.integers(1, 10**5)),
                          f=float(rng.random() * 3), g=float(rng.random() * 100),
                          w=int(rng.integers(0, 64)))
        level = _LEVELS[i % len(_LEVELS)]
        pool.append(f"2024-05-{1 + i % 28:02d}T12:{i % 60:02d}:{(i * 7) % 60:02d}.{i % 1000:03d} "
                    f"{level:<7} trainer: {text}")
    pool_bytes = [(line + "\n").encode() for line in pool]
    tmp = path.with_suffix(".tmp")
    written = 0
    with open(tmp, "wb") as f:
        while written < size_bytes:
            picks = rng.integers(0, len(pool_bytes), size=100_000)
            block = b"".join(pool_bytes[i] for i in picks)
            f.write(block)
            written += len(block)
    tmp.rename(path)
    return path


def series(n: int = 10_000_000, nan_fraction: float = 0.001,
           seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A noisy loss curve with spikes and a few NaNs: (x, y) float64."""
    rng = np.random.default_rng(seed)
    x = np.arange(n, dtype=np.float64)
    y = 2.5 * np.exp(-x / (n / 5)) + 0.05 * rng.standard_normal(n)
    y[rng.integers(0, n, size=n // 10000)] += 5.0
    y[rng.integers(0, n, size=int(n * nan_fraction))] = np.nan
    return x, y


def embeddings(n: int = 100_000, dim: int = 384, clusters: int = 2000, seed: int = 0) -> np.ndarray:
    """L2-normalised float32 rows drawn around cluster centres, like sentence embeddings."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    noise = rng.standard_normal((n, dim)).astype(np.float32)
    rows = centres[rng.integers(0, clusters, size=n)] + 0.6 * noise
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows


def texts(n: int = 100_000, length: int = 500, dup_fraction: float = 0.05,
          seed: int = 0) -> tuple[list[str], list[tuple[int, int]]]:
    """n texts of ~length chars; dup_fraction of them are light edits of an earlier text.

    Returns the texts and the planted (original, copy) pairs.
    """
    rng = np.random.default_rng(seed)
    vocab = ["".join(chr(97 + c) for c in rng.integers(0, 26, size=rng.integers(2, 10)))
             for _ in range(20000)]
    words_per_text = length // 6
    out: list[str] = []
    planted: list[tuple[int, int]] = []
    for i in range(n):
        if i > 100 and rng.random() < dup_fraction:
            src = int(rng.integers(0, i))
            words = out[src].split(" ")
            # Replace ~3% of the words: Jaccard of 5-shingles stays well above 0.8.
            for j in rng.integers(0, len(words), size=max(1, len(words) // 33)):
                words[j] = vocab[rng.integers(0, len(vocab))]
            out.append(" ".join(words))
            planted.append((src, i))
        else:
            out.append(" ".join(vocab[j] for j in rng.integers(0, len(vocab), size=words_per_text)))
    return out, planted
