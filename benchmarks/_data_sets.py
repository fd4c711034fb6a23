"""Generated hafs datasets for the data benchmarks (under HAFS_BENCH_DATA, made once).

The lines are hafs curator lines (hafs-formats §2.A) built from the sample-workspace
generator's texts: ~2,000 distinct texts recombined with fresh ids, scores and numbers, so
every line is different and about the size of a real sample (~500 bytes).
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import uuid
from pathlib import Path

from studio.plugins.data.sample import GENERATORS, _change_one_word, _sample_text

ROOT = Path(os.environ.get("HAFS_BENCH_DATA", Path(tempfile.gettempdir()) / "hafs-bench-data"))


def _texts(rng: random.Random, count: int) -> list[tuple[str, str, str, str]]:
    domains = list(GENERATORS)
    return [(domain, *_sample_text(rng, domain))
            for domain in (rng.choice(domains) for _ in range(count))]


def stats_dataset(samples: int = 1_000_000) -> Path:
    """A dataset folder of ``samples`` lines: 80 % train, 5 % val, 5 % test, 10 % rejected."""
    folder = ROOT / f"data-stats-{samples}"
    done = folder / ".complete"
    if done.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(1)
    pool = _texts(rng, 2000)
    reasons = ["low_diversity", "duplicate", "kg_inconsistent", "validation_failed"]
    shares = {"train": 0.80, "val": 0.05, "test": 0.05, "rejected": 0.10}
    for split, share in shares.items():
        with open(folder / f"{split}.jsonl", "w", encoding="utf-8") as handle:
            for number in range(int(samples * share)):
                domain, instruction, input_, output = pool[rng.randrange(len(pool))]
                instruction = f"{instruction} (variant {number})"
                if split == "rejected":
                    entry = {"instruction": instruction, "input": input_, "output": output,
                             "domain": domain, "source": GENERATORS[domain],
                             "rejection_reason": reasons[number % 4],
                             "quality_score": round(rng.random() * 0.5, 4)}
                else:
                    entry = {"instruction": instruction, "output": output,
                             "_metadata": {"sample_id": str(uuid.UUID(int=rng.getrandbits(128),
                                                                      version=4)),
                                           "domain": domain, "source": GENERATORS[domain],
                                           "quality_score": round(0.5 + rng.random() / 2, 4),
                                           "timestamp": "2025-01-01T12:00:00"}}
                    if input_:
                        entry["input"] = input_
                handle.write(json.dumps(entry) + "\n")
    done.touch()
    return folder


def dedup_dataset(samples: int = 100_000, planted: int = 5_000) -> tuple[Path, int]:
    """A train.jsonl of ``samples`` lines whose last ``planted`` are one-word variants of
    earlier lines (the planted near-duplicate pairs (i, samples - planted + i))."""
    folder = ROOT / f"data-dedup-{samples}-{planted}"
    done = folder / ".complete"
    if done.exists():
        return folder, planted
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(2)
    originals = samples - planted
    with open(folder / "train.jsonl", "w", encoding="utf-8") as handle:
        kept = []
        for _ in range(originals):
            domain, instruction, input_, output = _texts(rng, 1)[0]
            # a random tail makes every original distinct from the others
            output = f"{output}\nSee note {rng.randrange(10**9)}: " + " ".join(
                rng.choice(["bank", "slot", "frame", "flag", "word", "byte", "room", "tile",
                            "cursor", "pointer", "index", "table"]) + str(rng.randrange(999))
                for _ in range(12))
            kept.append((instruction, input_, output))
            handle.write(json.dumps({"instruction": instruction, "input": input_,
                                     "output": output, "_metadata": {"domain": domain}}) + "\n")
        for index in range(planted):
            instruction, input_, output = kept[index]
            handle.write(json.dumps({"instruction": instruction, "input": input_,
                                     "output": _change_one_word(rng, output)}) + "\n")
    done.touch()
    return folder, planted
