"""Reading hafs dataset folders and any JSONL: problems listed by line, nothing crashes."""

from __future__ import annotations

import json
import shutil
from collections import Counter

import pytest
from data_helpers import read_lines
from hypothesis import given
from hypothesis import strategies as st

from studio.core.jobs import JobCancelled, JobContext
from studio.plugins.data.dataset import (
    DatasetError,
    read_dataset,
    read_json_file,
    scan_dataset,
)
from studio.plugins.data.jsonl import scan_jsonl
from studio.plugins.data.records import MAX_FIELD_CHARS, FieldMapping, MappingError, content_key


def _collect(path, **kwargs):
    seen = []
    report = scan_jsonl(path, lambda line, record: seen.append((line, record)), **kwargs)
    return seen, report


def test_real_hafs_summaries_are_read(data_dir, tmp_path):
    folder = tmp_path / "alttp_yaze_full_1000_20251221_195746"
    shutil.copytree(data_dir / "hafs_dataset_alttp_yaze_full_1000", folder)
    dataset = read_dataset(folder)
    assert dataset.kind == "hafs" and dataset.samples == []
    assert {name: s.state for name, s in dataset.summaries.items()} == {
        "metadata.json": "ok", "stats.json": "ok", "rejection_summary.json": "ok"}
    assert dataset.metadata["train_count"] == 504
    summary = dataset.summaries["rejection_summary.json"].data
    assert sum(summary["by_reason"].values()) == summary["total_rejected"] == 144


def test_real_reference_examples_through_a_field_mapping(data_dir, tmp_path):
    examples = json.loads((data_dir / "hafs_training_reference_examples.json").read_text())
    lines = [{"prompt": e["instruction"], "context": e["input"], "answer": e["output"],
              "meta": {"topic": domain, "score": e["quality_score"]}}
             for domain, groups in examples.items() for group in groups.values() for e in group]
    path = tmp_path / "reference.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    mapping = FieldMapping.parse("instruction=prompt,input=context,output=answer,"
                                 "domain=meta.topic,quality_score=meta.score")
    dataset = read_dataset(path, mapping)
    assert dataset.kind == "jsonl" and len(dataset.samples) == len(lines) == 7
    for sample, line in zip(dataset.samples, lines, strict=True):
        assert (sample.instruction, sample.input, sample.output) == (
            line["prompt"], line["context"], line["answer"])
        assert sample.domain == line["meta"]["topic"]
        assert sample.quality_score == line["meta"]["score"]
    assert dataset.counts.domains["train"] == Counter(line["meta"]["topic"] for line in lines)


def test_generated_folder_matches_a_plain_json_reading(sample_dataset):
    dataset = read_dataset(sample_dataset.folder)
    for split in ("train", "val", "test", "rejected"):
        lines = read_lines(sample_dataset.folder / f"{split}.jsonl")
        samples = [s for s in dataset.samples if s.split == split]
        assert len(samples) == len(lines) == sample_dataset.splits[split]
        for sample, line in zip(samples, lines, strict=True):
            meta = line.get("_metadata", {})
            assert sample.domain == (line.get("domain") or meta.get("domain"))
            assert sample.quality_score == (line.get("quality_score")
                                            if split == "rejected" else meta["quality_score"])
            if "messages" in line:
                assert sample.template == "messages"
                assert sample.instruction == line["messages"][0]["content"]
                assert sample.output == line["messages"][1]["content"]
            else:
                assert sample.instruction == line["instruction"]
                assert sample.output == line["output"]
    assert dataset.counts.reasons == sample_dataset.reasons
    assert scan_dataset(sample_dataset.folder).counts == dataset.counts


