"""hafs's expert Q&A files (``hafs training qa*``, hafs-formats §5): read, rank, answer, skip.

The files live in ``<context>/training/``. hafs rewrites them in place (``open("w")`` +
``json.dump``), so a read may catch one empty or half-written: reads retry briefly, a file that
stays unreadable is reported by name, and nothing is ever written over a file that could not be
read. Writes go through the platform's atomic write and use hafs's exact shapes and formatting
(``json.dump(indent=2)``), so hafs reads back everything the studio writes.

Ranking is hafs's ``QuestionCurator.rank_questions``: 0.4·novelty + 0.3·priority +
0.3·difficulty (beginner .3, intermediate .6, advanced 1.0, else .5), a stable sort by score,
descending; today's batch is the top 7 pending questions, created (and saved) when missing.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.api import atomic_write_text

__all__ = [
    "BATCH_SIZE",
    "DIFFICULTY_SCORES",
    "QAError",
    "QAFileError",
    "QAStats",
    "QAStore",
    "Question",
    "rank_questions",
    "score_question",
]

BATCH_SIZE = 7
DIFFICULTY_SCORES = {"beginner": 0.3, "intermediate": 0.6, "advanced": 1.0}
NOVELTY_WEIGHT, PRIORITY_WEIGHT, DIFFICULTY_WEIGHT = 0.4, 0.3, 0.3

PATTERN_KEYS = ("pattern_type", "file_path", "line_number", "code_snippet", "context",
                "complexity_score", "pedagogical_value", "related_entities")
QUESTION_KEYS = ("question_id", "pattern", "question_text", "question_type", "difficulty",
                 "learning_objectives", "estimated_answer_length", "priority_score")
READ_RETRIES = 5
RETRY_WAIT_S = 0.05


class QAError(ValueError):
    """A Q&A request that cannot be done (unknown id, empty answer); names what is wrong."""


class QAFileError(QAError):
    """A Q&A file could not be read; nothing was written over it."""


@dataclass(frozen=True)
class Question:
    """One ExpertQuestion; ``data`` is its dict in hafs's key order (written back as is)."""

    data: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.data["question_id"])

    @property
    def text(self) -> str:
        return str(self.data["question_text"])

    @property
    def difficulty(self) -> str:
        return str(self.data["difficulty"])

    @property
    def priority(self) -> float:
        return float(self.data["priority_score"])

    @property
    def pattern(self) -> dict[str, Any]:
        return self.data["pattern"]

    @classmethod
    def from_raw(cls, raw: Any) -> Question:
        """Validate like hafs's loader (``CodePattern(**p)`` and the 8 question keys)."""
        if not isinstance(raw, dict):
            raise QAError(f"a question is a {type(raw).__name__}, not an object")
        qid = raw.get("question_id", "?")
        missing = [k for k in QUESTION_KEYS if k not in raw]
        if missing:
            raise QAError(f"question {qid!r} lacks {', '.join(missing)}")
        pattern = raw["pattern"]
        if not isinstance(pattern, dict):
            raise QAError(f"question {qid!r}: pattern is not an object")
        missing = [k for k in PATTERN_KEYS[:7] if k not in pattern]
        unknown = [k for k in pattern if k not in PATTERN_KEYS]
        if missing or unknown:
            raise QAError(f"question {qid!r}: pattern " + "; ".join(
                part for part in (f"lacks {', '.join(missing)}" if missing else "",
                                  f"has unknown {', '.join(unknown)}" if unknown else "")
                if part))
        ordered_pattern = {k: pattern.get(k, []) for k in PATTERN_KEYS}
        return cls({**{k: raw[k] for k in QUESTION_KEYS}, "pattern": ordered_pattern})


def score_question(question: Question, answered_ids: set[str]) -> float:
    novelty = 0.0 if question.id in answered_ids else 1.0
    difficulty = DIFFICULTY_SCORES.get(question.difficulty, 0.5)
    return (NOVELTY_WEIGHT * novelty + PRIORITY_WEIGHT * question.priority
            + DIFFICULTY_WEIGHT * difficulty)


def rank_questions(questions: list[Question], answered_ids: set[str]) -> list[Question]:
    """hafs's order: score descending; equal scores keep the file's order (a stable sort)."""
    scored = [(score_question(q, answered_ids), q) for q in questions]
    scored.sort(key=lambda pair: pair[0], reverse=True)
    return [q for _, q in scored]


