"""``hafs-studio logs grep PATTERN FILE``: the Logs search engine, printing like ``grep``.

Start-up is most of the cost of a search over a large file (the kernel scans 1 GB in ~0.1 s),
so this module is reached from :mod:`studio.__main__` before Typer, pluggy or the studio core
are imported, and imports only what a request needs:

* ``--count`` without ``--level``: the compiled kernel alone (``studio._native``), no NumPy;
  lines are counted without being numbered (``LineSearch.count_matching_lines``). This is the
  one place outside :mod:`studio.native` that calls the extension directly: importing the facade
  imports NumPy, which takes longer than the search.
* printing lines or filtering by level: the facade, NumPy and the format detection.

Output follows grep: matching lines as bytes (``-n`` prefixes ``N:``), ``--count`` prints the
number alone; exit status 0 when a line matched, 1 when none did, 2 on an error (with a message
naming the file or the pattern).
"""

from __future__ import annotations

import mmap
import os
import sys

from studio.plugins.logs.query import SearchError, SearchQuery

TYPE_CHECKING = False  # typing costs more to import than a 1 GB count takes
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

__all__ = ["grep_main", "parse_levels", "run_grep"]

EXIT_MATCH, EXIT_NO_MATCH, EXIT_ERROR = 0, 1, 2
_WRITE_BATCH = 1 << 20

USAGE = """usage: hafs-studio logs grep [options] PATTERN FILE

Print the lines of a log that match PATTERN (the Logs workspace's search).

options:
  -E, --regex         PATTERN is a regular expression (PCRE2); default: a literal
  -i, --ignore-case   match case-insensitively
  -w, --word          match whole words only
  --level L           only lines of this level (error, warning, info, debug, trace,
                      other); repeat or separate with commas
  -c, --count         print only the number of matching lines
  -n, --line-number   prefix each line with its 1-based number
  -h, --help          show this help
"""
_SHORT = {"E": "regex", "i": "ignore_case", "w": "word", "c": "count", "n": "line_number"}
_LONG = {"--regex": "regex", "--ignore-case": "ignore_case", "--word": "word",
         "--count": "count", "--line-number": "line_number"}


class _Usage(Exception):
    """A command-line problem (the message says which)."""


def _parse(argv: Sequence[str]) -> tuple[dict[str, bool], list[str], list[str]]:
    """(flags, levels, positionals) of ``argv``; grep-style, no argparse (start-up time)."""
    flags = dict.fromkeys(_SHORT.values(), False)
    levels: list[str] = []
    positionals: list[str] = []
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg == "--":
            positionals += args
            break
        if arg in ("-h", "--help"):
            flags["help"] = True
        elif arg in _LONG:
            flags[_LONG[arg]] = True
        elif arg == "--level" or arg.startswith("--level="):
            if arg == "--level" and not args:
                raise _Usage("--level needs a value")
            levels.append(arg.split("=", 1)[1] if "=" in arg else args.pop(0))
        elif arg.startswith("-") and len(arg) > 1 and not arg.startswith("--"):
            for letter in arg[1:]:
                if letter == "h":
                    flags["help"] = True
                elif letter in _SHORT:
                    flags[_SHORT[letter]] = True
                else:
                    raise _Usage(f"unknown option -{letter}")
        elif arg.startswith("--"):
            raise _Usage(f"unknown option {arg}")
        else:
            positionals.append(arg)
    return flags, levels, positionals


def grep_main(argv: Sequence[str]) -> int:
    """Parse ``argv`` (after ``logs grep``), search, print; return the exit status."""
    try:
        flags, level_names, positionals = _parse(argv)
        if flags.get("help"):
            sys.stdout.write(USAGE)
            return EXIT_MATCH
        if len(positionals) != 2:
            raise _Usage("expected PATTERN and FILE")
        levels = parse_levels(level_names)
    except (_Usage, ValueError) as exc:
        sys.stderr.write(USAGE.split("\n\n", 1)[0] + "\n")
        return _error(str(exc))
    query = SearchQuery(positionals[0], regex=flags["regex"], ignore_case=flags["ignore_case"],
                        whole_word=flags["word"], levels=frozenset(levels))
    return run_grep(query, positionals[1], count=flags["count"],
                    line_numbers=flags["line_number"], out=sys.stdout.buffer)


