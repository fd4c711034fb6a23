"""Running a prompt set against deployments side by side; diffs, exports and history.

:func:`run_prompt_set` sends every prompt to every chosen deployment (one at a time: they
share this machine's CPU, and concurrent runs would distort each other's tokens/s) inside a
job, with progress per answer and cancel between tokens. The :class:`PromptRun` holds one
:class:`CaseResult` per (prompt, deployment): the answer, pass/fail against the prompt's
expectations, and the timings. Runs are kept in the studio's state folder
(``<state>/deploy/history/<run id>.json``), never in hafs's files, and listed per model.
"""

from __future__ import annotations

import csv
import difflib
import io
import secrets
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from studio.api import JobCancelled, JobContext, atomic_write_bytes, atomic_write_text
from studio.plugins.deploy.backend import DeployError, GenerationParams, GenerationRequest
from studio.plugins.deploy.prompt_sets import PromptSet
from studio.plugins.deploy.store import Deployment
from studio.plugins.deploy.timings import GenerationStats

__all__ = ["AnswerDiff", "CaseResult", "PromptRun", "RunHistory", "diff_answers",
           "export_csv", "export_json", "run_prompt_set"]


@dataclass
class CaseResult:
    case_id: str
    deployment_id: str
    output: str = ""
    passed: bool | None = None  # None: the prompt has no expectations
    failures: list[str] = field(default_factory=list)
    stats: GenerationStats | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["stats"] = self.stats.to_dict() if self.stats else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaseResult:
        stats = data.get("stats")
        if stats:
            stats = {k: v for k, v in stats.items() if k in GenerationStats.__dataclass_fields__}
        return cls(data["case_id"], data["deployment_id"], data.get("output") or "",
                   data.get("passed"), list(data.get("failures") or []),
                   GenerationStats(**stats) if stats else None, data.get("error"))


@dataclass
class PromptRun:
    id: str
    set_name: str
    source: str
    started_at: float
    deployments: list[dict[str, Any]]  # id, label, model_id, backend, quant
    cases: list[dict[str, Any]]  # id, prompt, expectations
    params: dict[str, Any]
    results: list[CaseResult] = field(default_factory=list)
    finished_at: float | None = None
    cancelled: bool = False

    def result(self, case_id: str, deployment_id: str) -> CaseResult | None:
        return next((r for r in self.results if r.case_id == case_id
                     and r.deployment_id == deployment_id), None)

    def summary(self, deployment_id: str) -> dict[str, Any]:
        rows = [r for r in self.results if r.deployment_id == deployment_id]
        rates = [r.stats.tokens_per_second for r in rows
                 if r.stats and r.stats.tokens_per_second is not None]
        ttfts = [r.stats.time_to_first_token_ms for r in rows
                 if r.stats and r.stats.time_to_first_token_ms is not None]
        return {"passed": sum(r.passed is True for r in rows),
                "failed": sum(r.passed is False for r in rows),
                "errors": sum(r.error is not None for r in rows),
                "unchecked": sum(r.passed is None and r.error is None for r in rows),
                "median_tokens_per_second": statistics.median(rates) if rates else None,
                "median_time_to_first_token_ms": statistics.median(ttfts) if ttfts else None}

    @property
    def model_ids(self) -> list[str]:
        return sorted({d["model_id"] for d in self.deployments if d.get("model_id")})

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["results"] = [r.to_dict() for r in self.results]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PromptRun:
        run = cls(data["id"], data["set_name"], data.get("source", ""), data["started_at"],
                  list(data["deployments"]), list(data["cases"]), dict(data.get("params") or {}),
                  finished_at=data.get("finished_at"), cancelled=bool(data.get("cancelled")))
        run.results = [CaseResult.from_dict(r) for r in data.get("results") or []]
        return run


def run_prompt_set(ctx: JobContext, generate: Callable[..., Any], prompt_set: PromptSet,
                   deployments: Sequence[Deployment], params: GenerationParams | None = None,
                   *, on_result: Callable[[CaseResult], None] | None = None) -> PromptRun:
    """Run every prompt on every deployment; ``generate`` is ``DeployManager.generate``.

    A failing deployment (backend down) records the error for that answer and the run goes
    on; cancelling stops the current answer and returns the partial run (``cancelled``).
    """
    if not deployments:
        raise DeployError("choose at least one deployment to run the prompt set against")
    base = prompt_set.generation_params(params)
    run = PromptRun(
        f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}", prompt_set.name,
        prompt_set.source, time.time(),
        [{"id": d.id, "label": d.label, "model_id": d.model_id, "backend": d.backend,
          "quant": d.quant} for d in deployments],
        [{"id": c.id, "prompt": c.prompt, "expect": list(c.expect),
          "expect_regex": [p.pattern for p in c.expect_regex]} for c in prompt_set.cases],
        {k: v for k, v in asdict(base).items() if k != "stop"})
    total = len(prompt_set.cases) * len(deployments)
    try:
        for case in prompt_set.cases:
            case_params = base if case.max_tokens is None else GenerationParams(
                **{**asdict(base), "max_tokens": case.max_tokens})
            for deployment in deployments:
                ctx.raise_if_cancelled()
                ctx.report(len(run.results) / total, f"{case.id} on {deployment.label}")
                result = _answer(ctx, generate, deployment, case, case_params)
                run.results.append(result)
                if on_result is not None:
                    on_result(result)
    except JobCancelled:
        run.cancelled = True
    run.finished_at = time.time()
    ctx.report(1.0, f"{len(run.results)}/{total} answers")
    return run


