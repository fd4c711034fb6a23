"""Kinds, listings, the browser's folder rows, pins and validation, on a generated context tree."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from context_tree import REQUIRED

from studio.plugins.context.folder_rows import Changes, FolderRows
from studio.plugins.context.kinds import FileKind, FolderMark, classify
from studio.plugins.context.listing import (
    Entry,
    entries_named,
    list_folder,
    sort_key,
    stream_folder,
)
from studio.plugins.context.pins import PinStore, PinStoreError
from studio.plugins.context.validate import check_syntax, hafs_problems, validate_text
from studio.plugins.models.schema import new_entry


def _kinds(folder: Path, root: Path) -> dict[str, FileKind]:
    return {e.name: e.kind for e in list_folder(folder, root)}


def test_every_file_kind_is_recognised(tree):
    root = tree.root
    assert _kinds(root / "models", root) == {
        "registry.json": FileKind.REGISTRY, "oracle-asm.Q8_0.gguf": FileKind.GGUF,
        "adapter_model.safetensors": FileKind.SAFETENSORS}
    splits = _kinds(tree.dataset, root)
    assert splits["train.jsonl"] == splits["val.jsonl"] == FileKind.DATASET_SPLIT
    assert splits["metadata.json"] == FileKind.JSON
    assert _kinds(tree.trainer_state.parent, root) == {"trainer_state.json":
                                                       FileKind.TRAINER_STATE}
    assert _kinds(tree.log.parent, root)["training_daemon.log"] == FileKind.LOG
    notes = _kinds(tree.json.parent, root)
    assert notes == {"config.json": FileKind.JSON, "events.jsonl": FileKind.JSONL,
                     "sync.toml": FileKind.TOML, "deploy.yaml": FileKind.YAML,
                     "README.md": FileKind.MARKDOWN}
    assert set(_kinds(tree.asm.parent, root).values()) == {FileKind.SOURCE}
    assert _kinds(tree.training, root)["expert_questions.json"] == FileKind.QA
    assert _kinds(tree.scheduled_tasks.parent, root)["scheduled_tasks.json"] == \
        FileKind.SCHEDULED_TASKS
    # a GGUF without its suffix is still recognised, by its magic
    renamed = root / "models" / "weights.bin"
    renamed.write_bytes(tree.gguf.read_bytes())
    assert _kinds(root / "models", root)["weights.bin"] == FileKind.GGUF
    (root / "models" / "blob.bin").write_bytes(b"\x00\x01\x02binary")
    assert _kinds(root / "models", root)["blob.bin"] == FileKind.BINARY
    assert classify("registry.json", parent="elsewhere") == FileKind.JSON


def test_folders_are_marked(tree):
    entries = {e.name: e for e in list_folder(tree.root, tree.root)}
    assert entries["models"].mark == FolderMark.HAFS
    assert entries["training"].mark_reason.startswith("hafs: ")
    assert entries["notes"].mark == FolderMark.NONE
    projects = {e.name: e for e in list_folder(tree.root / "projects", tree.root)}
    assert projects["zelda3"].mark == FolderMark.CONTEXT
    runs = {e.name: e for e in list_folder(tree.root / "runs", tree.root)}
    assert runs["qwen-asm-lora"].mark == FolderMark.RUN
    datasets = {e.name: e for e in list_folder(tree.dataset.parent, tree.root)}
    assert datasets[tree.dataset.name].mark == FolderMark.DATASET
    # hafs's folder names mean nothing below the root
    nested = {e.name: e for e in list_folder(tree.root / "src", tree.root)}
    assert nested["oracle"].mark == FolderMark.NONE


def test_listing_streams_batches_first_one_small_each_sorted(tmp_path):
    for i in range(450):
        (tmp_path / f"f{i:04d}.txt").write_text("x")
    (tmp_path / "zdir").mkdir()
    (tmp_path / "Adir").mkdir()
    batches = list(stream_folder(tmp_path, first_batch=50, batch=200))
    assert [len(b) for b in batches] == [50, 200, 200, 2]
    for batch in batches:
        assert [e.key for e in batch] == sorted(e.key for e in batch)
    names = [e.name for e in list_folder(tmp_path)]
    assert names[:2] == ["Adir", "zdir"]  # folders first, then by name
    assert names[2:] == sorted(names[2:], key=str.casefold)
    assert sorted(n for b in batches for n in (e.name for e in b)) == sorted(names)
    with pytest.raises(OSError):
        list(stream_folder(tmp_path / "missing"))


def test_sort_key_orders_folders_first_then_case_folded_then_code_points():
    names = [("b", False), ("B", False), ("a", False), ("ab", False), ("Z", True),
             ("a", True), ("Ä", False), ("ä", False)]
    by_key = sorted(names, key=lambda n: sort_key(*n))
    by_tuple = sorted(names, key=lambda n: (not n[1], n[0].casefold(), n[0]))
    assert by_key == by_tuple


def _entry(name: str, is_dir: bool = False, size: int = 0) -> Entry:
    return Entry(name, f"/f/{name}", is_dir, sort_key(name, is_dir), size, 0, FileKind.TEXT)


def _apply(rows: list[Entry], changes: Changes) -> None:
    """What the tree model does with a Changes, on a plain list."""
    for row in changes.removed:
        del rows[row]
    for update in changes.updates:
        rows[update.row] = update.entry
    for insert in changes.inserts:
        rows[insert.row:insert.row] = insert.entries
    if changes.trim_from is not None:
        del rows[changes.trim_from:]


@pytest.mark.parametrize("seed", range(40))
def test_folder_rows_always_show_the_first_rows_of_the_sorted_folder(seed):
    """Random batches, removals, type changes and scrolls: the shown rows are always the
    first rows of an independent sort of everything known, and nothing is lost."""
    import random

    rng = random.Random(seed)
    names = list(dict.fromkeys(f"n{rng.randrange(10**6)}" for _ in range(rng.randrange(1, 300))))
    rows, view, live = FolderRows(limit=rng.choice([1, 5, 20, 50])), [], {}
    while names or rng.random() < 0.3:
        roll = rng.random()
        if roll < 0.6 and names:
            batch = [_entry(n, rng.random() < 0.1) for n in names[:rng.randrange(1, 30)]]
            del names[:len(batch)]
            live.update((e.name, e) for e in batch)
            _apply(view, rows.add(batch))
        elif roll < 0.75 and live:
            gone = rng.sample(sorted(live), min(len(live), rng.randrange(1, 5)))
            for name in gone:
                del live[name]
            _apply(view, rows.remove(gone))
        elif roll < 0.85 and live:
            name = rng.choice(sorted(live))
            changed = _entry(name, live[name].is_dir ^ (rng.random() < 0.3), rng.randrange(99))
            live[name] = changed
            _apply(view, rows.add([changed]))
        else:
            view.extend(rows.take(rng.randrange(0, 30)))
        truth = sorted(live.values(), key=lambda e: (not e.is_dir, e.name.casefold(), e.name))
        assert view == rows.shown == truth[:len(view)]
        assert rows.waiting == len(truth) - len(view) and len(rows) == len(truth)
    view.extend(rows.take(len(live)))
    assert view == sorted(live.values(), key=lambda e: e.key)


def test_folder_rows_show_the_first_batch_then_keep_their_window():
    rows = FolderRows(limit=3)
    changes = rows.add([_entry(n) for n in ("m", "c", "x")])
    assert [(i.row, [e.name for e in i.entries]) for i in changes.inserts] == \
        [(0, ["c", "m", "x"])]
    changes = rows.add([_entry("a"), _entry("z")])  # "a" enters the window, "x" leaves it
    assert [e.name for e in rows.shown] == ["a", "c", "m"]
    assert changes.trim_from == 3 and rows.waiting == 2
    assert rows.add([_entry("a")]) == Changes()  # reported twice (listing and watch)
    assert [e.name for e in rows.take(5)] == ["x", "z"]


def test_entries_named_reads_reported_names_and_says_which_are_gone(tmp_path):
    (tmp_path / "new.json").write_text("{}")
    (tmp_path / "sub").mkdir()
    fresh, gone = entries_named(tmp_path, ["new.json", "sub", "vanished.txt"])
    assert [(e.name, e.is_dir, e.kind) for e in fresh] == [
        ("sub", True, FileKind.FOLDER), ("new.json", False, FileKind.JSON)]
    assert gone == ["vanished.txt"]


def test_unreadable_entry_is_reported_not_fatal(tmp_path):
    (tmp_path / "ok.txt").write_text("x")
    os.symlink(tmp_path / "nowhere", tmp_path / "dangling.json")
    entries = {e.name: e for e in list_folder(tmp_path)}
    assert entries["dangling.json"].error and entries["ok.txt"].error == ""


def test_pins_saved_toggled_exported_and_damage_kept(tmp_path, tree):
    file = tmp_path / "config" / "selected_context.json"
    store = PinStore(file)
    store.add(tree.asm)
    store.add(tree.dataset)
    store.add(tree.asm)  # twice: kept once
    with pytest.raises(PinStoreError, match="no such file"):
        store.add(tmp_path / "missing.txt")
    store.set_enabled(str(tree.asm), False)
    reloaded = PinStore(file)
    assert [(p.path, p.enabled, p.folder) for p in reloaded.pins()] == [
        (str(tree.asm), False, False), (str(tree.dataset), True, True)]
    assert reloaded.export_text() == f"{tree.dataset}\n"
    assert reloaded.export_text(only_enabled=False) == f"{tree.asm}\n{tree.dataset}\n"
    out = reloaded.export(tmp_path / "paths.txt")
    assert out.read_text() == f"{tree.dataset}\n"
    assert reloaded.remove(str(tree.dataset)) and not reloaded.remove("/nope")
    file.write_text("{not json")
    damaged = PinStore(file)
    assert damaged.pins() == [] and "could not be read" in damaged.problem
    assert (file.parent / "selected_context.json.bak").read_text() == "{not json"


@pytest.mark.parametrize(("language", "text", "line", "column"), [
    ("json", '{\n  "a": 1,\n  "b" 2\n}', 3, 7),
    ("jsonl", '{"a": 1}\n{"a": }\n', 2, 7),
    ("toml", 'a = 1\nb = \n', 2, 5),
    ("yaml", "a: 1\nb: [1, 2\nc: 3\n", 3, 2),
])
def test_syntax_errors_carry_line_and_column(language, text, line, column):
    problems = check_syntax(text, language)
    assert problems and (problems[0].line, problems[0].column) == (line, column)
    assert check_syntax('{"a": NaN}', "json") == []  # hafs's json.load accepts NaN


def _registry(**entry_changes) -> str:
    entry = new_entry("oracle-asm", display_name="Oracle ASM", **REQUIRED)
    entry.update(entry_changes)
    return json.dumps({"version": "1.0", "updated_at": "", "models": {"oracle-asm": entry}},
                      indent=2)


def test_registry_rules_follow_hafs_loader(tree):
    path = tree.registry
    assert hafs_problems(path, _registry()) == []
    # hafs accepts an entry without its 11 defaulted keys
    entry = new_entry("m", **REQUIRED)
    short = {k: entry[k] for k in list(entry)[:25]}
    assert hafs_problems(path, json.dumps({"models": {"m": short}})) == []
    unknown = hafs_problems(path, _registry(studio_only=1))
    assert unknown[0].severity == "refuse" and "unknown key(s) studio_only" in \
        unknown[0].message
    assert unknown[0].line == 5  # the entry's line
    missing = json.loads(_registry())
    del missing["models"]["oracle-asm"]["final_loss"]
    refused = hafs_problems(path, json.dumps(missing))
    assert "lacks final_loss" in refused[0].message and refused[0].severity == "refuse"
    assert validate_text(path, "")[0].severity == "refuse"
    broken = validate_text(path, _registry()[:-5])
    assert broken[0].severity == "refuse" and broken[0].line
    extra_top = hafs_problems(path, json.dumps({"models": {}, "mine": 1}))
    assert [p.severity for p in extra_top] == ["warning"]
    # the same text elsewhere is just JSON
    assert validate_text(tree.json, _registry(studio_only=1)) == []


def test_scheduled_tasks_rules_follow_training_task(tree):
    path = tree.scheduled_tasks
    good = tree.scheduled_tasks.read_text()
    assert validate_text(path, good) == []
    data = json.loads(good)
    data["tasks"][0]["priority"] = 3
    problem = validate_text(path, json.dumps(data, indent=2))[0]
    assert problem.severity == "refuse" and "unknown key(s) priority" in problem.message
    assert "8 defaults" in problem.message
    del data["tasks"][0]["priority"]
    del data["tasks"][0]["task_type"]
    assert "lacks task_type" in validate_text(path, json.dumps(data))[0].message
    data["tasks"][0].update(task_type="generation", interval_seconds="daily",
                            last_run="yesterday")
    warnings = validate_text(path, json.dumps(data))
    assert {p.severity for p in warnings} == {"warning"} and len(warnings) == 2
    assert validate_text(path, '{"tasks": {}}')[0].severity == "refuse"


def test_hafs_assembly_is_highlighted_as_65816_source():
    """Numbers are read whole and no instruction is taken for a comment (nasm did both)."""
    from studio.plugins.context.highlight import lex_lines, lexer_for

    source = "    LDA #$80 : STA $2100   ; force blank\n    STZ $420C\norg $1BB8C6\n"
    name = lexer_for("patch.asm")
    assert name is not None
    lines = lex_lines(source, name)

    def text_of(line: int, category: str) -> list[str]:
        row = source.split("\n")[line]
        return [row[start:start + length] for start, length, cat in lines[line]
                if cat == category]

    assert text_of(0, "comment") == ["; force blank"]
    assert "$2100" in text_of(0, "number") and text_of(1, "number") == ["$420C"]
    assert text_of(2, "number") == ["$1BB8C6"]