def run_grep(query: SearchQuery, path: str, *, count: bool = False,
             line_numbers: bool = False, out: Any = None) -> int:
    """Search ``path``; print like grep to ``out`` (a binary stream); return the exit status."""
    out = out if out is not None else sys.stdout.buffer
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            mapping = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
    except IsADirectoryError:
        return _error(f"{path}: is a folder, not a log file")
    except OSError as exc:
        return _error(f"{path}: {exc.strerror or exc}")
    try:
        if count and not query.levels:
            matched = _count_fast(query, mapping)
            out.write(f"{matched}\n".encode())
        else:
            matched = _search_and_print(query, path, mapping, count=count,
                                        line_numbers=line_numbers, out=out)
    except SearchError as exc:
        return _error(str(exc))
    finally:
        out.flush()
    return EXIT_MATCH if matched else EXIT_NO_MATCH


def _count_fast(query: SearchQuery, data: Any) -> int:
    """Count matching lines with the kernel alone (no NumPy); the facade's checks are trivial
    here: the pattern is a str, the data a read-only mapping. An empty pattern counts lines."""
    if not len(data):
        return 0
    from studio import _native

    pattern, regex = query.kernel_pattern()
    try:
        searcher = _native.LineSearcher(pattern.encode("utf-8", "surrogatepass"), regex,
                                        query.ignore_case)
    except ValueError as exc:
        raise SearchError(f"{query.pattern!r}: {exc}") from None
    return int(searcher.count_matching_lines(data, 0))


def _search_and_print(query: SearchQuery, path: str, data: Any, *, count: bool,
                      line_numbers: bool, out: Any) -> int:
    import numpy as np

    from studio.api import native

    if not len(data):
        return 0
    index = native.LineIndex()
    index.update(data)
    searcher = query.compile()
    hits = (searcher.matching_lines(data) if searcher is not None
            else np.arange(index.line_count, dtype=np.int64))
    if query.levels and hits.size:
        hits = hits[np.isin(_line_levels(path, data)[hits],
                            np.fromiter(query.levels, dtype=np.uint8))]
    if count:
        out.write(f"{hits.size}\n".encode())
        return int(hits.size)
    view = memoryview(data)
    batch: list[Any] = []
    pending = 0
    for start in range(0, hits.size, 4096):
        chosen = hits[start:start + 4096]
        begins, ends = index.bounds_of(chosen)
        for line, begin, end in zip(chosen.tolist(), begins.tolist(), ends.tolist(),
                                    strict=True):
            if line_numbers:
                batch.append(f"{line + 1}:".encode())
            batch.append(view[begin:end])
            batch.append(b"\n")
            pending += end - begin
            if pending >= _WRITE_BATCH:
                out.write(b"".join(batch))
                batch, pending = [], 0
    out.write(b"".join(batch))
    del view
    return int(hits.size)


def _line_levels(path: str, data: Any) -> Any:
    from studio.api import native
    from studio.plugins.logs.builtin_formats import register_builtin_formats
    from studio.plugins.logs.formats import FormatRegistry

    head = bytes(data[:65536]).decode("utf-8", "replace").split("\n")[:400]
    fmt = register_builtin_formats(FormatRegistry()).detect(head)
    return native.classify_levels(data, fmt.level_tokens, ignore_case=fmt.level_ignore_case,
                                  max_column=fmt.level_max_column, inherit=fmt.level_inherit)


def parse_levels(values: Sequence[str]) -> list[int]:
    """Level codes of ``--level`` values (names, repeated or comma-separated)."""
    if not values:
        return []
    from studio.plugins.logs.formats import parse_level

    return [parse_level(part) for value in values for part in value.split(",") if part.strip()]


def _error(message: str) -> int:
    sys.stderr.write(f"hafs-studio logs grep: {message}\n")
    return EXIT_ERROR
