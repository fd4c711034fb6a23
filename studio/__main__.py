"""Entry point of ``hafs-studio`` and ``python -m studio``.

With no subcommand it starts the GUI; the GUI path parses its few options with argparse and
never imports the CLI framework, because start-up time is a feature. Anything else (a
subcommand, ``--help``) goes to the Typer CLI in :mod:`studio.cli`, except ``logs grep`` (and
``logs view``), which take their own short path: see :func:`main`.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # `logs grep` starts faster without typing and argparse
if TYPE_CHECKING:
    import argparse

__all__ = ["main", "parse_common"]


def _size(text: str) -> tuple[int, int]:
    import argparse

    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        message = f"expected WIDTHxHEIGHT such as 1600x1000, got {text!r}"
        raise argparse.ArgumentTypeError(message) from None
    if not (320 <= width <= 8192 and 240 <= height <= 8192):
        raise argparse.ArgumentTypeError(f"size {text!r} is out of range (320x240 to 8192x8192)")
    return width, height


def _parser() -> argparse.ArgumentParser:
    import argparse

    parser = argparse.ArgumentParser(prog="hafs-studio", add_help=False)
    parser.add_argument("--version", action="store_true")
    parser.add_argument("--context", default=None)
    parser.add_argument("--safe-mode", action="store_true")
    parser.add_argument("--screenshot", default=None)
    parser.add_argument("--workspace", default=None)
    parser.add_argument("--theme", default=None)
    parser.add_argument("--size", type=_size, default=None)
    parser.add_argument("-h", "--help", action="store_true")
    return parser


def parse_common(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """Parse the options shared by the GUI and the CLI; return them and what is left."""
    return _parser().parse_known_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:2] == ["logs", "grep"]:
        # Fast path: a search over a big log is over in ~0.1 s, so start-up decides how it
        # compares with grep and ripgrep; the Logs engine runs without the CLI framework, the
        # plugin manager or the core (see studio/plugins/logs/grep.py).
        from studio.plugins.logs.grep import grep_main

        return grep_main(argv[2:])
    if argv[:2] == ["logs", "view"]:  # the GUI at a file, without starting the CLI first
        from studio.plugins.logs.view_command import view_options

        prepared = view_options(argv[2:])
        if isinstance(prepared, int):
            return prepared
        from studio.shell.launch import run_gui

        return run_gui(prepared)
    try:
        options, rest = parse_common(argv)
    except SystemExit as exc:  # argparse already printed the problem
        return int(exc.code or 2)
    if options.version and not rest:
        from studio import __version__

        print(f"hafs-studio {__version__}")
        return 0
    if rest or options.help:
        from studio.cli.main import run_cli

        return run_cli(argv, options)
    from studio.shell.launch import run_gui

    return run_gui(options)


if __name__ == "__main__":
    sys.exit(main())
