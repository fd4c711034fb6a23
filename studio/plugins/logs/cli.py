"""``hafs-studio logs …``: view a log in the studio, or search it like ``grep``.

``logs grep`` and ``logs view`` are normally reached through the short path in
:mod:`studio.__main__` (no Typer, no plugin manager before the work starts); these Typer
commands are the same operations for ``hafs-studio logs --help`` and for invocations that put
global options first (``hafs-studio --context DIR logs grep …``).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from studio.plugins.logs.grep import EXIT_ERROR, parse_levels, run_grep
from studio.plugins.logs.query import SearchQuery

__all__ = ["app"]

app = typer.Typer(help="Logs: open a log in the studio, or search one like grep.",
                  no_args_is_help=True, rich_markup_mode="rich")


@app.command("view")
def view(
    file: Annotated[str, typer.Argument(metavar="FILE", help="The log to open.")],
    line: Annotated[int | None, typer.Option("--line", "-l", min=1,
                                             help="Show this line (1-based).")] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f",
                                         help="Stay at the end while the file grows.")] = False,
    host: Annotated[str | None, typer.Option(
        "--host", metavar="HOST", help="An SSH host from sync.toml / nodes.toml: FILE is a "
        "path there (mirrored and followed over SSH).")] = None,
) -> None:
    """Open the studio's Logs workspace at FILE."""
    from studio.__main__ import main

    argv = [file, *(["--line", str(line)] if line else []), *(["--follow"] if follow else []),
            *(["--host", host] if host else [])]
    raise typer.Exit(main(["logs", "view", *argv]))


@app.command("grep")
def grep(  # noqa: PLR0917 - Typer maps each option to a parameter
    pattern: Annotated[str, typer.Argument(metavar="PATTERN")],
    file: Annotated[str, typer.Argument(metavar="FILE")],
    regex: Annotated[bool, typer.Option("--regex", "-E", help="PATTERN is a regex (PCRE2).")
                     ] = False,
    ignore_case: Annotated[bool, typer.Option("--ignore-case", "-i")] = False,
    word: Annotated[bool, typer.Option("--word", "-w", help="Whole words only.")] = False,
    level: Annotated[list[str] | None, typer.Option(
        "--level", metavar="L", help="Only lines of this level (error, warning, info, debug, "
        "trace, other); repeat or separate with commas.")] = None,
    count: Annotated[bool, typer.Option("--count", "-c", help="Print only the number.")
                     ] = False,
    line_number: Annotated[bool, typer.Option("--line-number", "-n")] = False,
) -> None:
    """Print the lines of FILE that match PATTERN (exit 0: found, 1: none, 2: error)."""
    try:
        levels = frozenset(parse_levels(level or ()))
    except ValueError as exc:
        typer.echo(f"hafs-studio logs grep: {exc}", err=True)
        raise typer.Exit(EXIT_ERROR) from None
    query = SearchQuery(pattern, regex=regex, ignore_case=ignore_case, whole_word=word,
                        levels=levels)
    raise typer.Exit(run_grep(query, file, count=count, line_numbers=line_number,
                              out=sys.stdout.buffer))
