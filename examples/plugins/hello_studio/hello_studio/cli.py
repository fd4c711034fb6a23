"""``hafs-studio hello …``: the plugin's command-line group (a Typer app).

The studio is started before any subcommand runs and is available as ``ctx.obj``, so the CLI
reads the same settings and context root as the window.
"""

from __future__ import annotations

from typing import Annotated

import typer

from hello_studio.greeting import make_greeting

app = typer.Typer(help="Commands of the Hello example plugin.", no_args_is_help=True)


@app.command("greet")
def greet(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Option("--name", help="Who to greet (default: setting).")]
    = None,
) -> None:
    """Print the greeting configured in Preferences ▸ Hello."""
    studio = ctx.obj
    typer.echo(make_greeting(studio.settings, studio.context.path, name=name))
