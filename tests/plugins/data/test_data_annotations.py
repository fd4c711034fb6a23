"""user_annotations.json and manually_accepted.jsonl: hafs's shapes, merges, undo, no loss."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
from pathlib import Path

import pytest

from studio.plugins.data.annotations import (
    Annotation,
    AnnotationsDamagedError,
    AnnotationStore,
)
from studio.plugins.data.dataset import read_dataset
from studio.plugins.data.review import ReviewSession


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.glob("*.jsonl")) if p.name != "manually_accepted.jsonl"}


def test_review_actions_write_hafs_compatible_files(sample_dataset):
    folder = sample_dataset.folder
    before = _digest(folder)
    dataset = read_dataset(folder)
    rejected = [s for s in dataset.samples if s.split == "rejected"]
    accepted = [s for s in dataset.samples if s.split == "train"]
    session = ReviewSession(folder)
    session.approve(rejected[0])
    session.set_feedback(rejected[1], "wrong register width")
    session.reject(accepted[0])
    session.edit(accepted[1], "better instruction", "", accepted[1].output)
    session.approve(accepted[1])
    assert session.save().saved == 4 and not session.dirty
    entries = json.loads((folder / "user_annotations.json").read_text())
    assert isinstance(entries, list) and len(entries) == 4
    for entry in entries:  # hafs's four keys, with hafs's types
        assert isinstance(entry["instruction"], str) and isinstance(entry["domain"], str)
        assert isinstance(entry["user_approved"], bool)
        assert isinstance(entry["user_feedback"], str)
    by_key = {e["sample_key"]: e for e in entries}
    assert by_key[rejected[0].key]["user_approved"] is True
    assert by_key[rejected[1].key]["user_feedback"] == "wrong register width"
    assert by_key[accepted[0].key]["decision"] == "rejected"
    assert by_key[accepted[1].key]["edited"]["instruction"] == "better instruction"
    text = (folder / "manually_accepted.jsonl").read_text()
    lines = [json.loads(line) for line in text.splitlines()]
    assert [(line["instruction"], line["_metadata"]["sample_key"]) for line in lines] == [
        (rejected[0].instruction, rejected[0].key), ("better instruction", accepted[1].key)]
    assert all(set(line) <= {"instruction", "input", "output", "_metadata"} for line in lines)
    assert _digest(folder) == before  # train/val/test/rejected.jsonl untouched


def test_undo_and_toggles(sample_dataset):
    sample = read_dataset(sample_dataset.folder).samples[0]
    session = ReviewSession(sample_dataset.folder)
    session.approve(sample)
    session.approve(sample)  # toggles back
    assert session.get(sample.key) is None
    assert session.undo() == sample.key and session.get(sample.key).decision == "approved"
    session.reject(sample)
    assert session.get(sample.key).decision == "rejected"
    session.undo()
    session.undo()
    assert session.get(sample.key) is None and session.undo() is None
    session.edit(sample, sample.instruction, sample.input, sample.output)  # no change
    assert not session.dirty or session.get(sample.key) is None


def test_hand_written_lines_and_foreign_entries_are_kept(sample_dataset):
    folder = sample_dataset.folder
    hafs_entry = {"instruction": "from hafs's studio", "domain": "asm", "user_approved": True,
                  "user_feedback": ""}
    (folder / "user_annotations.json").write_text(json.dumps([hafs_entry]))
    (folder / "manually_accepted.jsonl").write_text(
        '{"instruction": "mine", "input": "", "output": "kept"}\nnot json but mine\n')
    sample = next(s for s in read_dataset(folder).samples if s.split == "rejected")
    session = ReviewSession(folder)
    session.reload()
    session.approve(sample)
    session.save()
    entries = json.loads((folder / "user_annotations.json").read_text())
    assert entries[0] == hafs_entry and entries[1]["sample_key"] == sample.key
    lines = (folder / "manually_accepted.jsonl").read_text().splitlines()
    assert lines[:2] == ['{"instruction": "mine", "input": "", "output": "kept"}',
                         "not json but mine"]
    session.approve(sample)  # un-approve: our line goes, the user's stay
    session.save()
    assert (folder / "manually_accepted.jsonl").read_text().splitlines() == lines[:2]


def test_a_damaged_file_is_never_overwritten(sample_dataset):
    folder = sample_dataset.folder
    path = folder / "user_annotations.json"
    path.write_text('[{"instruction": "half-writ')
    sample = read_dataset(folder).samples[0]
    session = ReviewSession(folder)
    session.reload()
    assert "user_annotations.json:1:" in session.load_error
    session.approve(sample)
    result = session.save()
    assert not result.ok and "not writing" in result.error
    assert path.read_text() == '[{"instruction": "half-writ'
    assert (folder / "user_annotations.json.bak").exists()
    assert session.dirty  # the change waits for the file to be fixed
    path.write_text("[]")
    assert session.save().ok and not session.dirty
    with pytest.raises(AnnotationsDamagedError, match="expected a JSON array"):
        path.write_text("{}")
        AnnotationStore(folder).load()


def _writer(folder: str, worker: int, count: int) -> None:
    store = AnnotationStore(folder)
    for number in range(count):
        key = f"text:w{worker}-{number}"
        store.commit({key: Annotation(key, "rejected", f"i{worker}-{number}", "", "o", "asm",
                                      "approved")})


def test_concurrent_processes_lose_nothing(tmp_path):
    workers, count = 4, 15
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_writer, args=(str(tmp_path), w, count))
                 for w in range(workers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
        assert process.exitcode == 0
    entries = json.loads((tmp_path / "user_annotations.json").read_text())
    assert sorted(e["sample_key"] for e in entries) == sorted(
        f"text:w{w}-{n}" for w in range(workers) for n in range(count))
    lines = (tmp_path / "manually_accepted.jsonl").read_text().splitlines()
    assert len(lines) == workers * count


def test_a_save_keeps_changes_made_meanwhile(sample_dataset):
    samples = read_dataset(sample_dataset.folder).samples
    session = ReviewSession(sample_dataset.folder)
    session.approve(samples[0])
    original_commit = session.store.commit

    def commit_while_user_acts(changes):
        session.reject(samples[1])  # the user presses r while the save runs
        return original_commit(changes)

    session.store.commit = commit_while_user_acts
    assert session.save().saved == 1
    assert session.dirty and session.get(samples[1].key).decision == "rejected"
    session.store.commit = original_commit
    session.save()
    assert {a.sample_key for a in AnnotationStore(sample_dataset.folder).load().values()} == {
        samples[0].key, samples[1].key}
