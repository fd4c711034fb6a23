"""A realistic small hafs dataset for the sample workspace (and the tests), made by code.

:func:`write_sample_dataset` writes a dataset folder exactly as hafs's curator does
(hafs-formats §2.A: train/val/test in the alpaca template with ``_metadata``, one split in the
``messages`` template like hafs's chatml runs, ``rejected.jsonl`` with reasons, scores and
details, ``stats.json``, ``metadata.json``, ``rejection_summary.json``), with **planted
near-duplicates** (a copy with one word changed, rejected as ``duplicate``) and known
rejection counts, and returns the truth. :func:`write_quality_files` adds the context-level
``quality_feedback.json``, ``active_learning.json`` and ``training_feedback.json`` (§3).
Everything is seeded: the same call writes the same bytes.
"""

from __future__ import annotations

import json
import random
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.plugins.data.quality_files import QUALITY_FILES, hafs_training_file

__all__ = ["SAMPLE_DATASET_NAME", "SampleTruth", "populate_sample_data", "write_quality_files",
           "write_sample_dataset"]

SAMPLE_DATASET_NAME = "alttp_sample_20250101_120000"
GENERATORS = {"asm": "AsmDataGenerator", "oracle": "OracleDataGenerator",
              "yaze": "CppDataGenerator", "gigaleak": "GigaleakDataGenerator",
              "errors": "ErrorsDataGenerator"}

_VERBS = ["loads", "stores", "clears", "increments", "compares", "copies", "masks", "checks",
          "decrements", "shifts", "swaps", "tests", "saves", "restores", "updates"]
_THINGS = ["Link's state", "the sprite slot", "the OAM buffer", "the room flags",
           "the palette index", "the VRAM pointer", "the ancilla timer", "the overworld map",
           "the dungeon key count", "the music queue", "the heart container total",
           "the DMA channel", "the HDMA table", "the camera scroll", "the item menu cursor"]
_OPS = ["LDA", "STA", "LDX", "STX", "LDY", "INC", "DEC", "AND", "ORA", "EOR", "CMP", "BNE",
        "BEQ", "JSR", "JSL", "RTS", "RTL", "REP #$20", "SEP #$20", "PHP", "PLP", "TAX", "TXA"]
_PROSE = ["The routine runs once per frame during NMI.", "It preserves the processor status.",
          "Bank $07 holds the player code.", "The value is a 16-bit little-endian word.",
          "Sprites use the slot index in X.", "The carry flag carries the result.",
          "Mode 7 is not used in dungeons.", "The table has one entry per room.",
          "A zero means the flag is clear.", "Interrupts stay enabled throughout.",
          "This mirrors the original game's behaviour.", "The pointer lives in direct page.",
          "Long addressing reaches every bank.", "The loop ends when Y reaches zero.",
          "The caller restores the data bank.", "Graphics decompress into WRAM first."]
_CPP = ["auto rom = Rom::Load(path);", "if (!status.ok()) return status;",
        "for (int i = 0; i < kNumRooms; ++i) {", "  rooms_[i].LoadObjects(rom);", "}",
        "ASSIGN_OR_RETURN(auto gfx, rom.ReadGraphics(sheet));",
        "palette.set_color(index, SnesColor(rgb));", "return absl::OkStatus();",
        "std::vector<uint8_t> buffer(size);", "overworld_.Save(rom);"]


@dataclass
class SampleTruth:
    """What :func:`write_sample_dataset` wrote: the figures the analyses must find."""

    folder: Path
    splits: Counter[str] = field(default_factory=Counter)
    domains: dict[str, Counter[str]] = field(default_factory=dict)  # split -> domain -> n
    reasons: Counter[str] = field(default_factory=Counter)
    planted: list[tuple[str, int]] = field(default_factory=list)  # (original id, rejected line)


def _words(rng: random.Random, pool: list[str], low: int, high: int) -> str:
    return " ".join(rng.sample(pool, rng.randint(low, min(high, len(pool)))))