def test_problems_are_listed_with_line_numbers_and_the_rest_loads(tmp_path):
    good = json.dumps({"instruction": "a", "output": "b"})
    path = tmp_path / "train.jsonl"
    path.write_bytes(b"\n".join([
        good.encode(),                                            # 1
        b'{"instruction": "cut off',                              # 2 malformed
        b"",                                                      # 3 blank
        b'["a", "list"]',                                         # 4 not an object
        b'{"instruction": "caf\xe9", "output": "x"}',             # 5 invalid UTF-8
        b'{"output": "no instruction"}',                          # 6 missing field
        b"  \r",                                                  # 7 blank (CRLF leftovers)
        good.encode() + b"\r",                                    # 8 CRLF line
        good.encode(),                                            # 9 no final newline
    ]))
    dataset = read_dataset(path)
    report = dataset.files["train"]
    assert [s.line for s in dataset.samples] == [1, 5, 6, 8, 9]
    assert report.lines == 9 and report.records == 5 and report.blank == 2
    assert [(p.line, p.reason) for p in report.malformed] == [
        (2, report.malformed[0].reason), (4, "a JSON list, not an object")]
    assert "column" in report.malformed[0].reason
    assert [p.line for p in report.repaired] == [5]
    assert dataset.samples[1].instruction == "caf\ufffd"
    assert report.missing_fields == {"instruction": 1}
    assert dataset.samples[2].instruction == ""


def test_huge_lines_are_skipped_without_being_held_and_fields_cut(tmp_path):
    path = tmp_path / "train.jsonl"
    huge = json.dumps({"instruction": "x" * 300_000, "output": "y"})
    long_field = json.dumps({"instruction": "i", "output": "z" * (MAX_FIELD_CHARS + 10)})
    path.write_text(f"{huge}\n{long_field}\n{huge}", encoding="utf-8")
    seen, report = _collect(path, max_line_bytes=200_000, block_bytes=4096)
    assert [line for line, _ in seen] == [2]
    assert [p.line for p in report.oversized] == [1, 3] and report.lines == 3
    dataset = read_dataset(path)
    sample = dataset.samples[1]
    assert sample.truncated and len(sample.output) == MAX_FIELD_CHARS
    assert sample.output_chars == MAX_FIELD_CHARS + 10


@given(st.lists(st.one_of(
    st.fixed_dictionaries({"instruction": st.text(max_size=40), "output": st.text(max_size=40)}),
    st.sampled_from(["{bad", "", "[]", "7"])), max_size=30),
    st.integers(min_value=1, max_value=64), st.booleans())
def test_block_boundaries_never_change_the_result(tmp_path_factory, lines, block, final_newline):
    path = tmp_path_factory.mktemp("blocks") / "f.jsonl"
    text = "\n".join(json.dumps(x) if isinstance(x, dict) else x for x in lines)
    path.write_text(text + ("\n" if final_newline and lines else ""), encoding="utf-8")
    seen, report = _collect(path, block_bytes=block)
    expected = [(i, x) for i, x in enumerate(lines, 1) if isinstance(x, dict)]
    assert seen == expected
    assert report.malformed_count == sum(x in ("{bad", "[]", "7") for x in lines)


def test_keys_survive_hafs_rewriting_train_jsonl(sample_dataset):
    train = sample_dataset.folder / "train.jsonl"
    before = {s.key: s.instruction for s in read_dataset(sample_dataset.folder).samples}
    lines = read_lines(train)
    for line in lines:
        line["_metadata"]["quality_score"] = 0.5  # the daemon's quality_review re-score
    train.write_text("".join(json.dumps(line) + "\n" for line in reversed(lines)), encoding="utf-8")
    after = {s.key: s.instruction for s in read_dataset(sample_dataset.folder).samples}
    assert after == before
    assert all(k.startswith("id:") for k in after if not k.startswith("text:"))


def test_rejected_lines_get_content_keys_with_repeats_numbered(tmp_path):
    line = json.dumps({"instruction": "i", "input": "", "output": "o", "domain": "asm",
                       "rejection_reason": "duplicate", "quality_score": None})
    (tmp_path / "rejected.jsonl").write_text(f"{line}\n{line}\n", encoding="utf-8")
    keys = [s.key for s in read_dataset(tmp_path).samples]
    assert keys == [content_key("i", "", "o"), content_key("i", "", "o") + "~2"]


def test_bad_paths_and_mappings_are_clear_errors(tmp_path):
    with pytest.raises(DatasetError, match="no such dataset"):
        read_dataset(tmp_path / "missing")
    with pytest.raises(DatasetError, match="not a hafs dataset folder"):
        read_dataset(tmp_path)
    with pytest.raises(MappingError, match="unknown field 'outptu'"):
        FieldMapping.parse("outptu=completion")
    with pytest.raises(MappingError, match="expected field=path"):
        FieldMapping.parse("output")


