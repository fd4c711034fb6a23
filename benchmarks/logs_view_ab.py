"""The Logs view against another checkout of the studio, interleaved in the same minutes.

    python benchmarks/logs_view_ab.py --baseline /path/to/other/checkout [--repeats 5]

Runs ``_logs_view_child.py`` of each checkout as fresh processes, alternating (this, baseline,
this, baseline …): time to first screen of the 1 GB log and follow latency. On a machine other
sessions load, the absolute figures move with the load; the ratio between two checkouts
measured in the same rounds is what says whether a change made the view slower. The baseline
needs its native module built (or copied: ``studio/_native*.so``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from pathlib import Path

from _common import percentile, print_table, write_results
from logs_common import PYTHON, child_env, load_average, log_file, timed_run
from startup import _baseline_environment

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", metavar="CHECKOUT", required=True)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    path = log_file()
    scratch = tempfile.mkdtemp(prefix="logs-ab-")
    envs = {"this": child_env(),
            "baseline": {**child_env(), **_baseline_environment(scratch, args.baseline)}}
    children = {"this": str(HERE / "_logs_view_child.py"),
                "baseline": os.path.join(args.baseline, "benchmarks", "_logs_view_child.py")}
    load_before = load_average()
    screens: dict[str, list[float]] = {name: [] for name in envs}
    follows: dict[str, list[dict]] = {name: [] for name in envs}
    for _ in range(max(5, args.repeats)):  # A B A B …, screen then follow in each round
        for name in envs:
            run = json.loads(timed_run([PYTHON, children[name], "first-screen", str(path)],
                                       env=envs[name])[2])
            screens[name].append(run["first_paint_s"])
        for name in envs:
            with tempfile.TemporaryDirectory() as directory:
                follows[name].append(json.loads(timed_run(
                    [PYTHON, children[name], "follow", directory], env=envs[name])[2]))
    summary = {}
    rows = []
    for name in envs:
        latencies = [v for run in follows[name] for v in run["latencies_s"]]
        summary[name] = {
            "first_paint_s_median": statistics.median(screens[name]),
            "first_paint_s": screens[name],
            "follow_p50_s": percentile(latencies, 0.5),
            "follow_p95_s": percentile(latencies, 0.95),
            "follow_per_run_p95_s": [percentile(r["latencies_s"], 0.95) for r in follows[name]],
            "cpu_following_quiet_file": statistics.median(
                r["cpu_following_quiet_file"] for r in follows[name]),
        }
        rows += [[f"{name}: first screen 1 GB", summary[name]["first_paint_s_median"] * 1000,
                  "ms"],
                 [f"{name}: follow p50", summary[name]["follow_p50_s"] * 1000, "ms"],
                 [f"{name}: follow p95", summary[name]["follow_p95_s"] * 1000, "ms"]]
    ratios = {key: summary["this"][key] / summary["baseline"][key]
              for key in ("first_paint_s_median", "follow_p50_s", "follow_p95_s")}
    print_table(["what", "value", "unit"], rows,
                title=f"{max(5, args.repeats)} interleaved rounds (this / baseline)")
    print("this / baseline:", {k: round(v, 2) for k, v in ratios.items()})
    out = write_results("logs_view_ab", {
        "baseline": args.baseline, "file": {"path": str(path), "bytes": path.stat().st_size},
        "rounds": max(5, args.repeats), "load_average_before": load_before,
        "load_average_after": load_average(), "results": summary,
        "this_over_baseline": ratios})
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
