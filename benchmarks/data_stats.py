"""``hafs-studio data stats`` over 1M samples vs a plain ``json.loads`` loop over the same files.

Issue 12's goal: stats of a 1M-sample dataset in < 5 s. Each measurement is a fresh process,
interleaved with the anchor (ours, anchor, ours, anchor, …), after one uncounted warm-up of
each (so both read from the page cache):

* ``studio scan`` — ``scan_dataset`` in a child, timed inside it (what the CLI's job does);
* ``hafs-studio data stats --json`` — the whole command, wall clock (start-up included);
* ``json.loads loop`` — ``for line in file: json.loads(line)`` over the same four files, timed
  inside the child; it only parses, it counts nothing.

    python benchmarks/data_stats.py [--repeats 5] [--samples 1000000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import child_environment, median, print_table, write_results
from _data_sets import stats_dataset

OURS = """
import sys, time
from studio.plugins.data.dataset import scan_dataset
t = time.perf_counter()
d = scan_dataset(sys.argv[1])
print(time.perf_counter() - t, d.counts.splits.total())
"""
ANCHOR = """
import json, sys, time
from pathlib import Path
t = time.perf_counter()
n = 0
for split in ("train", "val", "test", "rejected"):
    with open(Path(sys.argv[1]) / f"{split}.jsonl", "rb") as f:
        for line in f:
            json.loads(line)
            n += 1
print(time.perf_counter() - t, n)
"""


def _child(code: str, folder: Path) -> tuple[float, int]:
    done = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True,
                          text=True, check=True, env=child_environment())
    seconds, count = done.stdout.split()
    return float(seconds), int(count)


def _cli(folder: Path, home: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "studio", "data", "stats", str(folder), "--json"],
                   capture_output=True, check=True,
                   env=child_environment(HAFS_STUDIO_HOME=home))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--samples", type=int, default=1_000_000)
    args = parser.parse_args()
    folder = stats_dataset(args.samples)
    size = sum(f.stat().st_size for f in folder.glob("*.jsonl"))
    import tempfile

    home = tempfile.mkdtemp(prefix="hafs-bench-home-")
    _child(OURS, folder), _child(ANCHOR, folder), _cli(folder, home)  # warm-up
    ours, anchor, cli = [], [], []
    counts = set()
    for _ in range(args.repeats):
        seconds, count = _child(OURS, folder)
        ours.append(seconds)
        counts.add(count)
        seconds, count = _child(ANCHOR, folder)
        anchor.append(seconds)
        counts.add(count)
        cli.append(_cli(folder, home))
    rows = [("studio scan_dataset (in process)", median(ours), min(ours), max(ours)),
            ("hafs-studio data stats --json (whole command)", median(cli), min(cli), max(cli)),
            ("json.loads loop (parse only)", median(anchor), min(anchor), max(anchor))]
    print_table(("implementation", "median_s", "min_s", "max_s"), rows,
                title=f"data stats, {args.samples:,} samples, {size / 1e6:,.0f} MB, "
                      f"{args.repeats} repeats")
    path = write_results("data_stats", {
        "samples": args.samples, "file_mb": size / 1e6, "repeats": args.repeats,
        "load_average_at_end": list(os.getloadavg()),
        "note": "other helpers' builds and tests shared this 2-core machine during the run",
        "order": "interleaved: ours, anchor, CLI per repeat; each a fresh process",
        "records_seen": sorted(counts), "goal_s": 5.0,
        "scan_s": ours, "cli_s": cli, "json_loads_s": anchor,
        "median_scan_s": median(ours), "median_cli_s": median(cli),
        "median_json_loads_s": median(anchor),
        "speedup_vs_json_loads": median(anchor) / median(ours),
    })
    print(f"results: {path}")


if __name__ == "__main__":
    main()
