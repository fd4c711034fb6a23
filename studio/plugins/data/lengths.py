"""Length distributions of instructions and outputs: characters always, tokens when a
tokenizer is at hand.

Tokens are counted with a ``tokenizer.json`` (the Hugging Face format every hafs base model
ships) through the ``tokenizers`` package when it is installed; otherwise only characters are
shown and the reason says why. Lengths use the full text, before any display cut.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.api import NULL_CONTEXT, JobContext
from studio.plugins.data.analytics import Table
from studio.plugins.data.records import Sample

__all__ = ["LengthReport", "TokenCounter", "length_report", "load_token_counter"]

_BATCH = 2048


@dataclass(frozen=True)
class TokenCounter:
    """Counts tokens with one tokenizer; ``name`` says which (shown next to the chart)."""

    name: str
    tokenizer: object

    def count(self, texts: Sequence[str]) -> list[int]:
        encodings = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)  # type: ignore[attr-defined]
        return [len(e.ids) for e in encodings]


def load_token_counter(path: str | os.PathLike[str] | None) -> tuple[TokenCounter | None, str]:
    """(counter, "") or (None, why not): no path set, no ``tokenizers`` package, bad file."""
    if not path:
        return None, "no tokenizer.json set (Preferences ▸ Data); showing characters"
    file = Path(path).expanduser()
    if file.is_dir():
        file = file / "tokenizer.json"
    try:
        from tokenizers import Tokenizer
    except ImportError:
        return None, "the 'tokenizers' package is not installed; showing characters"
    try:
        tokenizer = Tokenizer.from_file(str(file))
    except Exception as exc:  # tokenizers raises its own Exception subclasses
        return None, f"cannot load {file}: {exc}"
    return TokenCounter(f"{file} (tokenizers)", tokenizer), ""


@dataclass(frozen=True)
class LengthReport:
    unit: str  # "characters" or "tokens"
    tokenizer: str  # which tokenizer counted, or why none did
    instruction: np.ndarray
    output: np.ndarray
    instruction_chars: np.ndarray
    output_chars: np.ndarray

    def summary(self) -> Table:
        rows = []
        for name, values, unit in (("instruction", self.instruction_chars, "characters"),
                                   ("output", self.output_chars, "characters"),
                                   *((("instruction", self.instruction, "tokens"),
                                      ("output", self.output, "tokens"))
                                     if self.unit == "tokens" else ())):
            if len(values):
                rows.append((name, unit, int(values.min()), float(np.median(values)),
                             float(values.mean()), float(np.percentile(values, 95)),
                             int(values.max())))
        return Table("Lengths", ("field", "unit", "min", "median", "mean", "p95", "max"),
                     rows, note=self.tokenizer)

    def histogram(self, field: str, bins: int = 30) -> Table:
        values = getattr(self, field if self.unit == "tokens" else f"{field}_chars")
        if not len(values):
            return Table(f"{field} length", ("bin_start", "bin_end", "samples"))
        counts, edges = np.histogram(values, bins=bins)
        return Table(f"{field} length ({self.unit})", ("bin_start", "bin_end", "samples"),
                     [(float(edges[i]), float(edges[i + 1]), int(counts[i]))
                      for i in range(len(counts))], note=self.tokenizer)


def length_report(samples: Sequence[Sample], counter: TokenCounter | None = None,
                  note: str = "", ctx: JobContext = NULL_CONTEXT) -> LengthReport:
    instruction_chars = np.fromiter((s.instruction_chars for s in samples), np.int64,
                                    len(samples))
    output_chars = np.fromiter((s.output_chars for s in samples), np.int64, len(samples))
    if counter is None:
        return LengthReport("characters", note or "characters", instruction_chars,
                            output_chars, instruction_chars, output_chars)
    instruction_tokens: list[int] = []
    output_tokens: list[int] = []
    for start in range(0, len(samples), _BATCH):
        ctx.raise_if_cancelled()
        batch = samples[start:start + _BATCH]
        instruction_tokens += counter.count([s.instruction for s in batch])
        output_tokens += counter.count([s.output for s in batch])
        ctx.report((start + len(batch)) / max(1, len(samples)), "counting tokens")
    truncated = any(s.truncated for s in samples)
    name = counter.name + (" (fields over 100,000 characters counted up to the cut)"
                           if truncated else "")
    return LengthReport("tokens", name, np.asarray(instruction_tokens, np.int64),
                        np.asarray(output_tokens, np.int64), instruction_chars, output_chars)
