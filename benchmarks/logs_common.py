"""Inputs and helpers of the Logs benchmarks (benchmarks/logs_*.py).

One generated 1 GB log of realistic training and server lines (Python logging records with
levels, Hugging Face loss dicts, tqdm bars refreshed with ``\\r``, llama.cpp server lines,
warnings, rare errors and tracebacks), seeded, written once under ``HAFS_BENCH_DATA``
(default /tmp/hafs-bench-data) and reused; a 10 GB sparse file (real lines at both ends, a hole
in between) for time to first screen. Each tool runs in its own fresh process; measurements
alternate between tools (A B A B …) and report medians.
"""

from __future__ import annotations

import os
import random
import resource
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

DATA_DIR = Path(os.environ.get("HAFS_BENCH_DATA", "/tmp/hafs-bench-data"))
REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable

SEARCH_CASES = [
    # name, pattern, regex, ignore_case, grep flags, rg flags
    ("literal ERROR", "ERROR", False, False, ["-F"], ["-F"]),
    ("ERROR|Traceback", "ERROR|Traceback", True, False, ["-E"], []),
    ("(?i)cuda out of memory|nan loss", "cuda out of memory|nan loss", True, True,
     ["-E", "-i"], ["-i"]),
]


def _line_pool(rng: random.Random) -> list[bytes]:
    levels = ["INFO"] * 80 + ["DEBUG"] * 12 + ["WARNING"] * 6 + ["ERROR"] * 2
    pool: list[bytes] = []
    for i in range(60_000):
        second = i * 7
        stamp = (f"2025-12-{1 + i % 28:02d} {second // 3600 % 24:02d}:{second // 60 % 60:02d}:"
                 f"{second % 60:02d},{i % 1000:03d}")
        kind = rng.random()
        if kind < 0.55:
            level = rng.choice(levels)
            text = (f"{stamp} - trainer - {level} - step {rng.randrange(10**6)} "
                    f"loss={rng.random() * 3:.4f} lr=2.0e-05 grad_norm={rng.random() * 5:.3f} "
                    f"tokens/s={rng.randrange(10**5)}")
        elif kind < 0.70:
            text = (f"{{'loss': {rng.random() * 3:.4f}, 'grad_norm': {rng.random() * 5:.4f}, "
                    f"'learning_rate': 2e-05, 'epoch': {rng.random() * 3:.2f}}}")
        elif kind < 0.80:
            done = rng.randrange(1, 252)
            text = "".join(f"\r{(done + k) * 100 // 256:3d}%|{'█' * ((done + k) // 26):<10}| "
                           f"{done + k}/256 [01:{k:02d}<12:20,  3.34s/it]" for k in range(3))
        elif kind < 0.95:
            text = rng.choice([
                "srv  log_server_r: request: POST /v1/chat/completions 127.0.0.1 200",
                f"slot update_slots: id  0 | task {rng.randrange(10**4)} | prompt done, "
                f"n_past = {rng.randrange(4096)}, n_tokens = {rng.randrange(512)}",
                f"slot print_timing: id  0 | task {rng.randrange(10**4)} | prompt eval time "
                f"= {rng.random() * 90:.2f} ms / {rng.randrange(512)} tokens",
            ])
        elif kind < 0.9985:
            text = (f"{stamp} - trainer - WARNING - gradient overflow, reducing loss scale to "
                    f"{2 ** rng.randrange(16)}")
        elif kind < 0.9990:
            text = (f"{stamp} - trainer - ERROR - CUDA out of memory. Tried to allocate "
                    f"{rng.random() * 4:.2f} GiB (GPU 0)")
        elif kind < 0.9995:
            text = f"{stamp} - trainer - ERROR - nan loss detected at step {rng.randrange(10**6)}"
        else:
            text = ("Traceback (most recent call last):\n  File \"train.py\", line 42, in "
                    "<module>\n    trainer.train()\nRuntimeError: CUDA error: device-side "
                    "assert triggered")
        pool.append((text + "\n").encode())
    return pool


def log_file(size: int = 1 << 30, name: str = "logs-1g.log") -> Path:
    """The 1 GB realistic log (generated once, ~30 s)."""
    path = DATA_DIR / name
    if path.exists() and path.stat().st_size >= size:
        return path
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    rng = random.Random(11)
    pool = _line_pool(rng)
    tmp = path.with_suffix(".tmp")
    written = 0
    with open(tmp, "wb") as out:
        while written < size:
            block = b"".join(rng.choices(pool, k=50_000))
            out.write(block)
            written += len(block)
    tmp.rename(path)
    return path


def sparse_file(size: int = 10 << 30, name: str = "logs-10g-sparse.log") -> Path:
    """A 10 GB file: 64 MB of real lines, a hole, 64 MB of real lines (takes ~130 MB of disk)."""
    path = DATA_DIR / name
    if path.exists() and path.stat().st_size == size:
        return path
    source = log_file()
    chunk = 64 << 20
    with open(source, "rb") as src:
        head = src.read(chunk)
    head = head[: head.rindex(b"\n") + 1]
    with open(path, "wb") as out:
        out.write(head)
        out.seek(size - len(head) - 1)
        out.write(b"\n" + head[:-1] + b"\n")
        out.truncate(size)
    return path


def timed_run(argv: Sequence[str], **kwargs: Any) -> tuple[float, int, bytes]:
    """Wall seconds, peak RSS (KiB, of this child alone) and stdout of one fresh process."""
    wrapper = [PYTHON, str(Path(__file__).with_name("_measure_child.py")), *argv]
    done = subprocess.run(wrapper, capture_output=True, check=False, **kwargs)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{argv[0]} failed ({done.returncode}): {done.stderr[-2000:]!r}")
    tail = done.stderr.rsplit(b"WALL_S=", 1)[-1].split()
    wall = float(tail[0])
    rss = int(tail[1].split(b"=")[1])
    return wall, rss, done.stdout


def interleave(runs: dict[str, Callable[[], Any]], repeats: int) -> dict[str, list[Any]]:
    """Call each function once per round, in order, ``repeats`` rounds (A B A B …)."""
    results: dict[str, list[Any]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            results[name].append(run())
    return results


def self_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child_env() -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", LC_ALL="C.UTF-8")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return env


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]
