"""Export: the three forms, the manifest, the filter, and no partial file on failure/cancel."""

from __future__ import annotations

import json

import pytest

from studio.core.jobs import JobCancelled, JobContext
from studio.plugins.data.dataset import read_dataset
from studio.plugins.data.export import ExportError, export_samples, manifest_path
from studio.plugins.data.filters import FilterError, SampleFilter
from studio.plugins.data.review import ReviewSession


def test_filter_terms():
    f = SampleFilter.parse(["split=train,val", "domain=asm", "score=0.5..", "text=LDA",
                            "review=approved", "reason=duplicate"])
    assert f.splits == {"train", "val"} and f.min_score == 0.5 and f.max_score is None
    assert f.describe() == {"splits": ["train", "val"], "domains": ["asm"],
                            "reasons": ["duplicate"], "min_score": 0.5, "text": "LDA",
                            "review": "approved"}
    for bad, message in (("split=nope", "unknown split"), ("score=1", "LOW..HIGH"),
                         ("score=a..b", "not a number"), ("colour=red", "unknown filter"),
                         ("review=maybe", "review must be")):
        with pytest.raises(FilterError, match=message):
            SampleFilter.parse([bad])


def test_export_forms_and_manifest(sample_dataset, tmp_path):
    dataset = read_dataset(sample_dataset.folder)
    chosen = SampleFilter.parse(["split=train", "domain=asm", "score=0.6..0.9"])
    expected = [s for s in dataset.samples if s.split == "train" and s.domain == "asm"
                and s.quality_score is not None and 0.6 <= s.quality_score <= 0.9]
    assert expected
    for form in ("alpaca", "messages", "chatml"):
        target = tmp_path / f"{form}.jsonl"
        result = export_samples(dataset, target, form=form, sample_filter=chosen,
                                include_metadata=True)
        lines = [json.loads(line) for line in target.read_text().splitlines()]
        assert result.written == len(lines) == len(expected)
        first, sample = lines[0], expected[0]
        if form == "alpaca":
            assert first["instruction"] == sample.instruction
            assert first["output"] == sample.output
            assert ("input" in first) == bool(sample.input)
        elif form == "messages":
            assert [m["role"] for m in first["messages"]] == ["user", "assistant"]
            assert first["messages"][1]["content"] == sample.output
        else:
            assert first["text"].startswith("<|im_start|>user\n" + sample.instruction)
            assert first["text"].endswith(f"<|im_start|>assistant\n{sample.output}<|im_end|>\n")
        assert first["_metadata"]["sample_id"] == sample.sample_id
        manifest = json.loads(manifest_path(target).read_text())
        assert manifest["filter"] == chosen.describe() and manifest["samples"] == len(expected)
        assert manifest["format"] == form
        assert manifest["sources"]["train"]["content_hash"] == dataset.files["train"].content_hash


def test_edited_copies_are_exported_unless_asked_not_to(sample_dataset, tmp_path):
    dataset = read_dataset(sample_dataset.folder)
    sample = dataset.samples[0]
    session = ReviewSession(sample_dataset.folder)
    session.edit(sample, "edited instruction", "", "edited output")
    session.approve(sample)
    only = SampleFilter.parse(["review=approved"])
    result = export_samples(dataset, tmp_path / "a.jsonl", sample_filter=only,
                            annotations=session.annotations())
    assert result.written == 1 and result.edited == 1
    assert json.loads((tmp_path / "a.jsonl").read_text()) == {
        "instruction": "edited instruction", "output": "edited output"}
    export_samples(dataset, tmp_path / "b.jsonl", sample_filter=only,
                   annotations=session.annotations(), use_edits=False)
    assert json.loads((tmp_path / "b.jsonl").read_text())["instruction"] == sample.instruction


def test_existing_files_are_refused_without_overwrite(sample_dataset, tmp_path):
    dataset = read_dataset(sample_dataset.folder)
    target = tmp_path / "out.jsonl"
    target.write_text("keep me")
    with pytest.raises(ExportError, match="exists"):
        export_samples(dataset, target)
    assert target.read_text() == "keep me"
    export_samples(dataset, target, overwrite=True)
    assert len(target.read_text().splitlines()) == len(dataset.samples)


class _FailingContext(JobContext):
    def __init__(self, fail_at: int, error: type[BaseException]) -> None:
        super().__init__()
        self.calls, self.fail_at, self.error = 0, fail_at, error

    def raise_if_cancelled(self) -> None:
        self.calls += 1
        if self.calls >= self.fail_at:
            raise self.error()


@pytest.mark.parametrize("error", [JobCancelled, OSError])
@pytest.mark.parametrize("fail_at", [2, 4])  # mid-write / after the last line, before the rename
def test_no_partial_output_after_cancel_or_failure(sample_dataset, tmp_path, error, fail_at):
    dataset = read_dataset(sample_dataset.folder)
    dataset.samples *= 10  # 3,000 samples: checks at 0, 1024, 2048, then once more at the end
    out = tmp_path / "out"
    out.mkdir()
    target = out / "out.jsonl"
    with pytest.raises(error):
        export_samples(dataset, target, ctx=_FailingContext(fail_at, error))
    assert sorted(p.name for p in out.iterdir()) == []
    target.write_text("old")
    with pytest.raises(error):
        export_samples(dataset, target, overwrite=True, ctx=_FailingContext(2, error))
    assert target.read_text() == "old" and not manifest_path(target).exists()
