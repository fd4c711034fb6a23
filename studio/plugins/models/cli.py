"""``hafs-studio models …``: the Models panel's operations for terminals and scripts.

Headless (never imports Qt) and built on the same :class:`ModelsService` as the panel; long
operations (convert, quantize, pull) run as studio jobs drawn as rich progress bars, Ctrl+C
cancels them cleanly. ``list --json`` prints ``{"models": [...], "total": N}`` exactly like
``hafs models list --json``.

Exit codes: 0 success · 1 failure or unknown model · 2 bad usage · 3 the registry is damaged
or read-only (nothing was written) · 130 cancelled.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from studio.plugins.models.api import ModelsService
from studio.plugins.models.ids import InvalidModelIdError
from studio.plugins.models.present import (
    backends_text,
    detail_sections,
    format_loss,
    format_value,
    formats_text,
    locations_text,
    role_color,
    samples_text,
)
from studio.plugins.models.registry import (
    RegistryCorruptError,
    RegistryError,
    RegistryReadOnlyError,
    UnknownModelError,
)
from studio.plugins.models.schema import EntryError

__all__ = ["EXIT_FAILED", "EXIT_REGISTRY", "app"]

EXIT_FAILED = 1
EXIT_REGISTRY = 3

app = typer.Typer(
    help="Trained models: the hafs registry, pull, HF → GGUF conversion, quantization, "
    "GGUF inspection.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)


def _studio(ctx: typer.Context) -> Any:
    return ctx.obj


def _service(ctx: typer.Context) -> ModelsService:
    studio = _studio(ctx)
    return ModelsService(studio.context, processes=studio.services.process)


def _fail(message: str, code: int = EXIT_FAILED) -> typer.Exit:
    err.print(f"[red]error:[/] {message}", markup=True, soft_wrap=True)
    return typer.Exit(code)


def _registry_failure(exc: Exception) -> typer.Exit:
    if isinstance(exc, UnknownModelError):
        return _fail(str(exc))
    if isinstance(exc, RegistryCorruptError | RegistryReadOnlyError):
        return _fail(str(exc), EXIT_REGISTRY)
    return _fail(str(exc))


def _warn_damaged(registry: Any) -> None:
    """Entries hafs cannot load, on stderr (stdout stays what hafs prints)."""
    from studio.plugins.models.registry import DAMAGED_ENTRY_POLICY

    for damage in registry.damaged.values():
        err.print(f"[yellow]warning:[/] {damage}", soft_wrap=True)
    if registry.damaged:
        err.print(f"[yellow]warning:[/] {DAMAGED_ENTRY_POLICY}", soft_wrap=True)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


Role = Annotated[str | None, typer.Option("--role", "-r", help="Only this role (asm, debug, …).")]
Location = Annotated[str | None, typer.Option("--location", "-l",
                                              help="Only models with a copy at this location.")]
Backend = Annotated[str | None, typer.Option("--backend", "-b",
                                             help="Only models deployed to this backend.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@app.command("list")
def list_models(  # noqa: PLR0917 - Typer maps each option to a parameter
                ctx: typer.Context, role: Role = None, location: Location = None,
                backend: Backend = None, as_json: AsJson = False,
                text: Annotated[str, typer.Option("--text", "-t",
                                                  help="Text in id, name, role or base.")] = ""
                ) -> None:
    """List registered models (like `hafs models list`)."""
    service = _service(ctx)
    try:
        registry = service.load()
    except RegistryError as exc:
        raise _registry_failure(exc) from None
    _warn_damaged(registry)
    models = registry.filter(text=text, role=role, location=location, backend=backend)
    if as_json:
        _print_json({"models": models, "total": len(models)})
        return
    if not models:
        err.print(f"No models in {service.registry.path}"
                  + (" match the filters" if (role or location or backend or text) else ""))
        return
    table = Table(title=f"{len(models)} model{'s' * (len(models) != 1)}", title_justify="left")
    for column in ("ID", "Display Name", "Role", "Base", "Loss (final/best)", "Samples",
                   "Formats", "Locations", "Backends"):
        table.add_column(column, overflow="fold")
    for entry in models:
        table.add_row(
            entry["model_id"], entry["display_name"] or "",
            Text(entry["role"] or "—", style=f"bold {role_color(entry['role'])}"),
            entry["base_model"] or "—",
            f"{format_loss(entry['final_loss'])} / {format_loss(entry['best_loss'])}",
            samples_text(entry), formats_text(entry), locations_text(entry),
            backends_text(entry))
    out.print(table)


@app.command("info")
def info(ctx: typer.Context, model_id: Annotated[str, typer.Argument(metavar="ID")],
         as_json: AsJson = False) -> None:
    """Every field of one model; an unknown id exits with 1."""
    service = _service(ctx)
    try:
        entry = service.info(model_id)
    except RegistryError as exc:
        raise _registry_failure(exc) from None
    studio_data = service.studio_data(model_id)
    if as_json:
        _print_json(entry | ({"_studio": studio_data} if studio_data else {}))
        return
    for section, rows in detail_sections(entry, studio_data):
        table = Table(title=section, title_justify="left", show_header=False, box=None,
                      padding=(0, 2))
        table.add_column(style="dim", no_wrap=True)
        table.add_column(overflow="fold")
        for row in rows:
            table.add_row(row.label, row.value)
        out.print(table)
        out.print()


@app.command("register")
def register(  # noqa: PLR0917 - Typer maps each option to a parameter
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="HF model folder, LoRA adapter folder or .gguf")],
    model_id: Annotated[str | None, typer.Option("--id", help="Model id (default: the "
                                                 "folder name).")] = None,
    name: Annotated[str | None, typer.Option("--name", "-n", help="Display name.")] = None,
    base: Annotated[str | None, typer.Option("--base", "-b", help="Base model.")] = None,
    role: Role = None,
    location: Annotated[str, typer.Option("--location", "-l",
                                          help="Where this copy lives.")] = "mac",
    replace: Annotated[bool, typer.Option("--replace", help="Overwrite an entry with the "
                                          "same id.")] = False,
    as_json: AsJson = False,
) -> None:
    """Detect a model at PATH and add it to the registry."""
    # Imported here: detection pulls in numpy and gguf, which `models list` never needs.
    from studio.plugins.models.detect import DetectError

    service = _service(ctx)
    try:
        entry = service.register(path, model_id=model_id, name=name, base=base, role=role,
                                 location=location, replace=replace)
    except (DetectError, InvalidModelIdError, EntryError) as exc:
        raise _fail(str(exc), 2) from None
    except RegistryError as exc:
        raise _registry_failure(exc) from None
    if as_json:
        _print_json(entry)
    else:
        out.print(f"Registered [bold]{entry['model_id']}[/] ({entry['role']}, "
                  f"{formats_text(entry)}) at {location}: {entry['model_path']}")


def _run(ctx: typer.Context, title: str, fn: Any, *args: Any) -> Any:
    from studio.api import run_job

    code, job = run_job(_studio(ctx), title, fn, *args, console=err)
    if code and (job.error or "").startswith("OutputExistsError"):
        err.print("Pass --overwrite to replace it, or choose another file with --out.")
    if code:
        raise typer.Exit(code)
    return job.result


@app.command("pull")
def pull(ctx: typer.Context, model_id: Annotated[str, typer.Argument(metavar="ID")],
         source: Annotated[str | None, typer.Option("--source", "-s",
                                                    help="Location to pull from.")] = None,
         dest: Annotated[Path | None, typer.Option("--dest", "-d", help="Destination folder "
                                                   "(default ~/Code/hafs/models/ID).")] = None,
         ) -> None:
    """Copy a model here from another location (mount or SSH), resumable and verified."""
    from studio.api import RemoteError, load_sync_config
    from studio.plugins.models.pull import PullError, plan_pull, pull_model

    service = _service(ctx)
    try:
        sync = load_sync_config()
        plan = plan_pull(service.info(model_id), sync, source=source, dest=dest)
    except (RegistryError, PullError, RemoteError) as exc:
        raise _registry_failure(exc) from None
    via = str(plan.mount_path) if plan.method == "mount" else (
        f"{plan.host.username}@{plan.host.hostname}" if plan.host else "?")
    err.print(f"Pulling {model_id} from {plan.source} ({plan.remote_path}) via {plan.method} "
              f"{via} → {plan.dest}")
    result = _run(ctx, f"Pull {model_id}",
                  lambda job_ctx: pull_model(service, model_id, source=source, dest=dest,
                                             sync=sync, ctx=job_ctx,
                                             remote=_studio(ctx).services.remote))
    resumed = f", resumed {len(result.resumed)}" if result.resumed else ""
    out.print(f"Pulled {result.files} files ({result.bytes_total:,} bytes{resumed}), verified "
              f"by size and sha256; locations[mac] = {result.path}")


@app.command("convert")
def convert(  # noqa: PLR0917 - Typer maps each option to a parameter
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(metavar="ID|PATH", help="Registered model id or "
                                          "a model folder.")],
    to: Annotated[str, typer.Option("--to", help="Output format (only gguf).")] = "gguf",
    outtype: Annotated[str, typer.Option("--outtype", help="f32, f16, bf16 or q8_0.")] = "f16",
    out_file: Annotated[Path | None, typer.Option("--out", "-o", help="Output file.")] = None,
    base_dir: Annotated[Path | None, typer.Option("--base-dir", help="Base model folder for a "
                                                  "LoRA adapter.")] = None,
    converter: Annotated[str, typer.Option(
        "--converter", help="builtin, or llama.cpp (its convert_hf_to_gguf.py from the "
        "tools.llama_cpp_dir setting or ~/Code/llama.cpp; needs torch).")] = "builtin",
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace the output file if "
                                            "it exists.")] = False,
) -> None:
    """Convert a Hugging Face checkpoint (or LoRA adapter + base) to GGUF."""
    if to.lower() != "gguf":
        raise _fail(f"--to {to!r}: only gguf is supported", 2)
    if outtype.lower() not in ("f32", "f16", "bf16", "q8_0"):
        raise _fail(f"--outtype {outtype!r}: choose f32, f16, bf16 or q8_0", 2)
    if converter not in ("builtin", "llama.cpp"):
        raise _fail(f"--converter {converter!r}: choose builtin or llama.cpp", 2)
    llama_cpp = None
    if converter == "llama.cpp":
        from studio.plugins.models.llama_cpp_convert import find_from_settings

        llama_cpp = find_from_settings(getattr(_studio(ctx), "settings", None),
                                       _studio(ctx).services.tools)
        if llama_cpp is None:
            raise _fail("llama.cpp's convert_hf_to_gguf.py was not found: set "
                        "tools.llama_cpp_dir to your llama.cpp checkout (hafs default "
                        "~/Code/llama.cpp), or use --converter builtin")
    service = _service(ctx)
    if not Path(target).expanduser().exists():
        try:
            service.info(target)
        except RegistryError as exc:
            raise _fail(f"{target!r} is neither a folder nor a registered model ({exc})"
                        ) from None
    result = _run(ctx, f"Convert {Path(target).name} to GGUF {outtype.upper()}",
                  lambda job_ctx: service.convert(target, outtype=outtype, out=out_file,
                                                  base_dir=base_dir, converter=converter,
                                                  llama_cpp=llama_cpp, ctx=job_ctx,
                                                  overwrite=overwrite))
    for warning in getattr(result, "warnings", []) or []:
        err.print(f"[yellow]warning:[/] {warning}")
    out.print(f"Wrote {result.path}")


@app.command("quantize")
def quantize(  # noqa: PLR0917 - Typer maps each option to a parameter
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(metavar="FILE", help="F32/F16/BF16 GGUF file.")],
    type_name: Annotated[str, typer.Option("--type", "-t", help="Q4_K_M, Q5_K_M, Q8_0, …")
                         ] = "Q4_K_M",
    out_file: Annotated[Path | None, typer.Option("--out", "-o", help="Output file.")] = None,
    model_id: Annotated[str | None, typer.Option("--model", help="Record the file for this "
                                                 "registered model.")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace the output file if "
                                            "it exists.")] = False,
) -> None:
    """Quantize a GGUF with llama.cpp (needs llama-cpp-python)."""
    from studio.api import format_bytes
    from studio.plugins.models.quantize import (
        QUANT_TYPES,
        QuantizeError,
        estimate_quantized_size,
    )

    quant = QUANT_TYPES.get(type_name.upper())
    if quant is None:
        raise _fail(f"unknown type {type_name!r}; choose from {', '.join(QUANT_TYPES)}", 2)
    service = _service(ctx)
    try:
        estimate = estimate_quantized_size(source, quant.name)
    except (OSError, ValueError, QuantizeError) as exc:
        raise _fail(str(exc)) from None
    err.print(f"{quant.name}: {quant.bits_per_weight} bits/weight, about "
              f"{format_bytes(estimate)}; {quant.quality}")
    result = _run(ctx, f"Quantize {source.name} to {quant.name}",
                  lambda job_ctx: service.quantize(source, quant.name, out=out_file,
                                                   model_id=model_id, ctx=job_ctx,
                                                   overwrite=overwrite))
    out.print(f"Wrote {result.path} ({format_bytes(result.size)})")
    for line in result.fallbacks[:5]:
        err.print(f"[dim]{line}[/]")


@app.command("inspect")
def inspect(ctx: typer.Context,
            file: Annotated[Path, typer.Argument(metavar="FILE", help="A .gguf file.")],
            as_json: AsJson = False,
            tensors: Annotated[bool, typer.Option("--tensors", help="Also list every "
                                                  "tensor.")] = False) -> None:
    """Header of a GGUF: metadata, totals by type, parameters, estimated RAM."""
    from studio.api import format_bytes
    from studio.plugins.models.gguf_info import (
        GGUFFormatError,
        info_to_dict,
        read_gguf_info,
    )

    try:
        info = read_gguf_info(file)
    except (OSError, GGUFFormatError) as exc:
        raise _fail(str(exc)) from None
    if as_json:
        _print_json(info_to_dict(info))
        return
    out.print(f"[bold]{file}[/]  GGUF v{info.version}, {format_bytes(info.file_size)}, "
              f"{info.architecture or '?'}, {info.parameter_count:,} parameters, "
              f"~{format_bytes(info.estimated_ram_bytes())} RAM")
    meta = Table(title="Metadata", title_justify="left")
    meta.add_column("Key", style="dim")
    meta.add_column("Value", overflow="fold")
    for key, value in info.metadata.items():
        text = str(value)
        meta.add_row(key, text if len(text) < 300 else text[:297] + "…")
    out.print(meta)
    totals = Table(title="Totals by type", title_justify="left")
    for column in ("Type", "Tensors", "Elements", "Bytes"):
        totals.add_column(column, justify="left" if column == "Type" else "right")
    for type_name, row in info.totals_by_type().items():
        totals.add_row(type_name, f"{row['tensors']:,}", f"{row['elements']:,}",
                       format_bytes(row["bytes"]))
    out.print(totals)
    if tensors:
        table = Table(title="Tensors", title_justify="left")
        for column in ("Name", "Shape", "Type", "Bytes", "Offset"):
            table.add_column(column)
        for t in info.tensors:
            table.add_row(t.name, " x ".join(map(str, t.shape)), t.type, f"{t.n_bytes:,}",
                          f"{t.offset:,}")
        out.print(table)


@app.command("compare")
def compare(ctx: typer.Context, left: Annotated[str, typer.Argument(metavar="A")],
            right: Annotated[str, typer.Argument(metavar="B")],
            only_differences: Annotated[bool, typer.Option("--diff", help="Only fields that "
                                                           "differ.")] = False,
            as_json: AsJson = False) -> None:
    """Two models side by side, all 36 fields; differences highlighted."""
    try:
        rows = _service(ctx).compare(left, right)
    except RegistryError as exc:
        raise _registry_failure(exc) from None
    if as_json:
        _print_json([{"field": r.field, "a": r.left, "b": r.right, "differs": r.differs}
                     for r in rows])
        return
    table = Table(title=f"{left}  vs  {right}", title_justify="left")
    table.add_column("Field", style="dim", no_wrap=True)
    table.add_column("A", overflow="fold")
    table.add_column("B", overflow="fold")
    for row in rows:
        if only_differences and not row.differs:
            continue
        style = "bold yellow" if row.differs else ""
        table.add_row(("≠ " if row.differs else "  ") + row.field,
                      Text(format_value(row.left), style=style),
                      Text(format_value(row.right), style=style))
    out.print(table)
    differing = sum(r.differs for r in rows)
    out.print(f"{differing} of {len(rows)} fields differ")


@app.command("remove")
def remove(ctx: typer.Context, model_id: Annotated[str, typer.Argument(metavar="ID")],
           yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False) -> None:
    """Remove a model from the registry (its files are never deleted)."""
    service = _service(ctx)
    try:
        registry = service.load()
        damage = registry.damaged.get(model_id)
        entry = None if damage is not None else registry.get(model_id)
    except RegistryError as exc:
        raise _registry_failure(exc) from None
    if not yes:
        if not sys.stdin.isatty():
            raise _fail("refusing to remove without confirmation: pass --yes", 1)
        what = f"the damaged entry {model_id}" if entry is None else \
            f"{model_id} ({entry['display_name']})"
        typer.confirm(f"Remove {what} from the registry? Its files stay on disk", abort=True)
    try:
        service.remove(model_id)
    except RegistryError as exc:
        raise _registry_failure(exc) from None
    where = "" if entry is None else f": {locations_text(entry, with_paths=True)}"
    out.print(f"Removed {model_id} from the registry (files untouched{where})")
