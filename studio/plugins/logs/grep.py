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

import argparse
import mmap
import os
import sys
from collections.abc import Sequence
from typing import Any

from studio.plugins.logs.query import SearchError, SearchQuery

__all__ = ["grep_main", "parse_levels", "run_grep"]

EXIT_MATCH, EXIT_NO_MATCH, EXIT_ERROR = 0, 1, 2
_WRITE_BATCH = 1 << 20


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hafs-studio logs grep",
        description="Print the lines of a log that match PATTERN (the Logs workspace's search).")
    parser.add_argument("pattern", metavar="PATTERN")
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("-E", "--regex", action="store_true",
                        help="PATTERN is a regular expression (PCRE2); default: a literal")
    parser.add_argument("-i", "--ignore-case", action="store_true")
    parser.add_argument("-w", "--word", action="store_true", help="match whole words only")
    parser.add_argument("--level", action="append", default=[], metavar="L",
                        help="only lines of this level (error, warning, info, debug, trace, "
                        "other); repeat or separate with commas")
    parser.add_argument("-c", "--count", action="store_true",
                        help="print only the number of matching lines")
    parser.add_argument("-n", "--line-number", action="store_true",
                        help="prefix each line with its 1-based number")
    return parser


def grep_main(argv: Sequence[str]) -> int:
    """Parse ``argv`` (after ``logs grep``), search, print; return the exit status."""
    try:
        args = _parser().parse_args(list(argv))
    except SystemExit as exc:  # argparse printed the usage problem
        return EXIT_ERROR if exc.code else EXIT_MATCH
    try:
        levels = parse_levels(args.level)
    except ValueError as exc:
        return _error(str(exc))
    query = SearchQuery(args.pattern, regex=args.regex, ignore_case=args.ignore_case,
                        whole_word=args.word, levels=frozenset(levels))
    return run_grep(query, args.file, count=args.count, line_numbers=args.line_number,
                    out=sys.stdout.buffer)


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

    from studio import native

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
    from studio import native
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
    from studio.plugins.logs.formats import Level

    return [Level.parse(part) for value in values for part in value.split(",") if part.strip()]


def _error(message: str) -> int:
    sys.stderr.write(f"hafs-studio logs grep: {message}\n")
    return EXIT_ERROR
