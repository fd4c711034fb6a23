"""Logs: index time vs ``wc -l``; full load time and peak memory vs ``lnav`` (1 GB log).

Rounds alternate ``wc -l`` · our load (every core, as the viewer) · (on a machine with more than
one core: our load on one thread) · ``lnav -n -q -c ':goto 100%'``, each a fresh process
(stdout piped, never /dev/null: GNU tools skip work when they can tell nobody reads it). Ours
is ``benchmarks/_logs_load_child.py``: it opens the log as the viewer does and indexes every
line (timed in-process: what the viewer waits for before every line can be reached; levels are
classified only for what is shown or searched), and its peak RSS is the whole Python process's.
lnav runs with a private HOME.

    python benchmarks/logs_load.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
from pathlib import Path

from _common import print_table, write_results
from logs_common import PYTHON, child_env, interleave, load_average, log_file, timed_run

from studio.plugins.logs.index import INDEX_THREADS

CHILD = str(Path(__file__).with_name("_logs_load_child.py"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    path = log_file()
    path.read_bytes()  # page cache warm for every tool alike
    lnav = shutil.which("lnav")
    home = tempfile.mkdtemp(prefix="lnav-home-")
    env = child_env()

    def ours() -> dict:
        wall, rss, out = timed_run([PYTHON, CHILD, str(path)], env=env)
        return {"wall_s": wall, "rss_mib": rss / 1024, **json.loads(out)}

    def ours_with(*options: str):
        def run() -> dict:
            wall, rss, out = timed_run([PYTHON, CHILD, str(path), *options], env=env)
            return {"wall_s": wall, "rss_mib": rss / 1024, **json.loads(out)}
        return run

    def wc() -> dict:
        wall, rss, out = timed_run(["wc", "-l", str(path)])
        return {"wall_s": wall, "rss_mib": rss / 1024, "lines": int(out.split()[0])}

    def lnav_run() -> dict:
        wall, rss, _ = timed_run([lnav, "-n", "-q", "-c", ":goto 100%", str(path)],
                                 env={**env, "HOME": home})
        return {"wall_s": wall, "rss_mib": rss / 1024}

    runs = {"wc -l": wc, "studio": ours}
    if INDEX_THREADS > 1:  # the viewer indexes on every core; this is one core's share
        runs["studio, 1 index thread"] = ours_with("--threads", "1")
    if lnav:
        runs["lnav"] = lnav_run
    load_before = load_average()
    results = interleave(runs, args.repeats)
    med = {name: {key: statistics.median(r[key] for r in rows) for key in rows[0]
                  if isinstance(rows[0][key], float | int)} for name, rows in results.items()}
    ours_m, wc_m = med["studio"], med["wc -l"]
    assert ours_m["lines"] == wc_m["lines"], (ours_m["lines"], wc_m["lines"])
    rows = [
        ["wc -l (whole process)", wc_m["wall_s"], wc_m["rss_mib"], ""],
        ["studio: index (in the viewer, the full load)", ours_m["index_s"], "",
         f"{wc_m['wall_s'] / ours_m['index_s']:.2f}x wc -l speed"],
        ["studio: whole process (python start, open, index)", ours_m["wall_s"],
         ours_m["rss_mib"], f"index memory {ours_m['index_bytes_per_line']:.2f} B/line"],
    ]
    for name in runs:
        if name.startswith("studio, "):
            rows.append([f"{name}: index", med[name]["index_s"], "",
                         f"{wc_m['wall_s'] / med[name]['index_s']:.2f}x wc -l speed"])
    goals = {"index >= 0.9x wc -l": wc_m["wall_s"] / ours_m["index_s"]}
    if lnav:
        lnav_m = med["lnav"]
        rows.append(["lnav -n -q -c ':goto 100%'", lnav_m["wall_s"], lnav_m["rss_mib"],
                     f"studio {lnav_m['wall_s'] / ours_m['wall_s']:.1f}x faster, "
                     f"{ours_m['rss_mib'] / lnav_m['rss_mib']:.2f}x the memory"])
        goals["full load >= 10x faster than lnav"] = lnav_m["wall_s"] / ours_m["wall_s"]
        goals["peak memory <= 1/4 of lnav"] = ours_m["rss_mib"] / lnav_m["rss_mib"]
    print_table(["what", "seconds (median)", "peak RSS MiB", "note"], rows,
                title=f"1 GB log ({wc_m['lines']:,} lines), {args.repeats} rounds")
    out = write_results("logs_load", {
        "file": {"path": str(path), "bytes": path.stat().st_size, "lines": wc_m["lines"]},
        "repeats": args.repeats, "order": "interleaved per round: " + ", ".join(runs),
        "load_average_before": load_before, "load_average_after": load_average(),
        "medians": med, "runs": results, "goals": goals,
        "lnav": "not installed" if not lnav else "lnav 0.11 (Debian)",
        "klogg/glogg": "not measured: klogg is not packaged for Debian 12 and glogg has no "
                       "headless mode or load-finished signal to time",
    })
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
