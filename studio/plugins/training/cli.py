"""``hafs-studio training …`` and ``hafs-studio demo train``: the Training panel for terminals.

Headless (never imports Qt), on the same monitor, readers and status rules as the panel.
Where a command exists in hafs (``hafs training status|history|show|logs|stop``, hafs-formats
§2.D) it keeps hafs's meaning: ``history``/``show`` list dataset folders (one per generation
campaign), ``logs`` without a run is the newest campaign log, ``stop`` without a run stops the
campaign. ``show``/``logs``/``stop`` also take a training run (id, name or unique prefix).

``--json`` output uses ISO 8601 times; each run has ``global_step``, ``max_steps``, ``status``,
``eta_seconds``, ``loss`` and ``best_metric`` (null where unknown; NaN/inf become null).

Exit codes: 0 success · 1 failure, unknown run or nothing to stop · 130 interrupted.
"""

from __future__ import annotations

import json
import math
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from studio.plugins.training.campaign import (
    dataset_log,
    dataset_runs,
    format_duration,
    newest_campaign_log,
)
from studio.plugins.training.present import (
    format_eta,
    format_loss,
    format_origin,
    format_step,
    iso_time,
    progress_bar_text,
    status_style,
    time_ago,
)

if TYPE_CHECKING:
    from studio.plugins.training.runs import RunSummary

__all__ = ["app", "demo_app"]

EXIT_FAILED = 1
EXIT_INTERRUPTED = 130

app = typer.Typer(help="Training runs and hafs campaigns: status, history, show, logs, stop.",
                  no_args_is_help=True, rich_markup_mode="rich")
demo_app = typer.Typer(help="Demo content to try the studio with.", no_args_is_help=True)
out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _service(ctx: typer.Context) -> Any:
    from studio.plugins.training.api import training

    return training(ctx.obj)


def _fail(message: str, code: int = EXIT_FAILED) -> typer.Exit:
    err.print(f"[red]error:[/] {message}", markup=True, soft_wrap=True)
    return typer.Exit(code)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def _runs_table(runs: tuple[RunSummary, ...]) -> Table:
    table = Table(title=f"{len(runs)} training run{'s' * (len(runs) != 1)}",
                  title_justify="left")
    table.add_column("Run", no_wrap=True, overflow="ellipsis", min_width=12, max_width=32,
                     ratio=1)
    for column in ("Source", "Status", "Progress", "Step", "Epoch", "ETA", "Updated",
                   "Loss now / best"):
        table.add_column(column, no_wrap=True)
    now = time.time()
    for run in runs:
        table.add_row(run.name, format_origin(run.origin),
                      f"[{status_style(run.status)}]{run.status.value}[/]",
                      progress_bar_text(run.fraction, width=8),
                      format_step(run.global_step, run.max_steps),
                      "—" if run.epoch is None else f"{run.epoch:.2f}",
                      format_eta(run.eta_seconds), time_ago(run.last_update, now),
                      f"{format_loss(run.loss)} / {format_loss(run.best_loss)}")
    return table


def _system_table(sample: Any) -> Table:
    table = Table(title="This machine", title_justify="left", show_header=False, box=None)
    table.add_column(style="dim")
    table.add_column()
    if sample.system is not None:
        system = sample.system
        table.add_row("CPU", f"{system.cpu_percent:.0f} %")
        table.add_row("Memory", f"{system.memory_percent:.0f} % of "
                      f"{system.memory_total_gib:.1f} GiB")
        if system.disk_free_gib is not None:
            table.add_row("Disk free", f"{system.disk_free_gib:.1f} GiB")
    if not sample.gpus:
        table.add_row("GPU", sample.gpu_state)
    for gpu in sample.gpus:
        memory = "—" if gpu.memory_percent is None else f"{gpu.memory_percent:.0f} %"
        table.add_row(gpu.label, f"{_num(gpu.utilization, '%')} util · memory {memory} · "
                      f"{_num(gpu.temperature_c, '°C')} · {_num(gpu.power_w, 'W')}")
    return table


def _num(value: float | None, unit: str) -> str:
    return "—" if value is None else f"{value:.0f} {unit}"


