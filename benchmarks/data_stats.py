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
import resource
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
t, c = time.perf_counter(), time.process_time()
d = scan_dataset(sys.argv[1])
print(time.perf_counter() - t, time.process_time() - c, d.counts.splits.total())
"""
ANCHOR = """
import json, sys, time
from pathlib import Path
t, c = time.perf_counter(), time.process_time()
n = 0
for split in ("train", "val", "test", "rejected"):
    with open(Path(sys.argv[1]) / f"{split}.jsonl", "rb") as f:
        for line in f:
            json.loads(line)
            n += 1
print(time.perf_counter() - t, time.process_time() - c, n)
"""


def _child(code: str, folder: Path) -> tuple[float, float, int]:
    """(wall s, CPU s, records) measured inside a fresh child process."""
    done = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True,
                          text=True, check=True, env=child_environment())
    seconds, cpu, count = done.stdout.split()
    return float(seconds), float(cpu), int(count)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cli(folder: Path, home: str) -> tuple[float, float]:
    """(wall s, CPU s) of the whole command, start-up included."""
    start, cpu = time.perf_counter(), _children_cpu()
    subprocess.run([sys.executable, "-m", "studio", "data", "stats", str(folder), "--json"],
                   capture_output=True, check=True,
                   env=child_environment(HAFS_STUDIO_HOME=home))
    return time.perf_counter() - start, _children_cpu() - cpu


def _column(rows: list[tuple[float, float]], index: int) -> list[float]:
    return [row[index] for row in rows]


def _write(args: argparse.Namespace, size: int, load_at_start: list[float], counts: set[int],
           ours: list[tuple[float, float]], cli: list[tuple[float, float]],
           anchor: list[tuple[float, float]]) -> Path:
    return write_results("data_stats", {
        "samples": args.samples, "file_mb": size / 1e6, "repeats_requested": args.repeats,
        "repeats_completed": len(ours), "partial": len(ours) < args.repeats,
        "load_average_at_start": load_at_start,
        "load_average_at_end": list(os.getloadavg()),
        "note": "other helpers' builds and tests shared this 2-core machine during the run; "
                "CPU seconds (user+system of the process) are what the load inflates least",
        "order": "interleaved: ours, anchor, CLI per repeat; each a fresh process",
        "records_seen": sorted(counts), "goal_s": 5.0,
        "scan_wall_s": _column(ours, 0), "scan_cpu_s": _column(ours, 1),
        "cli_wall_s": _column(cli, 0), "cli_cpu_s": _column(cli, 1),
        "json_loads_wall_s": _column(anchor, 0), "json_loads_cpu_s": _column(anchor, 1),
        "median_scan_wall_s": median(_column(ours, 0)),
        "median_scan_cpu_s": median(_column(ours, 1)),
        "median_cli_wall_s": median(_column(cli, 0)),
        "median_cli_cpu_s": median(_column(cli, 1)),
        "median_json_loads_wall_s": median(_column(anchor, 0)),
        "median_json_loads_cpu_s": median(_column(anchor, 1)),
        "speedup_vs_json_loads_wall": median(_column(anchor, 0)) / median(_column(ours, 0)),
        "speedup_vs_json_loads_cpu": median(_column(anchor, 1)) / median(_column(ours, 1)),
    })


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
    load_at_start = list(os.getloadavg())
    ours, anchor, cli = [], [], []
    counts = set()
    for _ in range(args.repeats):
        seconds, cpu, count = _child(OURS, folder)
        ours.append((seconds, cpu))
        counts.add(count)
        seconds, cpu, count = _child(ANCHOR, folder)
        anchor.append((seconds, cpu))
        counts.add(count)
        cli.append(_cli(folder, home))
        # Written after every repeat: a run stopped early still leaves what it measured.
        path = _write(args, size, load_at_start, counts, ours, cli, anchor)
    table = [(name, median(_column(rows, 0)), median(_column(rows, 1)),
              min(_column(rows, 0)), max(_column(rows, 0)))
             for name, rows in (("studio scan_dataset (in process)", ours),
                                ("hafs-studio data stats --json (whole command)", cli),
                                ("json.loads loop (parse only)", anchor))]
    print_table(("implementation", "median_wall_s", "median_cpu_s", "min_wall_s",
                 "max_wall_s"), table,
                title=f"data stats, {args.samples:,} samples, {size / 1e6:,.0f} MB, "
                      f"{args.repeats} repeats")
    print(f"results: {path}")


if __name__ == "__main__":
    main()