def _sample_text(rng: random.Random, domain: str) -> tuple[str, str, str]:
    address = f"$7E:{rng.randrange(0x10000):04X}"
    thing, verb = rng.choice(_THINGS), rng.choice(_VERBS)
    if domain in ("asm", "gigaleak", "errors"):
        label = f"{thing.title().replace(' ', '').replace(chr(39), '')}_{rng.randrange(999)}"
        code = "\n".join(f"    {rng.choice(_OPS)} ${rng.randrange(0x10000):04X}"
                         for _ in range(rng.randint(4, 9)))
        instruction = {
            "asm": f"Write a 65816 routine that {verb[:-1]} {thing} at {address}",
            "gigaleak": f"What does the label {label} in the original source do?",
            "errors": f"Explain the assembler error 'label {label} redefined' near {address}",
        }[domain]
        output = f"```asm\n{label}:\n{code}\n```\n\n{_words(rng, _PROSE, 2, 4)}"
        input_ = f"{thing} is stored at {address}." if rng.random() < 0.5 else ""
    elif domain == "yaze":
        instruction = f"Implement a yaze editor helper that {verb} {thing}"
        body = "\n".join(rng.sample(_CPP, rng.randint(3, 6)))
        output = f"```cpp\nabsl::Status Update{rng.randrange(999)}() {{\n{body}\n}}\n```\n" \
                 f"{_words(rng, _PROSE, 1, 3)}"
        input_ = ""
    else:  # oracle
        instruction = f"Explain how Oracle of Secrets {verb} {thing} ({address})"
        output = _words(rng, _PROSE, 4, 7)
        input_ = ""
    return instruction, input_, output


def _scores(rng: random.Random, good: bool) -> dict[str, float]:
    base = 0.55 if good else 0.25
    parts = {"diversity": rng.uniform(base, base + 0.4),
             "kg_consistency": rng.uniform(0.4, 1.0),
             "hallucination_risk": rng.uniform(0.0, 0.5),
             "coherence": rng.uniform(base, base + 0.4)}
    parts["overall"] = (0.30 * parts["diversity"] + 0.20 * parts["kg_consistency"]
                        + 0.30 * (1 - parts["hallucination_risk"]) + 0.20 * parts["coherence"])
    return {k: round(v, 4) for k, v in parts.items()}


def _change_one_word(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if w.isalpha() and len(w) > 3]
    index = rng.choice(candidates) if candidates else 0
    words[index] = words[index].upper() if words[index] != words[index].upper() else "X"
    return " ".join(words)