def _status_json(runs: tuple[RunSummary, ...], sample: Any,
                 processes: Any = lambda index: []) -> dict[str, Any]:
    system = sample.system
    return {
        "generated_at": iso_time(time.time()),
        "runs": [run.as_json() for run in runs],
        "system": None if system is None else {
            "cpu_percent": system.cpu_percent, "memory_percent": system.memory_percent,
            "memory_total_gib": round(system.memory_total_gib, 2),
            "disk_free_gb": None if system.disk_free_gib is None
            else round(system.disk_free_gib, 2)},
        "gpu_state": sample.gpu_state,
        "gpus": [{"index": g.index, "name": g.name, "utilization": g.utilization,
                  "memory_used_mib": g.memory_used_mib, "memory_total_mib": g.memory_total_mib,
                  "temperature_c": g.temperature_c, "power_w": g.power_w,
                  "processes": [{"pid": pid, "memory_mib": memory}
                                for pid, memory in processes(g.index)]}
                 for g in sample.gpus],
    }


@app.command("status")
def status(ctx: typer.Context,
           watch: Annotated[bool, typer.Option("--watch", "-w", help="Redraw until Ctrl+C.")]
           = False,
           interval: Annotated[float, typer.Option("--interval", "-i", min=0.2,
                                                   help="Seconds between redraws.")] = 30.0,
           as_json: AsJson = False) -> None:
    """Every run with status, progress, ETA and loss, and this machine's GPU/CPU/memory."""
    service = _service(ctx)
    monitor = service.monitor

    def snapshot() -> tuple[tuple[RunSummary, ...], Any]:
        event = monitor.refresh_now(rescan=True)
        return event.runs, service.telemetry.poll_once()

    runs, sample = snapshot()
    if as_json and not watch:
        # Per-process GPU memory costs a few ms per GPU: asked here, never in the 1 Hz poll.
        _print_json(_status_json(runs, sample, service.telemetry.nvml.processes))
        return
    if not watch:
        out.print(_runs_table(runs) if runs else f"No training runs found (looked in "
                  f"{monitor.paths.training}, the mounts of sync.toml and the run folders "
                  "setting)")
        out.print(_system_table(sample))
        return
    try:
        with Live(Group(_runs_table(runs), _system_table(sample)), console=out,
                  auto_refresh=False) as live:
            while True:
                time.sleep(interval)
                runs, sample = snapshot()
                if as_json:
                    _print_json(_status_json(runs, sample))
                live.update(Group(_runs_table(runs), _system_table(sample)), refresh=True)
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


@app.command("history")
def history(ctx: typer.Context,
            limit: Annotated[int, typer.Option("--limit", "-l", min=1)] = 20,
            as_json: AsJson = False) -> None:
    """Finished generation campaigns (dataset folders), newest first, like `hafs training
    history`."""
    runs = dataset_runs(_service(ctx).monitor.paths)[:limit]
    if as_json:
        _print_json({"runs": [run.as_json() for run in runs], "total": len(runs)})
        return
    if not runs:
        err.print(f"No datasets in {_service(ctx).monitor.paths.datasets}")
        return
    table = Table(title=f"{len(runs)} campaign run{'s' * (len(runs) != 1)}",
                  title_justify="left")
    for column in ("Run ID", "Created", "Domains", "Samples", "Quality", "Duration"):
        table.add_column(column, overflow="fold")
    for run in runs:
        table.add_row(run.run_id, run.created, ", ".join(run.domains) or "—",
                      f"{_int(run.final_count)} / {_int(run.train_count)}",
                      "—" if run.quality is None else f"{run.quality:.0%}",
                      format_duration(run.duration_seconds))
    out.print(table)


def _int(value: int | None) -> str:
    return "—" if value is None else str(value)


def _find_dataset(ctx: typer.Context, run_id: str) -> Any:
    for run in dataset_runs(_service(ctx).monitor.paths):
        if run.run_id == run_id:
            return run
    return None


def _find_run(ctx: typer.Context, text: str) -> Any:
    monitor = _service(ctx).monitor
    monitor.refresh_now(rescan=True)
    try:
        return monitor.find(text)
    except KeyError as exc:
        raise _fail(str(exc.args[0])) from None


