"""The Typer application behind ``hafs-studio <command>``.

The core :class:`~studio.core.app.Studio` is started first (``--context`` and ``--safe-mode``
apply to subcommands too), so plugins can add their own command groups through
``studio_register_cli``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Annotated

import typer

from studio import __version__
from studio.cli import doctor, plugins_cmd, processes_cmd
from studio.core.app import Studio
from studio.core.context import resolve_context_root

__all__ = ["build_app", "run_cli"]


def build_app(studio: Studio) -> typer.Typer:
    """The root Typer app with the built-in groups and every plugin's groups."""
    app = typer.Typer(
        name="hafs-studio",
        help="HAFS Studio: fine-tune, register, convert and serve small language models.\n\n"
        "Without a command it opens the studio window.",
        add_completion=False,
        no_args_is_help=False,
        rich_markup_mode="rich",
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @app.callback(invoke_without_command=True)
    def root(  # noqa: PLR0917 - Typer maps each option to a parameter
        ctx: typer.Context,
        version: Annotated[
            bool, typer.Option("--version", help="Print the version and exit.")
        ] = False,
        context: Annotated[
            str | None,
            typer.Option(
                "--context",
                metavar="DIR",
                help="hafs context root (default: HAFS_CONTEXT_ROOT, hafs config, ~/.context).",
            ),
        ] = None,
        safe_mode: Annotated[
            bool, typer.Option("--safe-mode", help="Load only the built-in plugins.")
        ] = False,
        screenshot: Annotated[
            str | None,
            typer.Option(
                "--screenshot", metavar="PNG", help="Render the window to a PNG and exit."
            ),
        ] = None,
        workspace: Annotated[
            str | None,
            typer.Option("--workspace", help="Workspace to show (dashboard, models, deploy, …)."),
        ] = None,
        theme: Annotated[str | None, typer.Option("--theme", help="Theme id, e.g. nord.")] = None,
        size: Annotated[
            str | None,
            typer.Option(
                "--size", metavar="WxH", help="Window size for --screenshot, e.g. 1600x1000."
            ),
        ] = None,
    ) -> None:
        if version:
            print(f"hafs-studio {__version__}")
            raise typer.Exit(0)
        ctx.obj = studio
        if ctx.invoked_subcommand is None:
            # The GUI path never reaches Typer (see studio.__main__); show what exists instead.
            typer.echo(ctx.get_help())

    app.add_typer(plugins_cmd.app, name="plugins")
    app.add_typer(processes_cmd.app, name="processes")
    app.command("doctor")(doctor.doctor_command)
    for spec in studio.register_cli().values():
        app.add_typer(spec.app, name=spec.name, help=spec.help or None)
    return app


def run_cli(argv: list[str], options: argparse.Namespace) -> int:
    """Start the core studio, build the CLI and run it on ``argv``; return the exit code."""
    from studio.core.process import install_exit_on_signals

    install_exit_on_signals()  # `kill` of a CLI command still reaches studio.shutdown()
    studio = Studio(context=resolve_context_root(options.context), safe_mode=options.safe_mode)
    studio.start()
    try:
        app = build_app(studio)
        command = typer.main.get_command(app)
        try:
            result = command.main(args=argv, prog_name="hafs-studio", standalone_mode=False)
        except typer.Exit as exc:  # click's Exit
            return int(exc.exit_code or 0)
        except (typer.Abort, KeyboardInterrupt):
            print("Aborted.", file=sys.stderr)
            return 130
        except Exception as exc:
            # Typer vendors click, so match its ClickException by name rather than by import.
            if any(kind.__name__ == "ClickException" for kind in type(exc).__mro__):
                exc.show()
                return int(exc.exit_code)
            raise
        return int(result) if isinstance(result, int) else 0
    finally:
        studio.shutdown()