def _answer(ctx: JobContext, generate: Callable[..., Any], deployment: Deployment,
            case: Any, params: GenerationParams) -> CaseResult:
    request = (GenerationRequest.chat(case.messages()) if deployment.template.source
               else GenerationRequest.text(case.prompt))
    try:
        stream = generate(deployment, request, params)
        for _ in stream:
            if ctx.cancelled:
                stream.cancel()
    except DeployError as exc:
        return CaseResult(case.id, deployment.id, getattr(exc, "partial_text", ""),
                          error=str(exc))
    result = stream.result
    if result.stats.finish_reason == "cancelled":
        raise JobCancelled()
    failures = case.failures(result.text)
    return CaseResult(case.id, deployment.id, result.text,
                      (not failures) if case.checked else None, failures, result.stats)


@dataclass(frozen=True)
class AnswerDiff:
    case_id: str
    same: bool
    diff: str  # unified diff of the two answers, line by line


def diff_answers(run: PromptRun, left: str, right: str) -> list[AnswerDiff]:
    """Per prompt, how deployment ``left``'s answer differs from ``right``'s."""
    labels = {d["id"]: d["label"] for d in run.deployments}
    diffs = []
    for case in run.cases:
        a, b = run.result(case["id"], left), run.result(case["id"], right)
        text_a, text_b = (a.output if a else ""), (b.output if b else "")
        lines = difflib.unified_diff(text_a.splitlines(), text_b.splitlines(),
                                     labels.get(left, left), labels.get(right, right),
                                     lineterm="")
        diffs.append(AnswerDiff(case["id"], text_a == text_b, "\n".join(lines)))
    return diffs


def export_json(run: PromptRun, path: str | Path) -> Path:
    path = Path(path)
    atomic_write_bytes(path, orjson.dumps(run.to_dict(), option=orjson.OPT_INDENT_2))
    return path


CSV_COLUMNS = ("case", "prompt", "deployment", "model", "backend", "quant", "passed",
               "failures", "tokens_per_second", "time_to_first_token_ms", "completion_tokens",
               "prompt_tokens", "finish_reason", "error", "output")


def export_csv(run: PromptRun, path: str | Path) -> Path:
    """One row per (prompt, deployment), answers in full."""
    path = Path(path)
    deployments = {d["id"]: d for d in run.deployments}
    prompts = {c["id"]: c["prompt"] for c in run.cases}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for result in run.results:
        deployment = deployments.get(result.deployment_id, {})
        stats = result.stats
        writer.writerow([
            result.case_id, prompts.get(result.case_id, ""), result.deployment_id,
            deployment.get("model_id") or "", deployment.get("backend", ""),
            deployment.get("quant") or "",
            "" if result.passed is None else ("pass" if result.passed else "fail"),
            "; ".join(result.failures),
            "" if not stats or stats.tokens_per_second is None
            else f"{stats.tokens_per_second:.2f}",
            "" if not stats or stats.time_to_first_token_ms is None
            else f"{stats.time_to_first_token_ms:.1f}",
            stats.completion_tokens if stats else "", stats.prompt_tokens if stats else "",
            stats.finish_reason if stats else "", result.error or "", result.output])
    atomic_write_text(path, buffer.getvalue())
    return path


class RunHistory:
    """Finished runs in ``<state>/deploy/history``; listed newest first, per model."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def save(self, run: PromptRun) -> Path:
        return export_json(run, self.folder / f"{run.id}.json")

    def runs(self, model_id: str | None = None, limit: int = 200) -> list[PromptRun]:
        """Newest first; unreadable files are skipped (a run being written, a damaged file)."""
        runs = []
        for file in sorted(self.folder.glob("*.json"), reverse=True)[: limit * 4]:
            try:
                run = PromptRun.from_dict(orjson.loads(file.read_bytes()))
            except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                continue
            if model_id is None or model_id in run.model_ids:
                runs.append(run)
            if len(runs) >= limit:
                break
        return runs

    def load(self, run_id: str) -> PromptRun:
        if not run_id.replace("-", "").isalnum():
            raise ValueError(f"invalid run id {run_id!r}")
        return PromptRun.from_dict(orjson.loads((self.folder / f"{run_id}.json").read_bytes()))