@app.command("show")
def show(ctx: typer.Context, run_id: Annotated[str, typer.Argument(metavar="RUN")],
         as_json: AsJson = False) -> None:
    """A campaign dataset (like `hafs training show`) or a training run, in detail."""
    dataset = _find_dataset(ctx, run_id)
    if dataset is not None:
        if as_json:
            _print_json(dataset.as_json())
            return
        table = Table(title=dataset.run_id, title_justify="left", show_header=False, box=None)
        table.add_column(style="dim")
        table.add_column()
        for label, value in (("Created", dataset.created), ("Template", dataset.template or "—"),
                             ("Domains", ", ".join(dataset.domains) or "—"),
                             ("Target", _int(dataset.train_count)),
                             ("Final", _int(dataset.final_count)),
                             ("Quality", "—" if dataset.quality is None
                              else f"{dataset.quality:.0%}"),
                             ("Duration", format_duration(dataset.duration_seconds))):
            table.add_row(label, value)
        out.print(table)
        if dataset.domain_counts:
            counts = Table("Domain", "Samples", title="Domains", title_justify="left")
            for domain, count in sorted(dataset.domain_counts.items()):
                counts.add_row(domain, str(count))
            out.print(counts)
        return
    run = _find_run(ctx, run_id)
    summary = run.summary(_service(ctx).monitor.settings.stall_after_s)
    metrics = {}
    for name in summary.metrics:
        view = run.series(name)
        if view is not None and len(view):
            import numpy as np

            finite = view.value[np.isfinite(view.value)]
            metrics[name] = {"points": len(view), "last": float(view.value[-1]),
                             "min": float(finite.min()) if finite.size else None,
                             "max": float(finite.max()) if finite.size else None}
    if as_json:
        def clean(v: Any) -> Any:
            return None if isinstance(v, float) and not math.isfinite(v) else v

        _print_json(summary.as_json() | {"metric_summary": {
            k: {kk: clean(vv) for kk, vv in v.items()} for k, v in metrics.items()}})
        return
    table = Table(title=summary.name, title_justify="left", show_header=False, box=None)
    table.add_column(style="dim")
    table.add_column(overflow="fold")
    for label, value in (
            ("Status", f"[{status_style(summary.status)}]{summary.status.value}[/] "
                       f"({summary.status_reason})"),
            ("Kind", f"{summary.kind} · {summary.origin}"), ("Folder", summary.folder or "—"),
            ("Log", summary.log_file or "—"),
            ("Step", format_step(summary.global_step, summary.max_steps)),
            ("Epoch", "—" if summary.epoch is None else f"{summary.epoch:.2f}"),
            ("ETA", format_eta(summary.eta_seconds)),
            ("Updated", time_ago(summary.last_update, time.time())),
            ("Loss", f"{format_loss(summary.loss)} (best {format_loss(summary.best_loss)})"),
            ("Best metric", format_loss(summary.best_metric)),
            ("Best checkpoint", summary.best_model_checkpoint or "—")):
        table.add_row(label, value)
    out.print(table)
    if metrics:
        metric_table = Table("Metric", "Points", "Last", "Min", "Max", title="Metrics",
                             title_justify="left")
        for name, values in metrics.items():
            metric_table.add_row(name, str(values["points"]), format_loss(values["last"]),
                                 format_loss(values["min"]), format_loss(values["max"]))
        out.print(metric_table)
    for error in summary.errors:
        err.print(f"[yellow]warning:[/] {error}")


@app.command("logs")
def logs(ctx: typer.Context,
         run_id: Annotated[str | None, typer.Argument(metavar="[RUN]")] = None,
         follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new "
                                              "lines until Ctrl+C.")] = False,
         lines: Annotated[int, typer.Option("--lines", "-n", min=0)] = 50) -> None:
    """The last lines of a run's log (default: the newest campaign log, as hafs does)."""
    service = _service(ctx)
    path: Path | None
    if run_id is None:
        path = newest_campaign_log(service.monitor.paths)
    else:
        dataset = _find_dataset(ctx, run_id)
        if dataset is not None:
            path = dataset_log(service.monitor.paths, dataset)
        else:
            log_file = _find_run(ctx, run_id).summary(60.0).log_file
            path = Path(log_file) if log_file else None
    if path is None or not path.is_file():
        raise _fail(f"no log found for {run_id or 'the campaign'}")
    from studio.plugins.training.present import last_lines

    data = path.read_bytes()
    sys.stdout.write(last_lines(data, lines))
    sys.stdout.flush()
    if not follow:
        return
    offset = len(data)
    try:
        while True:
            time.sleep(0.5)
            try:
                size = path.stat().st_size
            except OSError:
                continue
            if size < offset:
                offset = 0  # truncated or replaced
            if size > offset:
                with open(path, "rb") as handle:
                    handle.seek(offset)
                    chunk = handle.read(size - offset)
                offset += len(chunk)
                sys.stdout.write(chunk.decode("utf-8", "replace"))
                sys.stdout.flush()
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


