"""``hafs-studio qa …`` and ``hafs-studio context …``: the Context plugin for terminals.

Headless (never imports Qt), on the same domain code as the views. ``qa`` mirrors
``hafs training qa*``: ``stats``, ``list`` (today's batch, created when missing, as hafs does),
``answer ID`` (text from ``--answer`` or stdin), ``skip ID``, ``scan PATH``. Generating
question text and answer variations needs a language model; none is deployed in phase 1, and
the commands say so instead of inventing text.

Exit codes: 0 success · 1 failure (unknown id, unreadable file: nothing was written) ·
2 bad usage · 4 a file failed validation · 130 cancelled.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from studio.plugins.context.api import context_service
from studio.plugins.context.qa import QAError, QAStore

__all__ = ["context_app", "qa_app"]

EXIT_FAILED = 1
EXIT_INVALID = 4
NO_MODEL = ("No language model is deployed: question text and answer variations need one "
            "(deploy a model in the Deploy workspace). Nothing was generated.")

qa_app = typer.Typer(help="hafs's expert Q&A (hafs training qa*): statistics, today's batch, "
                     "answer, skip, scan a source tree.", no_args_is_help=True)
context_app = typer.Typer(help="Context folders: list with file kinds, the selected context, "
                          "validate a file, show a GGUF/safetensors layout.",
                          no_args_is_help=True)
pins_app = typer.Typer(help="The Selected Context list (saved in the studio's config).",
                       no_args_is_help=True)
context_app.add_typer(pins_app, name="pins")
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _fail(message: str, code: int = EXIT_FAILED) -> typer.Exit:
    err.print(f"[red]error:[/] {message}", markup=True)
    return typer.Exit(code)


def _store(ctx: typer.Context) -> QAStore:
    return context_service(ctx.obj).qa_store()


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


# -- qa ----------------------------------------------------------------------------------------

@qa_app.command("stats")
def qa_stats(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """The qa-stats figures: total, answered, skipped, pending, words, conversion, progress."""
    try:
        stats = _store(ctx).stats()
    except QAError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        _print_json(stats.to_dict())
        return
    table = Table(title="Expert Q&A Statistics", show_header=False)
    table.add_column("Metric", style="cyan")
    table.add_column("Value", justify="right")
    table.add_row("Total Questions", str(stats.total_questions))
    table.add_row("Answered", str(stats.answered_count))
    table.add_row("Skipped", str(stats.skipped_count))
    table.add_row("Pending", str(stats.pending_count))
    if stats.answered_count:
        table.add_row("Avg Answer Length", f"{stats.answer_word_count_avg:.0f} words")
        table.add_row("Conversion Rate", f"{stats.conversion_rate:.1%}")
        table.add_row("Total Samples Generated", str(stats.total_samples_generated))
    out.print(table)
    if stats.total_questions:
        out.print(f"Overall Progress: {stats.overall_progress:.1%}")


@qa_app.command("list")
def qa_list(ctx: typer.Context,
            batch_id: Annotated[str | None, typer.Option("--batch", "-b",
                                                         help="Batch id (default: today)")] = None,
            show_code: Annotated[bool, typer.Option("--code/--no-code")] = True,
            as_json: JsonFlag = False) -> None:
    """Today's batch (created when missing, like ``hafs training qa``) or ``--batch ID``."""
    store = _store(ctx)
    try:
        batch = store.batch(batch_id) if batch_id else store.today_batch()
        snapshot = store.snapshot()
    except QAError as exc:
        raise _fail(str(exc)) from None
    if batch is None:
        if as_json:
            _print_json({"batch": None, "questions": []})
            return
        out.print("No questions available. Scan a source tree first: hafs-studio qa scan PATH")
        return
    if as_json:
        _print_json({"batch": batch.batch_id, "created_at": batch.created_at,
                     "questions": [{**q.data, "status": snapshot.status(q.id)}
                                   for q in batch.questions]})
        return
    out.print(f"[bold]Question batch {batch.batch_id}[/] · {len(batch.questions)} questions")
    for number, question in enumerate(batch.questions, 1):
        mark = {"answered": "✓", "skipped": "-"}.get(snapshot.status(question.id), "○")
        out.print(f"\n{mark} [bold]{number}. {question.id}[/]  {question.data['question_type']}"
                  f" · {question.difficulty} · priority {question.priority:.2f}")
        out.print(question.text or "[dim](no question text)[/]")
        if show_code:
            pattern = question.pattern
            out.print(f"[dim]{pattern['file_path']}:{pattern['line_number']}[/]")
            out.print(str(pattern.get("context", ""))[:500], markup=False)


