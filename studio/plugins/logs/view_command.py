"""``hafs-studio logs view FILE``: the studio window, on the Logs workspace, showing FILE.

The file is checked before any window appears: a missing or unreadable log is an error on the
terminal (exit 2), not an empty window. This module only prepares the window's options (the
workspace and an action that opens the log once the studio runs); ``studio.__main__`` starts
the window with them, so the plugin needs nothing of the shell but its public API.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["view_options"]


def view_options(argv: Sequence[str]) -> argparse.Namespace | int:
    """The GUI options for ``logs view`` (after ``logs view``), or an exit status on a problem."""
    from studio.__main__ import parse_common
    from studio.plugins.logs.source import LogFile, LogOpenError

    parser = argparse.ArgumentParser(prog="hafs-studio logs view",
                                     description="Open the Logs workspace at FILE.")
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("--line", "-l", type=int, default=None, help="line to show (1-based)")
    parser.add_argument("--follow", "-f", action="store_true",
                        help="stay at the end while the file grows")
    parser.add_argument("--host", metavar="HOST", default=None,
                        help="an SSH host from sync.toml / nodes.toml: FILE is a path there")
    try:
        options, rest = parse_common(list(argv))
        args = parser.parse_args(rest)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.line is not None and args.line < 1:
        print("hafs-studio logs view: --line starts at 1", file=sys.stderr)
        return 2
    if args.host is not None:
        from studio.plugins.logs.remote import mirror_path

        try:  # the host and path are checked when the window runs (a job: it needs the network)
            mirror_path(Path("/"), args.host, args.file)
        except ValueError as exc:
            print(f"hafs-studio logs view: {exc}", file=sys.stderr)
            return 2
    else:
        try:
            LogFile(args.file).close()
        except LogOpenError as exc:
            print(f"hafs-studio logs view: {exc.strerror}", file=sys.stderr)
            return 2

    def open_it(studio: Any) -> None:
        from studio.plugins.logs.api import open_log, open_remote_log

        if args.host is not None:
            open_remote_log(studio, args.host, args.file, line=args.line, follow=args.follow)
        else:
            open_log(studio, args.file, args.line, follow=args.follow)

    options.workspace = options.workspace or "logs"
    options.after_start = [open_it]
    return options