@app.command("stop")
def stop(ctx: typer.Context,
         run_id: Annotated[str | None, typer.Argument(metavar="[RUN]")] = None,
         force: Annotated[bool, typer.Option("--force", "-f", help="Do not ask.")] = False,
         timeout: Annotated[float, typer.Option("--timeout", "-t", min=0.0,
                                                help="Seconds before SIGKILL.")] = 10.0) -> None:
    """Stop a run's process (default: the generation campaign, like `hafs training stop`)."""
    from studio.api import RemoteError
    from studio.plugins.training.stop import StopError

    service = _service(ctx)
    if run_id is None:
        service.monitor.refresh_now(rescan=True)
        campaigns = [r for r in service.monitor.summaries() if r.kind == "campaign"]
        if not campaigns:
            raise _fail("no generation campaign found")
        run = service.monitor.run(campaigns[0].id)
    else:
        run = _find_run(ctx, run_id)
    try:
        target = service.find_target(run)
    except RemoteError as exc:
        raise _fail(str(exc)) from None
    if target is None:
        raise _fail(f"no running process found for {run.source.name} "
                    f"({run.source.origin}); nothing was signalled")
    if not force and not typer.confirm(
            f"Stop {run.source.name}: pid {target.pid} ({target.why})\n  {target.command}\n"
            "Send SIGTERM?" if not run.source.remote else f"Stop it on {run.source.origin}?",
            default=False):
        raise typer.Exit(EXIT_FAILED)
    try:
        outcome = service.stop_target(target, grace_s=timeout, on_progress=err.print)
    except (StopError, RemoteError) as exc:
        raise _fail(str(exc)) from None
    err.print(f"{run.source.name}: pid {target.pid} {outcome}")


@demo_app.command("train")
def demo_train(ctx: typer.Context,
               out_dir: Annotated[Path | None, typer.Option("--out", help="Output folder "
                                  "(default: <context>/training/runs/demo-charlm-<time>).")]
               = None,
               steps: Annotated[int, typer.Option("--steps", min=1, max=1_000_000)] = 300,
               delay: Annotated[float, typer.Option("--delay", min=0.0, help="Seconds to "
                                "sleep per step (to watch it live).")] = 0.0,
               seed: Annotated[int, typer.Option("--seed")] = 0) -> None:
    """Train a small character-level language model in NumPy (its own process), writing
    HF-style checkpoints, the live metrics stream and a tqdm log: a real run to watch."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from studio.plugins.training.demo.launch import run_demo_process
    from studio.plugins.training.locations import hafs_training_paths

    folder = out_dir or hafs_training_paths(ctx.obj.context.path).runs / \
        f"demo-charlm-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    err.print(f"Training into {folder}")
    bar = Progress(TextColumn("[bold]demo train"), BarColumn(), TextColumn("{task.completed}/"
                   "{task.total}"), TextColumn("loss {task.fields[loss]}"),
                   TimeRemainingColumn(), console=err)
    task = bar.add_task("train", total=steps, loss="—")
    try:
        with bar:
            result = run_demo_process(ctx.obj.services.process, folder, steps, delay, seed,
                                      on_step=lambda step, total,
                                      loss: bar.update(task, completed=step, loss="—"
                                                       if loss is None else f"{loss:.3f}"))
    except KeyboardInterrupt:
        raise typer.Exit(EXIT_INTERRUPTED) from None
    if result.first_loss is not None and result.final_loss is not None:
        err.print(f"{result.status}: {result.steps} steps, loss {result.first_loss:.3f} → "
                  f"{result.final_loss:.3f}" + ("" if result.eval_loss is None
                                                else f", eval loss {result.eval_loss:.3f}"))
    out.print(str(result.out))
    if result.status != "completed":
        raise typer.Exit(EXIT_INTERRUPTED if result.status == "stopped" else EXIT_FAILED)
