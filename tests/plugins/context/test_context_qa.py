"""hafs's expert Q&A files: written by the studio, read back with hafs's rules; ranking, stats,
scan rules, and the ``hafs-studio qa`` CLI as a real subprocess."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from context_tree import question

from studio.plugins.context import qa as qa_module
from studio.plugins.context.qa import QAError, QAFileError, QAStore
from studio.plugins.context.qa_scan import analyze_file, question_from_generation, scan_tree


# hafs's dataclasses, restated from hafs-formats §5: the studio's files must load through them.
@dataclass
class CodePattern:
    pattern_type: str
    file_path: str
    line_number: int
    code_snippet: str
    context: str
    complexity_score: float
    pedagogical_value: float
    related_entities: list[str] = field(default_factory=list)


@dataclass
class ExpertQuestion:
    question_id: str
    pattern: CodePattern
    question_text: str
    question_type: str
    difficulty: str
    learning_objectives: list[str]
    estimated_answer_length: int
    priority_score: float


def hafs_question(data: dict) -> ExpertQuestion:
    return ExpertQuestion(**{**data, "pattern": CodePattern(**data["pattern"])})


def hafs_rank(questions: list[dict], answered_ids: set[str]) -> list[str]:
    """An independent ranking: sort by (-score, file position)."""
    weights = {"beginner": 0.3, "intermediate": 0.6, "advanced": 1.0}
    scored = []
    for position, q in enumerate(questions):
        novelty = 0.0 if q["question_id"] in answered_ids else 1.0
        score = 0.4 * novelty + 0.3 * q["priority_score"] + 0.3 * weights.get(
            q["difficulty"], 0.5)
        scored.append((-score, position, q["question_id"]))
    return [qid for _, _, qid in sorted(scored)]


@pytest.fixture
def store(tree) -> QAStore:
    return QAStore(tree.training)


def test_ranking_matches_an_independent_computation(store, tree):
    questions = json.loads((tree.training / "expert_questions.json").read_text())
    extra = [question(f"q_tie_{i}.asm_{i}", "intermediate", 0.5, i) for i in range(5)]
    store.append_questions([qa_module.Question.from_raw(q) for q in extra])
    everything = questions + extra
    assert [q.id for q in store.ranked()] == hafs_rank(everything, set())
    store.answer("q_nmi_handler_nmi.asm_2", "Because the PPU ignores VRAM writes outside "
                 "forced blank or vblank.")
    answered = {"q_nmi_handler_nmi.asm_2"}
    assert [q.id for q in store.ranked()] == hafs_rank(everything, answered)
    store.skip("q_tie_0.asm_0")
    pending = [qid for qid in hafs_rank(everything, answered)
               if qid not in answered | {"q_tie_0.asm_0"}]
    batch = store.today_batch()
    assert batch.batch_id == dt.datetime.now().strftime("%Y%m%d")
    assert [q.id for q in batch.questions] == pending[:7]
    # the batch is saved, as hafs saves it, and returned as is the next time
    saved = json.loads(store.batches_file.read_text())
    assert [b["batch_id"] for b in saved] == [batch.batch_id]
    assert [q["question_id"] for q in saved[0]["questions"]] == pending[:7]
    store.skip(pending[0])
    assert [q.id for q in store.today_batch().questions] == pending[:7]
    recreated = store.create_batch(batch.batch_id)
    assert [q.id for q in recreated.questions] == pending[1:8]
    assert len(json.loads(store.batches_file.read_text())) == 1  # same id replaced


def test_files_written_by_the_studio_load_with_hafs_rules(store):
    record = store.answer("q_dma_transfer_nmi.asm_6", "  It waits for vblank.\n")
    store.skip("q_rom_hook_nmi.asm_10")
    store.skip("q_rom_hook_nmi.asm_10")
    store.skip("q_unknown")  # hafs does not check that the id exists
    store.today_batch()
    answered = json.loads(store.answered_file.read_text())
    assert list(answered[0]) == ["question", "answer", "answered_at", "answer_word_count",
                                 "converted_to_samples", "sample_count"]
    hafs_question(answered[0]["question"])
    assert answered[0]["answer"] == "It waits for vblank." == record["answer"]
    assert answered[0]["answer_word_count"] == 4
    dt.datetime.fromisoformat(answered[0]["answered_at"])
    skipped = json.loads(store.skipped_file.read_text())
    assert set(skipped) == {"skipped_ids"}
    assert sorted(skipped["skipped_ids"]) == ["q_rom_hook_nmi.asm_10", "q_unknown"]
    for batch in json.loads(store.batches_file.read_text()):
        assert list(batch) == ["batch_id", "questions", "created_at", "answered_count",
                               "skipped_count"]
        for q in batch["questions"]:
            hafs_question(q)
    for q in json.loads(store.questions_file.read_text()):
        hafs_question(q)
    # json.dump(indent=2) with ensure_ascii, like hafs
    assert store.answered_file.read_text().startswith('[\n  {\n    "question"')


def test_stats_are_qa_stats_figures(store):
    assert store.stats().to_dict() == {
        "total_questions": 4, "answered_count": 0, "skipped_count": 0, "pending_count": 4,
        "answer_word_count_avg": 0, "conversion_rate": 0.0, "total_samples_generated": 0,
        "overall_progress": 0.0}
    store.answer("q_nmi_handler_nmi.asm_2", "one two three")
    store.answer("q_dma_transfer_nmi.asm_6", "one two three four five")
    store.skip("q_rom_hook_nmi.asm_10")
    stats = store.stats()
    assert (stats.answered_count, stats.skipped_count, stats.pending_count) == (2, 1, 1)
    assert stats.answer_word_count_avg == 4 and stats.overall_progress == 0.75


def test_bad_answers_and_unknown_ids_write_nothing(store):
    with pytest.raises(QAError, match="empty"):
        store.answer("q_nmi_handler_nmi.asm_2", "  \n")
    with pytest.raises(QAError, match="not in"):
        store.answer("q_missing", "text")
    assert not store.answered_file.exists()


def test_half_written_files_are_retried_then_reported_never_overwritten(store, monkeypatch):
    monkeypatch.setattr(qa_module, "RETRY_WAIT_S", 0.01)
    good = store.questions_file.read_text()
    store.questions_file.write_text(good[: len(good) // 2])  # hafs caught mid-write
    with pytest.raises(QAFileError, match="mid-write"):
        store.answer("q_nmi_handler_nmi.asm_2", "text")
    assert store.questions_file.read_text() == good[: len(good) // 2]
    assert not store.answered_file.exists()
    store.answered_file.write_text("")
    with pytest.raises(QAFileError):
        store.stats()
    assert store.answered_file.read_text() == ""
    # the write finishes while the studio retries: the read succeeds
    store.answered_file.write_text("[]")
    store.questions_file.write_text("")
    monkeypatch.setattr(qa_module, "RETRY_WAIT_S", 0.05)
    timer = threading.Timer(0.06, lambda: store.questions_file.write_text(good))
    timer.start()
    assert store.stats().total_questions == 4
    timer.join()


def test_malformed_questions_are_skipped_with_a_warning(store):
    data = json.loads(store.questions_file.read_text())
    data.append({"question_id": "q_broken"})
    store.questions_file.write_text(json.dumps(data))
    snapshot = store.snapshot()
    assert len(snapshot.questions) == 4 and "q_broken" in snapshot.warnings[0]


def test_scan_applies_hafs_rules(tree):
    patterns = analyze_file(tree.asm)
    by_line = {}
    for p in patterns:
        by_line.setdefault(p.line_number, set()).add(p.pattern_type)
    assert by_line[2] == {"nmi_handler"}
    assert by_line[6] == {"dma_transfer"}  # $2100 and "DMA": two matches
    assert [p.pattern_type for p in patterns].count("nmi_handler") == 2  # "NMI:" twice-matched
    nmi = next(p for p in patterns if p.line_number == 2)
    assert nmi.complexity_score == 0.9
    # comment on the line? no. "/*" in context? no. indicators in ±5 lines: custom, workaround,
    # trick -> 0.5 + 0.3
    assert nmi.pedagogical_value == pytest.approx(0.8)
    assert nmi.context == "\n".join(tree.asm.read_text().split("\n")[0:7])
    jsl = next(p for p in patterns if p.pattern_type == "sprite_custom")
    assert jsl.related_entities == sorted({"CustomSprite_Draw", "JSL"})
    result = scan_tree(tree.root / "src", limit=3)
    assert result.files == 2 and len(result.top) == 3
    assert [p.rank_score for p in result.top] == sorted(
        (p.rank_score for p in result.patterns), reverse=True)[:3]
    c_pattern = next(p for p in result.patterns if p.file_path.endswith("patch.c"))
    assert c_pattern.pattern_type == "bank_allocation"
    generated = question_from_generation(nmi, {"question": "Why force blank?",
                                               "difficulty": "advanced"})
    assert generated.id == "q_nmi_handler_nmi.asm_2"
    assert generated.priority == pytest.approx(min(1.0, (0.9 + 0.8) / 2 + 0.2))
    hafs_question(generated.data)


@pytest.fixture
def cli(tree, tmp_path):
    home = tmp_path / "studio-home"

    def run(*args: str, input_text: str | None = None) -> subprocess.CompletedProcess:
        env = dict(os.environ, HAFS_STUDIO_HOME=str(home), COLUMNS="200")
        env.pop("DISPLAY", None)
        env["PYTHONPATH"] = str(Path(__file__).resolve().parents[3])
        command = [sys.executable, "-m", "studio", "--context", str(tree.root), *args]
        return subprocess.run(command, check=False, capture_output=True, text=True, env=env,
                              input=input_text, timeout=120)

    run.home = home
    return run


def test_qa_cli(cli, tree):
    stats = json.loads(cli("qa", "stats", "--json").stdout)
    assert stats["total_questions"] == 4 and stats["pending_count"] == 4
    listed = cli("qa", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    batch = json.loads(listed.stdout)
    ids = [q["question_id"] for q in batch["questions"]]
    questions = json.loads((tree.training / "expert_questions.json").read_text())
    assert ids == hafs_rank(questions, set())
    answered = cli("qa", "answer", ids[0], input_text="Because vblank is short.\n")
    assert answered.returncode == 0, answered.stderr
    assert "No language model is deployed" in answered.stdout
    assert cli("qa", "skip", ids[1]).returncode == 0
    listed = json.loads(cli("qa", "list", "--json").stdout)
    assert [q["status"] for q in listed["questions"][:2]] == ["answered", "skipped"]
    missing = cli("qa", "answer", "q_nope", "--answer", "x")
    assert missing.returncode == 1 and "q_nope" in missing.stderr
    scan = cli("qa", "scan", str(tree.root / "src"), "--json", "--limit", "4")
    assert scan.returncode == 0, scan.stderr
    data = json.loads(scan.stdout)
    assert data["patterns_found"] == 10 and len(data["top"]) == 4
    assert data["questions_generated"] == 0 and "No language model" in data["note"]
    assert json.loads(Path(data["recorded"]).read_text())["top"] == data["top"]
    assert len(json.loads((tree.training / "expert_questions.json").read_text())) == 4


def test_context_cli(cli, tree):
    listed = json.loads(cli("context", "ls", "--json").stdout)
    assert {e["name"]: e["mark"] for e in listed}["models"] == "hafs"
    bad = tree.registry.parent / "broken" / "models"
    bad.mkdir(parents=True)
    (bad / "registry.json").write_text('{"models": {"x": {"model_id": "x"}}}')
    result = cli("context", "validate", str(bad / "registry.json"))
    assert result.returncode == 4 and "refuse" in result.stdout
    assert cli("context", "validate", str(tree.toml)).returncode == 0
    structure = json.loads(cli("context", "structure", str(tree.gguf), "--json").stdout)
    assert structure["format"] == "gguf" and structure["regions"][0]["name"] == "magic"
    assert cli("context", "pins", "add", str(tree.asm)).returncode == 0
    exported = cli("context", "pins", "export")
    assert exported.stdout == f"{tree.asm}\n"
    assert (cli.home / "config" / "context" / "selected_context.json").exists()
