"""``hafs-studio plugins list [--json]``: what was found, loaded, disabled or failed."""

from __future__ import annotations

from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table

from studio.core.app import Studio
from studio.core.plugins import PluginState

app = typer.Typer(help="Inspect installed plugins.", no_args_is_help=True)

_STATE_STYLE = {
    PluginState.ACTIVE: "green",
    PluginState.LOADED: "green",
    PluginState.DISABLED: "yellow",
    PluginState.ERRORED: "bold red",
    PluginState.DISCOVERED: "dim",
}


@app.command("list")
def list_plugins(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> int:
    """List every plugin with its source, state, requirements, timings and error (or why it is
    disabled). ``--json`` gives each plugin's requires, optional, reason and essential too."""
    studio: Studio = ctx.obj
    records = studio.plugins.records_sorted()
    errored = any(r.state is PluginState.ERRORED for r in records)
    if as_json:
        payload = {"plugins": [r.as_dict() for r in records], "total": len(records)}
        typer.echo(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode())
        return 1 if errored else 0
    table = Table(title="HAFS Studio plugins", title_justify="left")
    for column in ("Name", "Version", "Source", "State", "Load ms", "Activate ms", "Note"):
        table.add_column(column, justify="right" if column.endswith("ms") else "left")
    for record in records:
        source = record.source + (f" ({record.distribution})" if record.distribution else "")
        needs = f"requires {', '.join(record.requires)}" if record.requires else ""
        note = record.error or record.reason or "; ".join(record.warnings) or needs
        table.add_row(
            record.name,
            record.version,
            source,
            f"[{_STATE_STYLE.get(record.state, '')}]{record.state}[/]",
            f"{record.load_ms:.1f}",
            f"{record.activate_ms:.1f}",
            note,
        )
    Console().print(table)
    return 1 if errored else 0
