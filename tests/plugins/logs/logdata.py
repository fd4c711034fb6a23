"""Realistic log lines for the Logs tests (Python logging with levels and tracebacks)."""

from __future__ import annotations

import random

LEVELS = ["INFO"] * 12 + ["DEBUG"] * 4 + ["WARNING"] * 2 + ["ERROR"]
TRACEBACK = [
    "Traceback (most recent call last):",
    '  File "train.py", line 42, in <module>',
    "    trainer.train()",
    '  File "trainer.py", line 7, in train',
    "    raise RuntimeError('CUDA out of memory')",
    "RuntimeError: CUDA out of memory",
]


def python_log_lines(count: int, seed: int = 1, *, tracebacks: bool = True) -> list[str]:
    """``count`` lines of a training log in Python logging's default-with-time layout."""
    rng = random.Random(seed)
    lines: list[str] = []
    second = 0
    while len(lines) < count:
        second += 1
        stamp = f"2025-12-22 {10 + second // 3600 % 10:02d}:{second // 60 % 60:02d}:" \
                f"{second % 60:02d},{rng.randrange(1000):03d}"
        level = rng.choice(LEVELS)
        step = len(lines)
        lines.append(f"{stamp} - trainer - {level} - step {step} loss={rng.random() * 3:.4f}")
        if tracebacks and level == "ERROR" and rng.random() < 0.3:
            lines.extend(TRACEBACK)
    return lines[:count]


def write_lines(path, lines: list[str], *, newline: str = "\n") -> bytes:
    data = "".join(line + newline for line in lines).encode()
    path.write_bytes(data)
    return data