def write_sample_dataset(folder: Path, *, seed: int = 7, accepted: int = 240,
                         rejected: int = 60, planted: int = 8,
                         messages_split: str | None = "test") -> SampleTruth:
    """Write a hafs dataset folder (see the module docstring) and return its truth.

    ``planted`` of the rejected lines are one-word variants of accepted samples, rejected as
    ``duplicate`` with ``rejection_details {similarity, matched_id}``.
    """
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    truth = SampleTruth(folder)
    domains = list(GENERATORS)
    weights = [5, 4, 3, 2, 1]
    stamp = "2025-01-01T12:00:00"
    lines: dict[str, list[dict[str, Any]]] = {"train": [], "val": [], "test": [],
                                              "rejected": []}
    originals: list[tuple[str, str, str, str, str]] = []
    for number in range(accepted):
        domain = rng.choices(domains, weights)[0]
        instruction, input_, output = _sample_text(rng, domain)
        sample_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        split = "train" if number % 10 < 8 else ("val" if number % 10 == 8 else "test")
        meta = {"sample_id": sample_id, "domain": domain, "source": GENERATORS[domain],
                "quality_score": _scores(rng, True)["overall"], "timestamp": stamp}
        if split == messages_split:
            entry: dict[str, Any] = {"messages": [
                {"role": "user", "content": f"{instruction}\n{input_}" if input_
                 else instruction}, {"role": "assistant", "content": output}]}
        else:
            entry = {"instruction": instruction}
            if input_:
                entry["input"] = input_
            entry["output"] = output
        entry["_metadata"] = meta
        lines[split].append(entry)
        originals.append((sample_id, domain, instruction, input_, output))
    reasons = ["low_diversity", "kg_inconsistent", "validation_failed", "low_coherence",
               "low_quality"]
    for number in range(rejected):
        if number < planted:
            sample_id, domain, instruction, input_, output = originals[number * 7 % len(originals)]
            output = _change_one_word(rng, output)
            reason, score = "duplicate", _scores(rng, True)["overall"]
            details: dict[str, Any] = {"similarity": round(rng.uniform(0.9, 0.99), 4),
                                       "matched_id": sample_id}
            truth.planted.append((sample_id, number + 1))
        else:
            domain = rng.choices(domains, weights)[0]
            instruction, input_, output = _sample_text(rng, domain)
            reason = reasons[number % len(reasons)]
            scores = _scores(rng, False)
            score = None if reason == "validation_failed" else scores["overall"]
            details = ({"validator": "asm_syntax", "errors": ["unknown opcode"]}
                       if reason == "validation_failed" else
                       {"threshold": 0.4, **{k: v for k, v in scores.items() if k != "overall"}})
        lines["rejected"].append({"instruction": instruction, "input": input_, "output": output,
                                  "domain": domain, "source": GENERATORS[domain],
                                  "rejection_reason": reason, "quality_score": score,
                                  "rejection_details": details})
    for split, entries in lines.items():
        with open(folder / f"{split}.jsonl", "w", encoding="utf-8") as handle:
            for entry in entries:
                handle.write(json.dumps(entry) + "\n")
        truth.splits[split] = len(entries)
        truth.domains[split] = Counter(e.get("_metadata", e).get("domain") for e in entries)
    truth.reasons = Counter(e["rejection_reason"] for e in lines["rejected"])
    _write_summaries(folder, lines, truth)
    return truth


