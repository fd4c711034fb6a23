"""``hafs-studio sample create``: the welcome page's "Create sample workspace", headless."""

from __future__ import annotations

import typer
from rich.console import Console

from studio.api import run_job
from studio.plugins.workbench.sample import populate_sample_workspace

app = typer.Typer(help="Sample hafs data to explore the studio with.", no_args_is_help=True)


@app.command("create")
def create(ctx: typer.Context) -> int:
    """Create the hafs folders and sample content (a tiny model…) in the context root."""
    studio = ctx.obj
    code, job = run_job(studio, "Create sample workspace", populate_sample_workspace, studio)
    if code == 0:
        console = Console()
        for line in job.result:
            console.print(f"  {line}")
    return code
