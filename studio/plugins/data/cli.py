"""``hafs-studio data …``: dataset statistics, near-duplicates, diversity and export.

Headless and built on the same domain code as the Data panel. DIR is a hafs dataset folder
(train/val/test/rejected .jsonl) or a single JSONL file; ``--map`` reads other layouts
(``--map instruction=prompt,output=completion``). The work runs as studio jobs with a progress
bar on stderr (Ctrl+C cancels); ``--json`` prints machine-readable results on stdout.

Exit codes: 0 success · 1 failure (not a dataset, unreadable, bad filter) · 130 cancelled.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table as RichTable

from studio.plugins.data.dataset import (
    Dataset,
    DatasetError,
    dataset_files,
    read_dataset,
    scan_dataset,
)
from studio.plugins.data.records import DEFAULT_MAPPING, SPLITS, FieldMapping, MappingError

__all__ = ["app", "stats_json"]

EXIT_FAILED = 1
LISTED_PROBLEMS = 20  # per file in the terminal table; --json lists up to 1,000

app = typer.Typer(help="Datasets: statistics, near-duplicates, diversity, export.",
                  no_args_is_help=True, rich_markup_mode="rich")
out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)

Dir = Annotated[Path, typer.Argument(metavar="DIR", help="A hafs dataset folder or a JSONL file.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
Mapping = Annotated[str, typer.Option(
    "--map", help="Field mapping, e.g. instruction=prompt,output=completion,domain=meta.topic")]
Threshold = Annotated[float, typer.Option("--threshold", "-t", min=0.05, max=0.99,
                                          help="Jaccard of 5-character shingles.")]


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/] {message}", markup=True, soft_wrap=True)
    return typer.Exit(EXIT_FAILED)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def _mapping(text: str) -> FieldMapping:
    try:
        return FieldMapping.parse(text) if text else DEFAULT_MAPPING
    except MappingError as exc:
        raise _fail(f"--map: {exc}") from None


def _run(ctx: typer.Context, title: str, fn: Any, *args: Any) -> Any:
    from studio.api import run_job

    code, job = run_job(ctx.obj, title, fn, *args, console=err)
    if code:
        raise typer.Exit(code)
    return job.result


def _load(ctx: typer.Context, path: Path, mapping: str, *, samples: bool = True) -> Dataset:
    reader = read_dataset if samples else scan_dataset
    field_mapping = _mapping(mapping)
    try:
        dataset_files(path.expanduser())
    except DatasetError as exc:
        raise _fail(str(exc)) from None
    return _run(ctx, f"Reading {path.name}",
                lambda job_ctx: reader(path, field_mapping, job_ctx))


def _score_summary(values: list[float], missing: int) -> dict[str, Any]:
    if not values:
        return {"count": 0, "missing": missing}
    return {"count": len(values), "missing": missing, "mean": statistics.fmean(values),
            "min": min(values), "max": max(values)}


def stats_json(dataset: Dataset) -> dict[str, Any]:
    """What ``data stats --json`` prints (also the panel's "Copy statistics")."""
    counts = dataset.counts
    accepted_splits = ("train", "val", "test")
    return {
        "dataset": str(dataset.path), "kind": dataset.kind,
        "splits": {split: counts.splits[split] for split in SPLITS},
        "accepted": counts.accepted, "rejected": counts.rejected,
        "acceptance_rate": counts.acceptance_rate,
        "domains": {"train": dict(counts.domains.get("train", {}).most_common()),
                    "accepted": dict(counts.domains_of(accepted_splits).most_common()),
                    "rejected": dict(counts.domains.get("rejected", {}).most_common())},
        "rejection_reasons": dict(counts.reasons.most_common()),
        "quality_scores": {split: _score_summary(counts.scores.get(split, []),
                                                 counts.null_scores[split])
                           for split in SPLITS if counts.splits[split]},
        "malformed_lines": dataset.malformed_count,
        "files": {split: report.as_dict() for split, report in dataset.files.items()},
        "summaries": {name: status.as_dict() for name, status in dataset.summaries.items()},
        "manually_accepted": dataset.manually_accepted,
    }


@app.command("stats")
def stats(ctx: typer.Context, path: Dir, as_json: AsJson = False, mapping: Mapping = "") -> None:
    """Counts per split, domains of train, rejection reasons, malformed lines."""
    dataset = _load(ctx, path, mapping, samples=False)
    data = stats_json(dataset)
    if as_json:
        _print_json(data)
        return
    table = RichTable(title=f"{dataset.name} ({dataset.kind})", title_justify="left")
    for column in ("split", "samples", "lines", "malformed", "repaired", "oversized", "file"):
        table.add_column(column, justify="left" if column in ("split", "file") else "right")
    for split, report in dataset.files.items():
        table.add_row(split, f"{report.records:,}", f"{report.lines:,}",
                      f"{report.malformed_count:,}", f"{report.repaired_count:,}",
                      f"{report.oversized_count:,}", report.error or str(report.path.name))
    out.print(table)
    rate = data["acceptance_rate"]
    out.print(f"accepted {data['accepted']:,} · rejected {data['rejected']:,} · acceptance "
              + ("—" if rate is None else f"{100 * rate:.1f} %"))
    _counter_table("train domains", data["domains"]["train"])
    _counter_table("rejection reasons", data["rejection_reasons"])
    for report in dataset.files.values():
        for kind in ("malformed", "repaired", "oversized"):
            problems = getattr(report, kind)
            for problem in problems[:LISTED_PROBLEMS]:
                out.print(f"{report.path}:{problem.line}: {kind}: {problem.reason}")
            more = getattr(report, f"{kind}_count") - min(len(problems), LISTED_PROBLEMS)
            if more > 0:
                out.print(f"{report.path}: … and {more:,} more {kind} lines (--json lists "
                          "up to 1,000)")
    for status in dataset.summaries.values():
        if status.found and not status.ok:
            out.print(f"{status.path}: {status.error}")


def _counter_table(title: str, counts: dict[str, int]) -> None:
    if not counts:
        return
    table = RichTable(title=title, title_justify="left")
    table.add_column("name")
    table.add_column("samples", justify="right")
    for name, count in counts.items():
        table.add_row(name, f"{count:,}")
    out.print(table)


@app.command("dedup")
def dedup(ctx: typer.Context, path: Dir, threshold: Threshold = 0.8, as_json: AsJson = False,
          mapping: Mapping = "") -> None:
    """Near-duplicate clusters (MinHash, verified on exact shingle sets)."""
    from studio.plugins.data.diversity import near_duplicate_clusters

    dataset = _load(ctx, path, mapping)
    texts = [s.text for s in dataset.samples]
    report = _run(ctx, "Finding near-duplicates",
                  lambda job_ctx: near_duplicate_clusters(texts, threshold, job_ctx))
    clusters = [{"size": len(c.members), "max_jaccard": c.max_jaccard,
                 "min_jaccard": c.min_jaccard, "members": [_member(dataset, i) for i in c.members]}
                for c in report.clusters]
    summary = {"dataset": str(dataset.path), "threshold": threshold,
               "samples": report.samples, "clusters": len(report.clusters),
               "duplicated_samples": report.duplicated_samples,
               "removable": report.removable, "verified_pairs": report.pairs,
               "candidates": report.candidates}
    if as_json:
        _print_json(summary | {"cluster_list": clusters})
        return
    out.print(f"{summary['clusters']:,} clusters · {summary['duplicated_samples']:,} samples in "
              f"them · {summary['removable']:,} removable (Jaccard ≥ {threshold})")
    for number, cluster in enumerate(clusters, 1):
        out.print(f"[bold]#{number}[/] {cluster['size']} samples, Jaccard "
                  f"{cluster['min_jaccard']:.2f} to {cluster['max_jaccard']:.2f}", markup=True)
        for member in cluster["members"]:
            out.print(f"  {member['split']}:{member['line']}  {member['domain']}  "
                      f"{member['instruction']}")


def _member(dataset: Dataset, index: int) -> dict[str, Any]:
    sample = dataset.samples[index]
    return {"split": sample.split, "line": sample.line, "key": sample.key,
            "domain": sample.domain, "instruction": sample.instruction[:100]}


@app.command("diversity")
def diversity(ctx: typer.Context, path: Dir, as_json: AsJson = False, threshold: Threshold = 0.8,
              mapping: Mapping = "") -> None:
    """Distinct-1/2, mean pairwise cosine distance, Vendi score, duplicates, lengths."""
    from studio.plugins.data.analysis import analyse_diversity
    from studio.plugins.data.api import data_state
    from studio.plugins.data.lengths import load_token_counter

    dataset = _load(ctx, path, mapping)
    state = data_state(ctx.obj)
    spec, note = state.embedder()
    counter, token_note = load_token_counter(state.setting("tokenizer_json"))
    result = _run(ctx, "Analysing diversity", lambda job_ctx: analyse_diversity(
        dataset, spec, state.cache, threshold=threshold, token_counter=counter,
        token_note=token_note, embedder_note=note, ctx=job_ctx))
    figures = {f.scope: f.as_dict() for f in result.figures}
    lengths = result.lengths.summary()
    data = {"dataset": str(dataset.path), "embedder": spec.id, "embedder_note": note,
            "embeddings_from_cache": result.cached_files, "figures": figures,
            "near_duplicates": {"threshold": threshold,
                                "clusters": len(result.duplicates.clusters),
                                "duplicated_samples": result.duplicates.duplicated_samples,
                                "removable": result.duplicates.removable},
            "lengths": lengths.as_dict()}
    if as_json:
        _print_json(data)
        return
    table = RichTable(title=f"{dataset.name}: diversity ({spec.title})", title_justify="left")
    for column in ("scope", "samples", "distinct-1", "distinct-2", "mean cos distance",
                   "Vendi"):
        table.add_column(column, justify="left" if column == "scope" else "right")
    for f in result.figures:
        table.add_row(f.scope, f"{f.samples:,}", _fmt(f.distinct_1), _fmt(f.distinct_2),
                      _fmt(f.mean_cosine_distance), _fmt(f.vendi, 1))
    out.print(table)
    dup = data["near_duplicates"]
    out.print(f"near-duplicates (Jaccard ≥ {threshold}): {dup['clusters']:,} clusters, "
              f"{dup['removable']:,} removable")
    for row in lengths.rows:
        out.print(f"{row[0]} length ({row[1]}): median {row[3]:,.0f}, p95 {row[5]:,.0f}, "
                  f"max {row[6]:,}")
    if lengths.note:
        out.print(f"[dim]{lengths.note}[/]", markup=True)


def _fmt(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


@app.command("export")
def export(  # noqa: PLR0917 - Typer maps each option to a parameter
        ctx: typer.Context, path: Dir,
           to: Annotated[Path, typer.Option("--to", help="The JSONL file to write.")],
           filters: Annotated[list[str] | None, typer.Option(
               "--filter", "-f", help="split=train,val · domain=asm · reason=… · score=0.5..1 "
               "· text=… · review=approved|rejected|unreviewed|feedback|edited "
               "(repeat; all must hold)")] = None,
           form: Annotated[str, typer.Option("--format", help="alpaca, messages or chatml")
                           ] = "alpaca",
           metadata: Annotated[bool, typer.Option("--metadata", help="Add hafs's _metadata.")
                               ] = False,
           no_edits: Annotated[bool, typer.Option("--no-edits",
                                                  help="Export originals, not edited copies.")
                               ] = False,
           force: Annotated[bool, typer.Option("--force", help="Overwrite FILE.")] = False,
           mapping: Mapping = "") -> None:
    """Write the filtered samples as JSONL plus FILE.manifest.json (atomic)."""
    from studio.plugins.data.annotations import AnnotationsDamagedError, AnnotationStore
    from studio.plugins.data.export import FORMATS, export_samples, manifest_path
    from studio.plugins.data.filters import FilterError, SampleFilter

    try:
        sample_filter = SampleFilter.parse(filters or [])
    except FilterError as exc:
        raise _fail(f"--filter {exc}") from None
    dataset = _load(ctx, path, mapping)
    try:
        annotations = AnnotationStore(dataset.folder).load()
    except AnnotationsDamagedError as exc:
        raise _fail(str(exc)) from None

    def work(job_ctx: Any) -> Any:
        return export_samples(dataset, to, form=form, sample_filter=sample_filter,
                              annotations=annotations, use_edits=not no_edits,
                              include_metadata=metadata, overwrite=force, ctx=job_ctx)

    if not force and (to.exists() or manifest_path(to.absolute()).exists()):
        raise _fail(f"{to} or its manifest exists; use --force to overwrite")
    if form not in FORMATS:
        raise _fail(f"--format {form!r}: choose one of {', '.join(FORMATS)}")
    result = _run(ctx, f"Exporting to {to.name}", work)
    err.print(f"{result.written:,} samples ({result.edited:,} edited copies) → {result.path}; "
              f"filter in {result.manifest.name}")