def test_summary_files_report_their_damage(tmp_path):
    (tmp_path / "stats.json").write_text('{"total_generated": 3,', encoding="utf-8")
    (tmp_path / "metadata.json").write_text("", encoding="utf-8")
    (tmp_path / "rejection_summary.json").write_text("[1]", encoding="utf-8")
    dataset = read_dataset(tmp_path)
    states = {name: (s.state, s.error) for name, s in dataset.summaries.items()}
    assert states["stats.json"][0] == "error" and "line 1" in states["stats.json"][1]
    assert states["metadata.json"] == ("error", "empty file (hafs may be writing it)")
    assert states["rejection_summary.json"] == ("error", "expected a JSON object, got list")
    assert read_json_file(tmp_path / "nope.json").state == "not found"


def test_loading_can_be_cancelled(sample_dataset):
    ctx = JobContext()
    ctx.cancel()
    with pytest.raises(JobCancelled):
        read_dataset(sample_dataset.folder, ctx=ctx)


_TRICKY_LINES = [
    b'{"instruction": "a", "output": "b", "_metadata": {"domain": "asm", "source": "G", '
    b'"quality_score": 0.75}}',
    b'{"instruction": "a", "domain": "top", "_metadata": {"domain": "nested", '
    b'"quality_score": 0.5}}',
    b'{"instruction": "a", "domain": "gigaleak", "source": "S", "rejection_reason": '
    b'"duplicate", "quality_score": 0.25}',
    b'{"instruction": "a", "quality_score": 1}',                 # an int score
    b'{"instruction": "a", "quality_score": null, "_metadata": {"quality_score": "high"}}',
    b'{"instruction": "a", "quality_score": 1e999}',             # inf: not a finite score
    b'{"instruction": "a", "domain": ["a", "list"]}',            # unhashable domain
    b'{"instruction": "a", "_metadata": "not an object"}',
    b'{"instruction": "caf\xe9 in latin-1"}',                    # invalid UTF-8: repaired
    b'{"cut off',                                                # malformed
    b'[1, 2]',                                                   # not an object
    b"",                                                         # blank
    b'{"instruction": "\\u00e9t\xc3\xa9 \\"quoted\\"", "domain": "d\\u00e9"}',
]


@given(st.lists(st.sampled_from(range(len(_TRICKY_LINES))), max_size=40),
       st.sampled_from(["train", "rejected"]), st.integers(min_value=8, max_value=600))
def test_the_stats_fast_path_counts_exactly_what_the_line_reader_counts(
        tmp_path_factory, picks, split, block):
    """data stats decodes whole blocks with msgspec (block_counts.py); any block it refuses
    goes line by line. Counts and problem reports must match the line reader's exactly."""
    from studio.plugins.data.samples import DatasetCounts

    path = tmp_path_factory.mktemp("fast") / f"{split}.jsonl"
    path.write_bytes(b"\n".join(_TRICKY_LINES[i] for i in picks) + b"\n")
    results = []
    for fast in (True, False):
        counts = DatasetCounts()
        counter = counts.record_counter(split, FieldMapping())
        assert counter.block is not None  # hafs's layout takes the fast path
        report = scan_jsonl(path, counter.count, split=split, block_bytes=block,
                            on_block=counter.block if fast else None)
        counter.flush()
        problems = {kind: [(p.line, p.reason) for p in getattr(report, kind)]
                    for kind in ("malformed", "repaired", "oversized")}
        results.append((counts, report.lines, report.records, report.blank, problems))
    assert results[0] == results[1]


def test_a_custom_mapping_of_a_counted_field_takes_the_line_reader(sample_dataset):
    from studio.plugins.data.samples import DatasetCounts

    moved = FieldMapping.parse("domain=meta.topic")
    assert DatasetCounts().record_counter("train", moved).block is None
    assert DatasetCounts().record_counter("train", FieldMapping.parse("output=x")).block \
        is not None
