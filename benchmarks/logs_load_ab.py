"""The Logs load (index time) against another checkout, interleaved with ``wc -l``.

    python benchmarks/logs_load_ab.py --baseline /path/to/other/checkout [--repeats 7]

Each round runs ``wc -l`` and then each checkout's ``benchmarks/_logs_load_child.py`` on the 1 GB
log, every one a fresh process (A B C A B C …). On a machine other sessions load, the index time
moves with the load; the ratio of two checkouts to ``wc -l`` in the same rounds is what says
whether a change made the index faster. The baseline needs its native module built (or copied:
``studio/_native*.so``), as for ``logs_view_ab.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from pathlib import Path

from _common import print_table, write_results
from logs_common import PYTHON, child_env, load_average, log_file, timed_run
from startup import _baseline_environment

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", metavar="CHECKOUT", required=True)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    path = log_file()
    path.read_bytes()  # page cache warm for every process alike
    scratch = tempfile.mkdtemp(prefix="logs-load-ab-")
    envs = {"this": child_env(),
            "baseline": {**child_env(), **_baseline_environment(scratch, args.baseline)}}
    children = {"this": str(HERE / "_logs_load_child.py"),
                "baseline": os.path.join(args.baseline, "benchmarks", "_logs_load_child.py")}
    rounds = max(5, args.repeats)
    load_before = load_average()
    wc: list[float] = []
    index: dict[str, list[float]] = {name: [] for name in envs}
    wall: dict[str, list[float]] = {name: [] for name in envs}
    for _ in range(rounds):
        wc.append(timed_run(["wc", "-l", str(path)])[0])
        for name, env in envs.items():
            seconds, _rss, out = timed_run([PYTHON, children[name], str(path)], env=env)
            index[name].append(json.loads(out)["index_s"])
            wall[name].append(seconds)
    wc_median = statistics.median(wc)
    summary = {"wc -l": {"wall_s_median": wc_median, "wall_s": wc}}
    rows = [["wc -l (whole process)", wc_median, ""]]
    for name in envs:
        median = statistics.median(index[name])
        summary[name] = {"index_s_median": median, "index_s": index[name],
                         "whole_process_s_median": statistics.median(wall[name]),
                         "x_wc": wc_median / median}
        rows.append([f"{name}: index", median, f"{wc_median / median:.2f}x wc -l speed"])
    print_table(["what", "seconds (median)", "note"], rows,
                title=f"{rounds} interleaved rounds (wc -l, this, baseline)")
    out = write_results("logs_load_ab", {
        "baseline": args.baseline, "file": {"path": str(path), "bytes": path.stat().st_size},
        "rounds": rounds, "load_average_before": load_before,
        "load_average_after": load_average(), "results": summary,
        "this_over_baseline_index_time": summary["this"]["index_s_median"]
        / summary["baseline"]["index_s_median"]})
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
