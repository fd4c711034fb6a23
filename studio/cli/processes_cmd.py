"""``hafs-studio processes orphans [--stop] [--json]``: processes a crashed session left running.

A long-lived managed process (a model server, an agent) keeps a pid file while it runs. When the
studio that started it dies without stopping it, the next start finds it here (the window asks
too). Each is checked against its creation time and command line, so a recycled pid is never
reported or stopped.
"""

from __future__ import annotations

from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table

from studio.core.app import Studio

app = typer.Typer(help="Processes the studio manages.", no_args_is_help=True)


@app.command("orphans")
def orphans_command(
    ctx: typer.Context,
    stop: Annotated[bool, typer.Option("--stop",
                                       help="Stop them (SIGTERM, then SIGKILL).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> int:
    """List managed processes still running from a session that ended without stopping them."""
    studio: Studio = ctx.obj
    found = studio.services.process.orphans()
    stopped = [orphan.terminate() for orphan in found] if stop else [False] * len(found)
    if as_json:
        payload = [{"pid": o.pid, "name": o.name, "owner": o.owner, "argv": o.argv,
                    "started_at": o.started_at,
                    "log_file": str(o.log_file) if o.log_file else None, "stopped": s}
                   for o, s in zip(found, stopped, strict=True)]
        typer.echo(orjson.dumps({"orphans": payload}, option=orjson.OPT_INDENT_2).decode())
        return 0
    console = Console(highlight=False)
    if not found:
        console.print("No processes left running by an earlier session.")
        return 0
    table = Table(title="Left running by an earlier session", title_justify="left")
    for column in ("PID", "Name", "Plugin", "Started", "Command", "Log"):
        table.add_column(column)
    for orphan in found:
        table.add_row(str(orphan.pid), orphan.name, orphan.owner, orphan.started_at,
                      " ".join(orphan.argv)[:80], str(orphan.log_file or ""))
    console.print(table)
    if stop:
        console.print(f"Stopped {sum(stopped)} of {len(found)}.")
    else:
        console.print("Stop them with [bold]hafs-studio processes orphans --stop[/].")
    return 0