@dataclass(frozen=True)
class QAStats:
    """``hafs training qa-stats`` figures."""

    total_questions: int
    answered_count: int
    skipped_count: int
    pending_count: int
    answer_word_count_avg: float
    conversion_rate: float
    total_samples_generated: int

    @property
    def overall_progress(self) -> float:
        if not self.total_questions:
            return 0.0
        return (self.answered_count + self.skipped_count) / self.total_questions

    def to_dict(self) -> dict[str, Any]:
        return {
            "total_questions": self.total_questions,
            "answered_count": self.answered_count,
            "skipped_count": self.skipped_count,
            "pending_count": self.pending_count,
            "answer_word_count_avg": self.answer_word_count_avg,
            "conversion_rate": self.conversion_rate,
            "total_samples_generated": self.total_samples_generated,
            "overall_progress": self.overall_progress,
        }


@dataclass
class Batch:
    batch_id: str
    questions: list[Question]
    created_at: str
    answered_count: int = 0
    skipped_count: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"batch_id": self.batch_id, "questions": [q.data for q in self.questions],
                "created_at": self.created_at, "answered_count": self.answered_count,
                "skipped_count": self.skipped_count}


@dataclass
class QASnapshot:
    """Everything the Q&A view shows, read in one go (off the UI thread)."""

    questions: list[Question]
    answered: list[dict[str, Any]]
    skipped: set[str]
    stats: QAStats
    warnings: list[str] = field(default_factory=list)

    @property
    def answered_ids(self) -> set[str]:
        return {str(a["question"]["question_id"]) for a in self.answered}

    def status(self, question_id: str) -> str:
        if question_id in self.answered_ids:
            return "answered"
        if question_id in self.skipped:
            return "skipped"
        return "pending"


def _now() -> str:
    return _dt.datetime.now().isoformat()


