"""Polling cost of folder watches: 50 folders of 1,000 files each (50,000 entries).

What the studio pays to notice new checkpoints and log files on mounts where inotify is silent.
Each case runs in a fresh process, interleaved (A B C A B C …), and measures the CPU time
(``time.process_time``: user + system) of one poll over all 50 folders, averaged over 20 polls:

* ``anchor scandir+stat``: the bare minimum any polling design pays to see modifications, a
  Python loop of ``os.scandir`` + ``DirEntry.stat()`` over every entry, no bookkeeping;
* ``watch_folder (modified tracked)``: :meth:`FileWatcher.poll` with the default
  ``track_modified=True``: one ``stat`` per folder (names), hot entries every poll and a slice
  of the others (each at least every 10 polls: 200 of 1,000 per folder per poll here);
* ``watch_folder (names only)``: ``track_modified=False``: one ``stat`` per folder unless a
  folder's mtime moved (plus a full listing every 5 s, amortised here at a 1 s interval).

The anchor is what a naive poller (stat every entry every poll) would pay.

From the per-poll CPU time it derives the share of one core at the intervals a feature would
use (0.25 s, 1 s, 2 s).

    python benchmarks/filewatch_folders.py [--repeats 5] [--folders 50] [--files 1000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import child_environment, median, print_table, write_results

CASES = ("anchor", "tracked", "names")
LABELS = {
    "anchor": "anchor scandir+stat",
    "tracked": "watch_folder (modified tracked)",
    "names": "watch_folder (names only)",
}
POLLS = 20
FULL_RESCAN_EVERY = 5  # names-only: one full listing per 5 polls at a 1 s interval


def make_tree(root: Path, folders: int, files: int) -> None:
    for f in range(folders):
        folder = root / f"run-{f:02d}"
        folder.mkdir(parents=True)
        for n in range(files):
            (folder / f"checkpoint-{n:04d}.log").write_bytes(b"x")


def child(case: str, root: Path) -> float:
    """CPU seconds of one poll over every folder (run in a fresh process): the median of
    POLLS for the anchor, the mean for ours (their periodic full listings count too)."""
    folders = sorted(root.iterdir())
    times = []
    if case == "anchor":
        for _ in range(POLLS):
            start = time.process_time()
            for folder in folders:
                with os.scandir(folder) as scan:
                    for entry in scan:
                        entry.stat()
            times.append(time.process_time() - start)
        return median(times)
    from studio.core import folderwatch
    from studio.core.filewatch import FileWatcher

    watcher = FileWatcher(interval=3600)  # polled by hand below, never by the thread
    for folder in folders:
        watcher.watch_folder(folder, lambda change: None, pattern="*.log",
                             track_modified=case == "tracked")
    for index in range(POLLS):
        if index % FULL_RESCAN_EVERY == 0:
            folderwatch.FULL_RESCAN_S = 0.0  # this poll lists everything, as every 5 s
        start = time.process_time()
        watcher.poll()
        times.append(time.process_time() - start)
        folderwatch.FULL_RESCAN_S = 3600.0
    watcher.stop()
    return sum(times) / len(times)  # the mean: the periodic full listing is part of the cost


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--folders", type=int, default=50)
    parser.add_argument("--files", type=int, default=1000)
    options = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="hafs-watch-bench-"))
    try:
        make_tree(root, options.folders, options.files)
        samples: dict[str, list[float]] = {case: [] for case in CASES}
        for _ in range(options.repeats + 1):  # the first round warms caches, uncounted
            for case in CASES:
                output = subprocess.run([sys.executable, __file__, "--child", case, str(root)],
                                        capture_output=True, text=True, check=True,
                                        env=child_environment()).stdout
                samples[case].append(float(output))
        rows = []
        results = {}
        for case in CASES:
            ms = median(samples[case][1:]) * 1000
            results[case] = {
                "label": LABELS[case],
                "cpu_ms_per_poll": round(ms, 2),
                "samples_ms": [round(s * 1000, 2) for s in samples[case][1:]],
                "core_share_at": {f"{i}s": round(ms / 1000 / i, 4) for i in (0.25, 1, 2)},
            }
            rows.append([LABELS[case], ms, 100 * ms / 250, 100 * ms / 1000, 100 * ms / 2000])
        print_table(["case", "CPU ms/poll", "% core @0.25s", "% core @1s", "% core @2s"], rows,
                    f"{options.folders} folders x {options.files} files, median of "
                    f"{options.repeats} fresh processes x {POLLS} polls")
        write_results("filewatch_folders", {
            "folders": options.folders, "files_per_folder": options.files,
            "repeats": options.repeats, "polls_per_repeat": POLLS,
            "note": "CPU time (user+system) of one poll over all folders, the mean over 20 "
                    "polls of which every 5th makes a full listing (every 5 s at a 1 s "
                    "interval); median over fresh processes",
            "cases": results,
        })
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(child(sys.argv[2], Path(sys.argv[3])))
        sys.exit(0)
    sys.exit(main(sys.argv[1:]))
