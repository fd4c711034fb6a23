"""Prompt sets: parsing with clear errors, runs side by side, diffs, exports, history."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from deploy_helpers import MODEL_ID

from studio.core.jobs import JobContext
from studio.plugins.deploy.backend import DeployOptions, GenerationParams
from studio.plugins.deploy.prompt_runs import (
    PromptRun,
    diff_answers,
    export_csv,
    export_json,
    run_prompt_set,
)
from studio.plugins.deploy.prompt_sets import PromptSetError, load_prompt_set, parse_prompt_set

YAML_SET = """\
name: smoke
system: You write 65816 assembly.
params: {temperature: 0, max_tokens: 12, seed: 3}
prompts:
  - id: nop
    prompt: Write a NOP instruction.
    expect: [{expected}]
  - id: regex
    prompt: hello world
    expect_regex: ['(?s).+']
  - id: never
    prompt: def class
    expect: ["this text is never produced"]
  - Just a prompt
"""


def test_yaml_and_json_sets_load(tmp_path: Path):
    path = tmp_path / "smoke.yaml"
    path.write_text(YAML_SET.replace("{expected}", "x"))
    prompt_set = load_prompt_set(path)
    assert prompt_set.name == "smoke" and [c.id for c in prompt_set.cases] == [
        "nop", "regex", "never", "p4"]
    assert prompt_set.cases[0].system == "You write 65816 assembly."
    assert prompt_set.cases[0].messages()[0] == {"role": "system",
                                                 "content": "You write 65816 assembly."}
    assert not prompt_set.cases[3].checked
    assert prompt_set.generation_params(GenerationParams(max_tokens=99)).max_tokens == 12
    as_json = tmp_path / "set.json"
    as_json.write_text(json.dumps(["first", {"prompt": "second", "expect": "2"}]))
    loaded = load_prompt_set(as_json)
    assert loaded.name == "set" and loaded.cases[1].expect == ("2",)


@pytest.mark.parametrize(("data", "message"), [
    ({"prompts": []}, "prompts: expected a non-empty list"),
    ({"prompts": [{"prompt": ""}]}, r"prompts\[0\].prompt: expected a non-empty text"),
    ({"prompts": [{"prompt": "x", "expect_regex": ["("]}]},
     r"prompts\[0\].expect_regex\[0\]: invalid regex"),
    ({"prompts": [{"prompt": "x", "expected": ["a"]}]}, r"prompts\[0\]: unknown key\(s\) expected"),
    ({"prompts": ["a", {"id": "p1", "prompt": "b"}]}, r"prompts\[1\].id: 'p1' is used twice"),
    ({"prompts": ["a"], "params": {"temperature": -1}}, "params: generation parameter"),
    ({"prompts": ["a"], "params": {"stream": True}}, "params: unknown key"),
    ({"prompts": [{"prompt": "x", "id": "../x"}]}, r"prompts\[0\].id: '../x'"),
    ("text", "top level: expected a mapping"),
])
def test_bad_sets_name_the_field(data, message):
    with pytest.raises(PromptSetError, match=f"^set.yaml: {message}"):
        parse_prompt_set(data, "set.yaml")


def test_unreadable_files_name_the_file(tmp_path: Path):
    with pytest.raises(PromptSetError, match=r"missing.yaml: cannot read"):
        load_prompt_set(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("prompts: [unclosed")
    with pytest.raises(PromptSetError, match=r"bad.yaml: not valid YAML"):
        load_prompt_set(bad)
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{")
    with pytest.raises(PromptSetError, match=r"bad.json: not valid JSON"):
        load_prompt_set(bad_json)


@pytest.fixture
def two_deployments(manager):
    """The same model, F16 and Q8_0, in-process: two answers per prompt to compare."""
    f16 = manager.deploy(JobContext(), MODEL_ID, "llama.cpp", DeployOptions(quant="F16"))
    q8 = manager.deploy(JobContext(), MODEL_ID, "llama.cpp", DeployOptions(quant="Q8_0"))
    return f16, q8


def test_run_side_by_side_with_pass_fail_diff_export_and_history(manager, two_deployments,
                                                                 tmp_path):
    f16, q8 = two_deployments
    # An expectation that one answer really contains: the F16 model's greedy answer.
    prompt_set = parse_prompt_set({"name": "probe", "system": "You write 65816 assembly.",
                                   "prompts": ["Write a NOP instruction."],
                                   "params": {"temperature": 0, "max_tokens": 12}})
    expected = run_prompt_set(JobContext(), manager.generate, prompt_set, [f16]).results[0]
    snippet = expected.output.strip()[:3] or expected.output[:1]
    path = tmp_path / "smoke.yaml"
    path.write_text(YAML_SET.replace("{expected}", json.dumps(snippet)))
    seen = []
    run = run_prompt_set(JobContext(), manager.generate, load_prompt_set(path), [f16, q8],
                         on_result=seen.append)
    assert len(run.results) == 8 == len(seen) and not run.cancelled
    nop = run.result("nop", f16.id)
    assert nop.passed is True and nop.stats.tokens_per_second is not None
    assert run.result("never", f16.id).passed is False
    assert run.result("never", q8.id).failures == ["missing 'this text is never produced'"]
    assert run.result("regex", q8.id).passed is True
    assert run.result("p4", q8.id).passed is None
    summary = run.summary(f16.id)
    assert summary["passed"] == 2 and summary["failed"] == 1 and summary["unchecked"] == 1
    assert summary["median_tokens_per_second"] > 0

    diffs = {d.case_id: d for d in diff_answers(run, f16.id, q8.id)}
    assert set(diffs) == {"nop", "regex", "never", "p4"}
    for case_id, diff in diffs.items():
        same = run.result(case_id, f16.id).output == run.result(case_id, q8.id).output
        assert diff.same == same and (diff.diff == "") == same

    export_json(run, tmp_path / "run.json")
    again = PromptRun.from_dict(json.loads((tmp_path / "run.json").read_text()))
    assert again.to_dict() == run.to_dict()
    export_csv(run, tmp_path / "run.csv")
    with open(tmp_path / "run.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 8 and rows[0]["case"] == "nop" and rows[0]["passed"] == "pass"
    assert rows[0]["output"] == nop.output and float(rows[0]["tokens_per_second"]) > 0

    manager.history.save(run)
    assert [r.id for r in manager.history.runs(MODEL_ID)] == [run.id]
    assert manager.history.runs("another-model") == []
    assert manager.history.load(run.id).to_dict() == run.to_dict()
    (manager.history.folder / "zz-torn.json").write_text("{")  # being written: skipped
    assert [r.id for r in manager.history.runs()] == [run.id]
    with pytest.raises(ValueError, match=r"invalid run id"):
        manager.history.load("../../etc/passwd")


def test_cancel_stops_the_run_and_keeps_what_was_answered(manager, two_deployments):
    f16, q8 = two_deployments
    prompt_set = parse_prompt_set({"prompts": ["a", "b", "c"],
                                   "params": {"temperature": 0, "max_tokens": 8}})
    ctx = JobContext()

    def cancel_after_first(result) -> None:
        ctx.cancel()

    run = run_prompt_set(ctx, manager.generate, prompt_set, [f16, q8],
                         on_result=cancel_after_first)
    assert run.cancelled and len(run.results) == 1


def test_a_deployment_that_fails_is_recorded_and_the_run_goes_on(manager, two_deployments):
    f16, q8 = two_deployments
    Path(q8.artifact).unlink()
    manager.stop(q8.id)  # unloaded: it has to load the (now missing) file again
    run = run_prompt_set(JobContext(), manager.generate,
                         parse_prompt_set({"prompts": ["a"], "params": {"max_tokens": 4}}),
                         [q8, f16])
    failed, answered = run.results
    assert failed.error and "GGUF file not found" in failed.error
    assert answered.error is None and answered.stats.completion_tokens >= 1
    assert run.summary(q8.id)["errors"] == 1
