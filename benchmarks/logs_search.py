"""Logs: search vs ``grep -c`` and ``rg -c`` on the same 1 GB log, in the viewer and the CLI.

Two comparisons per case (literal ``ERROR``, ``ERROR|Traceback``, case-insensitive
``cuda out of memory|nan loss``), all in fresh processes with stdout piped, rounds interleaved
(grep · rg · CLI · engine):

* **CLI**: ``hafs-studio logs grep --count`` as a whole process, start-up included (the goal:
  >= 1x grep and >= 0.8x rg);
* **engine**: the Logs view's search (``search_document`` over an open, indexed document),
  timed inside ``benchmarks/_logs_search_child.py``: what a user waits for after typing.

    python benchmarks/logs_search.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
from pathlib import Path

from _common import print_table, write_results
from logs_common import (
    PYTHON,
    SEARCH_CASES,
    child_env,
    interleave,
    load_average,
    log_file,
    timed_run,
)

CHILD = str(Path(__file__).with_name("_logs_search_child.py"))
STUDIO = str(Path(sys.executable).with_name("hafs-studio"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    path = log_file()
    path.read_bytes()
    rg = shutil.which("rg")
    env = child_env()
    load_before = load_average()
    table, summary, raw = [], {}, {}
    for name, pattern, regex, ignore_case, grep_flags, rg_flags in SEARCH_CASES:
        studio_flags = (["-E"] if regex else []) + (["-i"] if ignore_case else [])

        def tool(argv: list[str]):
            def run() -> dict:
                wall, _, out = timed_run(argv, env=env)
                return {"wall_s": wall, "count": int(out.split()[0])}
            return run

        def engine(pattern: str = pattern, regex: bool = regex,
                   ignore_case: bool = ignore_case) -> dict:
            _, _, out = timed_run([PYTHON, CHILD, str(path), pattern, str(int(regex)),
                                   str(int(ignore_case))], env=env)
            return json.loads(out)

        runs = {"grep -c": tool(["grep", "-c", *grep_flags, pattern, str(path)])}
        if rg:
            runs["rg -c"] = tool([rg, "-c", *rg_flags, pattern, str(path)])
        runs["hafs-studio logs grep -c"] = tool([STUDIO, "logs", "grep", "-c", *studio_flags,
                                                 pattern, str(path)])
        runs["studio engine (in the viewer)"] = engine
        results = interleave(runs, args.repeats)
        raw[name] = results
        med = {tool_name: statistics.median(r["wall_s"] for r in rows)
               for tool_name, rows in results.items()}
        counts = {tool_name: rows[0]["count"] for tool_name, rows in results.items()}
        assert len(set(counts.values())) == 1, (name, counts)
        for tool_name, seconds in med.items():
            table.append([name, tool_name, seconds, path.stat().st_size / 1e9 / seconds,
                          med["grep -c"] / seconds, med["rg -c"] / seconds if rg else ""])
        summary[name] = {"medians_s": med, "matching_lines": counts["grep -c"],
                         "cli_vs_grep": med["grep -c"] / med["hafs-studio logs grep -c"],
                         "cli_vs_rg": (med["rg -c"] / med["hafs-studio logs grep -c"]
                                       if rg else None),
                         "engine_vs_grep": med["grep -c"] / med["studio engine (in the viewer)"],
                         "engine_vs_rg": (med["rg -c"] / med["studio engine (in the viewer)"]
                                          if rg else None)}
    print_table(["case", "tool", "seconds (median)", "GB/s", "x grep", "x rg"], table,
                title=f"1 GB log, {args.repeats} interleaved rounds")
    out = write_results("logs_search", {
        "file": {"path": str(path), "bytes": path.stat().st_size},
        "repeats": args.repeats, "load_average_before": load_before,
        "load_average_after": load_average(), "summary": summary, "runs": raw,
        "goals": {"CLI >= 1x grep -c": {k: v["cli_vs_grep"] for k, v in summary.items()},
                  "CLI >= 0.8x rg -c": {k: v["cli_vs_rg"] for k, v in summary.items()}},
    })
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