@qa_app.command("answer")
def qa_answer(ctx: typer.Context, question_id: str,
              answer: Annotated[str | None, typer.Option("--answer", "-a",
                                                         help="Answer text (else stdin)")] = None
              ) -> None:
    """Save an answer (from ``--answer`` or stdin to EOF) as hafs's qa-answer does."""
    text = answer if answer is not None else sys.stdin.read()
    try:
        record = _store(ctx).answer(question_id, text)
    except QAError as exc:
        raise _fail(str(exc)) from None
    out.print(f"Answer saved ({record['answer_word_count']} words).")
    out.print(f"[yellow]{NO_MODEL}[/] Training samples (qa_samples/) were not written.")


@qa_app.command("skip")
def qa_skip(ctx: typer.Context, question_id: str) -> None:
    """Mark a question as skipped."""
    try:
        _store(ctx).skip(question_id)
    except QAError as exc:
        raise _fail(str(exc)) from None
    out.print(f"Skipped question: {question_id}")


@qa_app.command("scan")
def qa_scan(ctx: typer.Context, path: Path,
            patterns: Annotated[str | None, typer.Option(
                "--patterns", "-p", help="File globs, comma-separated")] = None,
            limit: Annotated[int, typer.Option("--limit", "-l", min=0)] = 10,
            as_json: JsonFlag = False) -> None:
    """Find code patterns with hafs's rules; the top ``limit`` would become questions."""
    from studio.api import run_job
    from studio.plugins.context.qa_scan import DEFAULT_GLOBS, scan_tree

    if not path.exists():
        raise _fail(f"{path}: no such file or folder")
    globs = tuple(p.strip() for p in patterns.split(",")) if patterns else DEFAULT_GLOBS
    studio = ctx.obj
    code, job = run_job(studio, f"Scanning {path}",
                        lambda ctx: scan_tree(path, globs, limit, ctx=ctx), console=err)
    if code:
        raise typer.Exit(code)
    result = job.result
    record = studio.paths.state / "context" / "qa-scans" / f"{_stamp()}.json"
    result.save(record)
    if as_json:
        _print_json({**result.to_dict(), "recorded": str(record), "questions_generated": 0,
                     "model": None, "note": NO_MODEL})
        return
    out.print(f"Found {len(result.patterns)} code patterns in {result.files} files.")
    for pattern in result.top:
        out.print(f"  {pattern.pattern_type:<16} {pattern.file_path}:{pattern.line_number}  "
                  f"score {pattern.rank_score:.2f}  {pattern.code_snippet[:60]}", markup=False)
    out.print(f"Top {len(result.top)} recorded in {record}.")
    out.print(f"[yellow]{NO_MODEL}[/] Question text for these patterns needs a model.")


def _stamp() -> str:
    import datetime as dt

    return dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")


# -- context -----------------------------------------------------------------------------------

