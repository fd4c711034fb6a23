"""Logs: time to first screen (1 GB and 10 GB sparse logs) and follow latency (p50/p95).

Fresh offscreen Qt processes (``benchmarks/_logs_view_child.py``), alternating sizes. First
screen runs from asking for the log to the end of the first paint of its lines (the studio is
already running). Follow latency runs from a writer's ``write()`` to the end of the first paint
that shows the appended line; afterwards the CPU of following the then quiet file is compared
with the same process not following anything.

    python benchmarks/logs_view.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from _common import percentile, print_table, write_results
from logs_common import (
    PYTHON,
    child_env,
    interleave,
    load_average,
    log_file,
    sparse_file,
    timed_run,
)

CHILD = str(Path(__file__).with_name("_logs_view_child.py"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    files = {"1 GB": log_file(), "10 GB sparse": sparse_file()}
    env = child_env()
    load_before = load_average()

    def screen(path: Path):
        def run() -> dict:
            return json.loads(timed_run([PYTHON, CHILD, "first-screen", str(path)], env=env)[2])
        return run

    def follow() -> dict:
        with tempfile.TemporaryDirectory() as directory:
            return json.loads(timed_run([PYTHON, CHILD, "follow", directory], env=env)[2])

    screens = interleave({name: screen(path) for name, path in files.items()}, args.repeats)
    follows = interleave({"follow": follow}, max(3, args.repeats // 2))["follow"]
    rows = []
    summary: dict[str, dict] = {}
    for name, runs in screens.items():
        first = statistics.median(r["first_paint_s"] for r in runs)
        summary[name] = {"first_paint_s_median": first,
                         "first_paint_s_max": max(r["first_paint_s"] for r in runs),
                         "open_s_median": statistics.median(r["open_s"] for r in runs)}
        rows.append([f"first screen, {name}", first * 1000, "ms",
                     f"max {summary[name]['first_paint_s_max'] * 1000:.0f} ms"])
    latencies = [value for run in follows for value in run["latencies_s"]]
    p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
    per_run_p95 = [percentile(run["latencies_s"], 0.95) for run in follows]
    cpu = statistics.median(run["cpu_following_quiet_file"] for run in follows)
    idle = statistics.median(run["cpu_idle_baseline"] for run in follows)
    rows += [["follow latency p50", p50 * 1000, "ms", f"{len(latencies)} appended lines"],
             ["follow latency p95", p95 * 1000, "ms",
              "per run: " + ", ".join(f"{v * 1000:.0f}" for v in per_run_p95)],
             ["CPU following a quiet file", cpu * 100, "% of a core",
              f"idle baseline {idle * 100:.2f} %"]]
    print_table(["what", "value", "unit", "note"], rows,
                title=f"{args.repeats} first-screen rounds, {len(follows)} follow runs")
    out = write_results("logs_view", {
        "files": {name: {"path": str(p), "bytes": p.stat().st_size} for name, p in files.items()},
        "repeats": args.repeats, "load_average_before": load_before,
        "load_average_after": load_average(), "first_screen": summary,
        "first_screen_runs": screens,
        "follow": {"p50_s": p50, "p95_s": p95, "per_run_p95_s": per_run_p95,
                   "cpu_following_quiet_file": cpu, "cpu_idle_baseline": idle,
                   "runs": len(follows), "lines": len(latencies)},
        "goals": {"first screen < 200 ms": {k: v["first_paint_s_median"] for k, v in
                                            summary.items()},
                  "follow p95 <= 100 ms": p95},
    })
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