class QAStore:
    """The Q&A files of one hafs training folder (``<context>/training``)."""

    def __init__(self, training_dir: str | os.PathLike[str]) -> None:
        self.dir = Path(training_dir)
        self.questions_file = self.dir / "expert_questions.json"
        self.batches_file = self.dir / "question_batches.json"
        self.answered_file = self.dir / "answered_questions.json"
        self.skipped_file = self.dir / "skipped_questions.json"
        self.samples_dir = self.dir / "qa_samples"

    # -- lenient reads -----------------------------------------------------------------------
    def _read(self, path: Path, default: Any) -> Any:
        """The parsed file, ``default`` when absent; retried while hafs may be mid-write."""
        last_error = ""
        for attempt in range(READ_RETRIES):
            try:
                text = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                return default
            except OSError as exc:
                raise QAFileError(f"{path}: {exc.strerror or exc}") from exc
            try:
                if not text.strip():
                    raise ValueError("the file is empty")
                return json.loads(text)
            except ValueError as exc:  # JSONDecodeError is a ValueError
                last_error = str(exc)
            if attempt + 1 < READ_RETRIES:
                time.sleep(RETRY_WAIT_S)  # hafs writes in place: give it a moment
        raise QAFileError(f"{path}: cannot be read ({last_error}); it may be mid-write by "
                          "hafs; nothing was changed")

    def _read_list(self, path: Path) -> list[Any]:
        data = self._read(path, [])
        if not isinstance(data, list):
            raise QAFileError(f"{path}: expected a JSON array, found {type(data).__name__}")
        return data

    def questions(self, warnings: list[str] | None = None) -> list[Question]:
        """Every question in file order; malformed ones are skipped and named in ``warnings``."""
        found = []
        for index, raw in enumerate(self._read_list(self.questions_file)):
            try:
                found.append(Question.from_raw(raw))
            except QAError as exc:
                if warnings is not None:
                    warnings.append(f"{self.questions_file.name} item {index + 1}: {exc}")
        return found

    def answered(self) -> list[dict[str, Any]]:
        items = self._read_list(self.answered_file)
        return [a for a in items if isinstance(a, dict) and isinstance(a.get("question"), dict)
                and "question_id" in a["question"]]

    def skipped_ids(self) -> set[str]:
        data = self._read(self.skipped_file, {})
        if not isinstance(data, dict):
            raise QAFileError(f"{self.skipped_file}: expected an object with skipped_ids")
        return {str(x) for x in data.get("skipped_ids", [])}

    def batches(self) -> list[dict[str, Any]]:
        return [b for b in self._read_list(self.batches_file)
                if isinstance(b, dict) and "batch_id" in b]

    def snapshot(self) -> QASnapshot:
        warnings: list[str] = []
        questions = self.questions(warnings)
        answered = self.answered()
        skipped = self.skipped_ids()
        return QASnapshot(questions, answered, skipped,
                          self._stats(questions, answered, skipped), warnings)

    # -- ranking and batches -----------------------------------------------------------------
    def ranked(self) -> list[Question]:
        answered_ids = {str(a["question"]["question_id"]) for a in self.answered()}
        return rank_questions(self.questions(), answered_ids)

    def pending_ranked(self) -> list[Question]:
        answered_ids = {str(a["question"]["question_id"]) for a in self.answered()}
        skipped = self.skipped_ids()
        return [q for q in rank_questions(self.questions(), answered_ids)
                if q.id not in answered_ids and q.id not in skipped]

    def batch(self, batch_id: str) -> Batch | None:
        data = next((b for b in self.batches() if str(b["batch_id"]) == batch_id), None)
        if data is None:
            return None
        questions = [Question.from_raw(q) for q in data.get("questions", [])]
        return Batch(str(data["batch_id"]), questions, str(data.get("created_at", "")),
                     int(data.get("answered_count", 0)), int(data.get("skipped_count", 0)))

    def create_batch(self, batch_id: str | None = None, size: int = BATCH_SIZE) -> Batch | None:
        """hafs's ``create_batch``: the top ``size`` pending questions, saved (same id replaced)."""
        pending = self.pending_ranked()
        if not pending:
            return None
        batch = Batch(batch_id or _dt.datetime.now().strftime("%Y%m%d"), pending[:size], _now())
        batches = self._read_list(self.batches_file)
        index = next((i for i, b in enumerate(batches)
                      if isinstance(b, dict) and b.get("batch_id") == batch.batch_id), None)
        if index is None:
            batches.append(batch.to_dict())
        else:
            batches[index] = batch.to_dict()
        self._write(self.batches_file, batches)
        return batch

    def today_batch(self, *, create: bool = True) -> Batch | None:
        """Today's batch (YYYYMMDD), created and saved when missing, as ``hafs training qa``."""
        today = _dt.datetime.now().strftime("%Y%m%d")
        batch = self.batch(today)
        if batch is None and create:
            batch = self.create_batch(today)
        return batch

    # -- answering ---------------------------------------------------------------------------
    def find(self, question_id: str) -> Question:
        question = next((q for q in self.questions() if q.id == question_id), None)
        if question is None:
            raise QAError(f"question {question_id!r} is not in {self.questions_file}")
        return question

    def answer(self, question_id: str, answer: str) -> dict[str, Any]:
        """Append an answer record exactly as ``hafs training qa-answer`` does."""
        answer = answer.strip()
        if not answer:
            raise QAError("the answer is empty; nothing was saved")
        question = self.find(question_id)
        existing = self._read_list(self.answered_file)
        record = {"question": question.data, "answer": answer, "answered_at": _now(),
                  "answer_word_count": len(answer.split()), "converted_to_samples": False,
                  "sample_count": 0}
        self._write(self.answered_file, [*existing, record])
        return record

    def skip(self, question_id: str) -> None:
        """Add the id to the skipped set (hafs does not check that it exists; nor do we)."""
        data = self._read(self.skipped_file, {})
        if not isinstance(data, dict):
            raise QAFileError(f"{self.skipped_file}: expected an object with skipped_ids")
        ids = [str(x) for x in data.get("skipped_ids", [])]
        if question_id not in ids:
            ids.append(question_id)
        self._write(self.skipped_file, {"skipped_ids": ids})

    def append_questions(self, questions: list[Question]) -> None:
        """Append generated questions (hafs appends without de-duplication)."""
        existing = self._read_list(self.questions_file)
        self._write(self.questions_file, [*existing, *(q.data for q in questions)])

    def samples_for(self, question_id: str) -> int:
        """Lines in ``qa_samples/<id>.jsonl`` (samples generated for an answer)."""
        path = self.samples_dir / f"{question_id}.jsonl"
        try:
            with open(path, "rb") as handle:
                return sum(1 for line in handle if line.strip())
        except OSError:
            return 0

    # -- statistics --------------------------------------------------------------------------
    def stats(self) -> QAStats:
        return self._stats(self.questions(), self.answered(), self.skipped_ids())

    @staticmethod
    def _stats(questions: list[Question], answered: list[dict[str, Any]], skipped: set[str]
               ) -> QAStats:
        n_answered = len(answered)
        words = [int(a.get("answer_word_count", 0) or 0) for a in answered]
        converted = sum(1 for a in answered if a.get("converted_to_samples"))
        return QAStats(
            total_questions=len(questions),
            answered_count=n_answered,
            skipped_count=len(skipped),
            pending_count=len(questions) - n_answered - len(skipped),
            answer_word_count_avg=sum(words) / n_answered if n_answered else 0,
            conversion_rate=converted / n_answered if n_answered else 0.0,
            total_samples_generated=sum(int(a.get("sample_count", 0) or 0) for a in answered),
        )

    def _write(self, path: Path, data: Any) -> None:
        # json.dump(indent=2) with ensure_ascii, as hafs writes; atomically, unlike hafs.
        atomic_write_text(path, json.dumps(data, indent=2))
