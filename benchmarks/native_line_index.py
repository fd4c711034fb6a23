"""Kernel 1 benchmark: newline index of a 1 GB log in page cache vs `wc -l` in the same run.

Goal (issue 3): >= 0.9x the throughput of `wc -l`.
"""

from __future__ import annotations

import mmap
import shutil
import subprocess

import numpy as np
from native_data import best_time, log_file, machine_facts, write_result

from studio import native


def numpy_index(mm: mmap.mmap) -> tuple[float, int]:
    """The NumPy answer; its view of the mmap is released on return (or close() would fail)."""
    arr = np.frombuffer(mm, dtype=np.uint8)
    return best_time(lambda: np.flatnonzero(arr == 10), repeats=3), int(np.count_nonzero(arr == 10))


def main() -> None:
    facts = machine_facts()
    path = log_file()
    size = path.stat().st_size
    gb = size / 1e9
    path.read_bytes()  # warm the page cache
    rows: list[dict[str, object]] = []

    def add(impl: str, threads: int | str, seconds: float, lines: int) -> None:
        rows.append({"case": "1 GB log", "impl": impl, "threads": threads, "seconds": seconds,
                     "GB_per_s": gb / seconds, "lines": lines})
        print(f"{impl:<34} threads={threads!s:<4} {gb / seconds:6.2f} GB/s  ({seconds:.3f} s)")

    wc = shutil.which("wc")
    wc_lines = int(subprocess.run([wc, "-l", str(path)], capture_output=True, text=True,
                                  check=True).stdout.split()[0])
    t_wc = best_time(lambda: subprocess.run([wc, "-l", str(path)], capture_output=True,
                                            check=True))
    add("wc -l", 1, t_wc, wc_lines)

    all_threads = native.get_threads()
    for threads in sorted({1, all_threads}):
        t = best_time(lambda threads=threads: native.newline_offsets_file(path, threads=threads))
        add("newline_offsets_file (pread)", threads, t, len(native.newline_offsets_file(path)))
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        for threads in sorted({1, all_threads}):
            t = best_time(lambda threads=threads: native.newline_offsets(mm, threads=threads))
            add("newline_offsets (mmap)", threads, t, len(native.newline_offsets(mm)))
        t_np, np_lines = numpy_index(mm)
        add("NumPy flatnonzero(arr == 10) (mmap)", 1, t_np, np_lines)

    best_native = max(r["GB_per_s"] for r in rows if str(r["impl"]).startswith("newline"))
    ratio = best_native / (gb / t_wc)
    goals = [{"goal": "line index >= 0.9x wc -l throughput", "measured": round(ratio, 2),
              "unit": "x wc -l", "met": ratio >= 0.9}]
    assert all(r["lines"] == wc_lines for r in rows), "line counts disagree with wc -l"
    print(f"best native / wc -l = {ratio:.2f}x")
    print(write_result("line_index", rows, goals, facts))


if __name__ == "__main__":
    main()