@context_app.command("ls")
def context_ls(ctx: typer.Context, path: Annotated[Path | None, typer.Argument()] = None,
               as_json: JsonFlag = False) -> None:
    """List a folder (default: the context root) with file kinds, marks and sizes."""
    from studio.plugins.context.listing import format_size, list_folder

    root = Path(ctx.obj.context.path)
    folder = path or root
    try:
        entries = list_folder(folder, root)
    except OSError as exc:
        raise _fail(f"{folder}: {exc.strerror or exc}") from None
    if as_json:
        _print_json([{"name": e.name, "kind": e.kind.value, "size": e.size,
                      "mark": e.mark.value, "mark_reason": e.mark_reason, "error": e.error}
                     for e in entries])
        return
    for e in entries:
        mark = f"  [{e.mark_reason}]" if e.mark_reason else ""
        out.print(f"{e.kind.value:<16} {format_size(e.size):>10}  {e.name}"
                  f"{'/' if e.is_dir else ''}{mark}", markup=False)


@context_app.command("validate")
def context_validate(path: Path, as_json: JsonFlag = False) -> None:
    """Check a JSON/JSONL/TOML/YAML file, and hafs's rules for registry.json and
    scheduled_tasks.json. Exit 4 when it has errors or hafs would drop data."""
    from studio.plugins.context.validate import validate_text

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"{path}: {exc}") from None
    problems = validate_text(path, text)
    if as_json:
        _print_json([{"line": p.line, "column": p.column, "message": p.message,
                      "severity": p.severity} for p in problems])
    else:
        for p in problems:
            out.print(f"{path}:{p.line or 0}:{p.column or 0}: {p.severity}: {p.message}",
                      markup=False)
        if not problems:
            out.print(f"{path}: ok")
    if any(p.severity != "warning" for p in problems):
        raise typer.Exit(EXIT_INVALID)


@context_app.command("structure")
def context_structure(path: Path, as_json: JsonFlag = False) -> None:
    """The byte layout of a GGUF or safetensors file: every region with offsets."""
    from studio.plugins.context.structure import LayoutError, detect_layout

    try:
        layout = detect_layout(path)
    except (OSError, LayoutError) as exc:
        raise _fail(str(exc)) from None
    if layout is None:
        raise _fail(f"{path}: not a GGUF or safetensors file")
    if as_json:
        _print_json({"format": layout.format, "summary": layout.summary,
                     "regions": [{"start": r.start, "end": r.end, "kind": r.kind,
                                  "name": r.name, "detail": r.detail} for r in layout.regions]})
        return
    out.print(f"{layout.format}: {len(layout.regions)} regions", markup=False)
    for r in layout.regions:
        out.print(f"{r.start:>12} {r.end:>12}  {r.kind:<12} {r.name}  {r.detail}", markup=False)


@pins_app.command("list")
def pins_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Pinned files and folders with their on/off state."""
    pins = _pins(ctx).pins()
    if as_json:
        _print_json([{"path": p.path, "enabled": p.enabled, "folder": p.folder} for p in pins])
        return
    for p in pins:
        out.print(f"[{'x' if p.enabled else ' '}] {p.path}", markup=False)


@pins_app.command("add")
def pins_add(ctx: typer.Context, path: Path) -> None:
    """Pin a file or folder."""
    from studio.plugins.context.pins import PinStoreError

    try:
        pin = _pins(ctx).add(path)
    except PinStoreError as exc:
        raise _fail(str(exc)) from None
    out.print(f"Pinned {pin.path}", markup=False)


@pins_app.command("remove")
def pins_remove(ctx: typer.Context, path: Path) -> None:
    """Unpin a path."""
    if not _pins(ctx).remove(str(path.expanduser().absolute())):
        raise _fail(f"{path} is not pinned")


@pins_app.command("export")
def pins_export(ctx: typer.Context,
                output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
                include_off: Annotated[bool, typer.Option("--all")] = False) -> None:
    """The enabled pinned paths, one per line (to stdout or ``--output``)."""
    store = _pins(ctx)
    if output is None:
        sys.stdout.write(store.export_text(only_enabled=not include_off))
        return
    store.export(output, only_enabled=not include_off)
    out.print(f"Wrote {output}", markup=False)


def _pins(ctx: typer.Context) -> Any:
    return context_service(ctx.obj).pins
