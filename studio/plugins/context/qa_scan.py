"""``qa-scan``: find code patterns worth an expert question, with hafs's rules (§5).

The rules, scores and order are those of hafs's ``PatternAnalyzerAgent``: each line of each file
matched by the default globs (asm, c, cpp, cs) is tested against every regex of every rule
(case-insensitive); complexity is the rule's weight; pedagogical value is 0.5, +0.2 when the
line has a comment (``;`` or ``//``) or the ±5-line context has ``/*``, +0.1 per indicator word
in the context, capped at 1. The top ``limit`` by pedagogical * complexity are the ones hafs
sends to an LLM for question text. Without a model the studio records the patterns and says
so: question text is never invented.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from studio.api import NULL_CONTEXT, JobContext, atomic_write_text
from studio.plugins.context.qa import Question

__all__ = [
    "DEFAULT_GLOBS",
    "PATTERN_RULES",
    "CodePattern",
    "ScanResult",
    "analyze_file",
    "estimate_pedagogical_value",
    "extract_entities",
    "question_from_generation",
    "scan_tree",
]

DEFAULT_GLOBS = ("**/*.asm", "**/*.c", "**/*.cpp", "**/*.cs")
DEFAULT_LIMIT = 10
CONTEXT_LINES = 5
INDICATORS = ("optimize", "trick", "custom", "hack", "workaround")

# pattern_type -> (regexes, complexity weight), in hafs's order.
PATTERN_RULES: dict[str, tuple[tuple[str, ...], float]] = {
    "nmi_handler": ((r"NMI:", r"VBlank:", r"\bNMI\b.*:"), 0.9),
    "dma_transfer": ((r"\$2[0-3][0-9A-F]{2}", r"HDMA", r"\bDMA\b"), 0.8),
    "rom_hook": ((r"\borg\s+\$", r"pushpc", r"pullpc", r"JSL.*\$[2-9A-F]"), 0.7),
    "sprite_custom": ((r"Sprite.*Custom", r"CustomSprite", r"OAM"), 0.6),
    "bank_allocation": ((r"bank\s*=", r"\$[2-9A-F][0-9A-F]:[0-9A-F]{4}"), 0.7),
}
_COMPILED = {kind: [re.compile(p, re.IGNORECASE) for p in patterns]
             for kind, (patterns, _) in PATTERN_RULES.items()}
DIFFICULTY_BOOST = {"beginner": 0.0, "intermediate": 0.1, "advanced": 0.2}


@dataclass(frozen=True)
class CodePattern:
    """hafs's CodePattern, with its eight fields in hafs's order."""

    pattern_type: str
    file_path: str
    line_number: int
    code_snippet: str
    context: str
    complexity_score: float
    pedagogical_value: float
    related_entities: list[str] = field(default_factory=list)

    @property
    def rank_score(self) -> float:
        return self.pedagogical_value * self.complexity_score

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def estimate_pedagogical_value(code_line: str, context: str) -> float:
    value = 0.5
    if ";" in code_line or "//" in code_line or "/*" in context:
        value += 0.2
    lowered = context.lower()
    value += 0.1 * sum(1 for word in INDICATORS if word in lowered)
    return min(1.0, value)


def extract_entities(code_line: str) -> list[str]:
    """Called routines, hardware addresses and capitalised names on the line (hafs's rule).

    hafs returns ``list(set(...))`` (an arbitrary order); this returns the same set sorted.
    """
    entities = re.findall(r"(?:JSR|JSL|call)\s+(\w+)", code_line, re.IGNORECASE)
    entities += re.findall(r"\$[0-9A-Fa-f]{2,6}(?::[0-9A-Fa-f]{4})?", code_line)
    entities += re.findall(r"\b[A-Z][a-zA-Z0-9_]*\b", code_line)[:5]
    return sorted(set(entities))


def analyze_file(path: Path) -> list[CodePattern]:
    """Every rule match in one file, in hafs's order (rule, then regex, then line)."""
    content = path.read_text(errors="replace")
    lines = content.split("\n")
    found: list[CodePattern] = []
    for kind, regexes in _COMPILED.items():
        complexity = PATTERN_RULES[kind][1]
        for regex in regexes:
            for index, line in enumerate(lines):
                if not regex.search(line):
                    continue
                context = "\n".join(lines[max(0, index - CONTEXT_LINES):
                                          min(len(lines), index + CONTEXT_LINES + 1)])
                found.append(CodePattern(kind, str(path), index + 1, line.strip(), context,
                                         complexity, estimate_pedagogical_value(line, context),
                                         extract_entities(line)))
    return found


@dataclass
class ScanResult:
    root: str
    globs: tuple[str, ...]
    files: int
    patterns: list[CodePattern]  # every match, in scan order
    top: list[CodePattern]  # the ``limit`` that would be turned into questions
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"root": self.root, "globs": list(self.globs), "files": self.files,
                "patterns_found": len(self.patterns),
                "top": [p.to_dict() for p in self.top], "errors": self.errors}

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Record the scan (the top patterns wait there for a model to phrase questions)."""
        atomic_write_text(path, json.dumps(self.to_dict(), indent=2))
        return Path(path)


def _files(root: Path, globs: Iterable[str]) -> Iterable[Path]:
    if root.is_file():
        yield root
        return
    for pattern in globs:
        # hafs passes the "**/*.asm" patterns to rglob, which prefixes "**/" once more;
        # both walk the whole tree, so the files are the same.
        for path in sorted(root.rglob(pattern)):
            if path.is_file():
                yield path


def scan_tree(root: str | os.PathLike[str], globs: Iterable[str] = DEFAULT_GLOBS,
              limit: int = DEFAULT_LIMIT, ctx: JobContext = NULL_CONTEXT) -> ScanResult:
    """Scan ``root`` (a folder, or one file) and rank the patterns as ``hafs training qa-scan``."""
    root_path = Path(root)
    if not root_path.exists():
        raise FileNotFoundError(f"{root_path}: no such file or folder")
    globs = tuple(globs)
    files = list(_files(root_path, globs))
    patterns: list[CodePattern] = []
    errors: list[str] = []
    for index, path in enumerate(files):
        ctx.raise_if_cancelled()
        try:
            patterns += analyze_file(path)
        except OSError as exc:
            errors.append(f"{path}: {exc.strerror or exc}")
        ctx.report((index + 1) / len(files), f"Scanned {index + 1} of {len(files)} files")
    top = sorted(patterns, key=lambda p: p.rank_score, reverse=True)[:max(0, limit)]
    return ScanResult(str(root_path), globs, len(files), patterns, top, errors)


def question_from_generation(pattern: CodePattern, generated: dict[str, Any]) -> Question:
    """Build the ExpertQuestion hafs stores from a model's JSON reply for ``pattern``.

    The reply's keys are those hafs asks for (question, question_type, difficulty,
    learning_objectives, estimated_answer_length); the id and priority follow hafs's rules.
    """
    difficulty = str(generated.get("difficulty", "intermediate"))
    base = (pattern.complexity_score + pattern.pedagogical_value) / 2
    priority = min(1.0, base + DIFFICULTY_BOOST.get(difficulty, 0.0))
    file_name = pattern.file_path.split("/")[-1]
    return Question.from_raw({
        "question_id": f"q_{pattern.pattern_type}_{file_name}_{pattern.line_number}",
        "pattern": pattern.to_dict(),
        "question_text": str(generated.get("question", "")),
        "question_type": str(generated.get("question_type", "why")),
        "difficulty": difficulty,
        "learning_objectives": list(generated.get("learning_objectives", [])),
        "estimated_answer_length": int(generated.get("estimated_answer_length", 200)),
        "priority_score": priority,
    })