def _write_summaries(folder: Path, lines: dict[str, list[dict[str, Any]]],
                     truth: SampleTruth) -> None:
    accepted_domains: Counter[str] = Counter()
    for split in ("train", "val", "test"):
        accepted_domains.update(truth.domains[split])
    accepted_scores = [e["_metadata"]["quality_score"] for s in ("train", "val", "test")
                       for e in lines[s]]
    rejected_scores = [e["quality_score"] for e in lines["rejected"]
                       if e["quality_score"] is not None]
    total = sum(truth.splits.values())
    documents = {
        "metadata.json": {"name": folder.name, "created": "20250101_120000",
                          "template": "alpaca", "train_count": truth.splits["train"],
                          "val_count": truth.splits["val"], "test_count": truth.splits["test"],
                          "domains": sorted(accepted_domains)},
        "stats.json": {"total_generated": total, "passed_quality": total - truth.reasons.total()
                       + truth.reasons["duplicate"], "deduplicated": truth.reasons["duplicate"],
                       "augmented": 0, "final_count": total - truth.splits["rejected"],
                       "domain_counts": dict(accepted_domains),
                       "quality_scores": {"average": sum(accepted_scores) / len(accepted_scores)
                                          if accepted_scores else 0.0},
                       "duration_seconds": 1234.5},
        "rejection_summary.json": {
            "total_rejected": truth.splits["rejected"], "by_reason": dict(truth.reasons),
            "by_domain": dict(truth.domains["rejected"]),
            "avg_quality_score": sum(rejected_scores) / len(rejected_scores)
            if rejected_scores else 0.0,
            "min_quality_score": min(rejected_scores, default=0.0),
            "max_quality_score": max(rejected_scores, default=0.0)},
    }
    for name, document in documents.items():
        (folder / name).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def write_quality_files(context_root: Path, *, seed: int = 11) -> dict[str, Path]:
    """quality_feedback.json, active_learning.json and training_feedback.json (§3)."""
    rng = random.Random(seed)
    generators = {}
    history = []
    for domain, name in GENERATORS.items():
        generated = rng.randint(150, 500)
        rejected = rng.randint(10, generated // 3)
        reasons = Counter(rng.choices(["low_diversity", "duplicate", "kg_inconsistent",
                                       "low_coherence", "other"], k=rejected))
        generators[name] = {"samples_generated": generated,
                            "samples_accepted": generated - rejected,
                            "samples_rejected": rejected, "rejection_reasons": dict(reasons),
                            "avg_quality_score": round(rng.uniform(0.45, 0.7), 4),
                            "total_quality_sum": round(rng.uniform(100, 300), 3)}
        drift = {"asm": 0.03, "oracle": -0.03, "yaze": 0.0}.get(domain, 0.01)
        for step in range(rng.randint(3, 14)):
            scores = _scores(rng, False)
            scores["diversity"] = round(min(1.0, max(0.0, 0.3 + drift * step
                                                     + rng.uniform(-0.02, 0.02))), 4)
            history.append({"sample_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                            "domain": domain, "generator": name,
                            "reason": rng.choice(list(reasons) or ["other"]),
                            "scores": scores, "timestamp": f"2025-01-01T1{step % 10}:00:00"})
    regions = [{"centroid": [round(rng.uniform(-1, 1), 3) for _ in range(16)],
                "sample_count": rng.choice([4, 12, 30, 45, 60, 80]),
                "sample_ids": [], "domain": rng.choice(list(GENERATORS)),
                "avg_quality": round(rng.uniform(0.4, 0.9), 3)} for _ in range(12)]
    runs = {}
    for number, (model, samples, loss) in enumerate((("oracle-asm-v1", 800, 0.21),
                                                     ("oracle-asm-v2", 1500, 0.12),
                                                     ("yaze-helper", 600, 0.35),
                                                     ("oracle-asm-v3", 2400, None))):
        runs[f"run_2025_01_0{number + 1}_{model}"] = {
            "model_name": model, "base_model": "Qwen/Qwen2.5-Coder-1.5B",
            "dataset_path": f"~/.context/training/datasets/{SAMPLE_DATASET_NAME}",
            "samples_count": samples,
            "domain_distribution": {"asm": samples * 6 // 10, "oracle": samples * 4 // 10},
            "start_time": f"2025-01-0{number + 1}T10:00:00",
            "end_time": None if loss is None else f"2025-01-0{number + 1}T14:00:00",
            "final_loss": loss, "eval_metrics": {"accuracy": 0.8 + number / 50} if loss else {},
            "notes": ""}
    documents = {
        "quality_feedback.json": {
            "thresholds": {"min_quality_score": 0.4, "min_diversity": 0.3,
                           "max_hallucination_risk": 0.5, "min_kg_consistency": 0.5,
                           "min_coherence": 0.4, "similarity_threshold": 0.95},
            "generator_stats": generators, "rejection_history": history,
            "last_updated": "2025-01-01T12:00:00"},
        "active_learning.json": {"regions": regions, "embedding_dim": 16, "num_regions": 50,
                                 "last_updated": "2025-01-01T12:00:00"},
        "training_feedback.json": {
            "training_runs": runs, "domain_effectiveness": {"asm": 0.025, "oracle": 0.012,
                                                            "yaze": -0.004},
            "quality_threshold_effectiveness": {"0.4": 0.015, "0.5": 0.02},
            "last_updated": "2025-01-04T14:00:00"},
    }
    written = {}
    for name in QUALITY_FILES:
        path = hafs_training_file(context_root, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(documents[name], indent=2) + "\n", encoding="utf-8")
        written[name] = path
    return written


def populate_sample_data(root: Path, report: Callable[[str], None]) -> Path:
    """The sample workspace hook: a dataset folder and the three quality files."""
    folder = root / "training" / "datasets" / SAMPLE_DATASET_NAME
    truth = write_sample_dataset(folder)
    write_quality_files(root)
    report(f"Added the sample dataset {folder} ({truth.splits['train']} train, "
           f"{truth.splits['rejected']} rejected, {len(truth.planted)} planted near-duplicates)"
           " and hafs's quality files")
    return folder
