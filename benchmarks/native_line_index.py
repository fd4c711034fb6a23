"""Kernel 1 benchmark: newline index of a 1 GB log in page cache vs `wc -l`, same run.

Goal (issue 3): >= 0.9x the throughput of `wc -l`. Measured two ways (issue 15): in process
(the call the log viewer makes) and as a whole process (`python -c` importing the studio and
calling newline_offsets_file, start-up included) against `wc -l` as a whole process. `cat` of
the same file is the floor for any tool that read()s every byte.
"""

from __future__ import annotations

import argparse
import mmap
import sys
from pathlib import Path

from _fresh import (
    Checks,
    Impl,
    child_argv,
    child_report,
    finish,
    goal,
    interleaved,
    load_average,
    median_cpu_seconds,
    median_seconds,
    time_calls,
    tool_version,
)
from native_data import log_file

SCRIPT = str(Path(__file__).resolve())
CASE = "1 GB log"
WHOLE = ("import sys; from studio import native; "
         "print(len(native.newline_offsets_file(sys.argv[1], threads=int(sys.argv[2]))))")


def child(name: str, threads: int) -> None:
    import numpy as np

    from studio import native

    path = log_file()
    if name == "pread":
        times = time_calls(lambda: native.newline_offsets_file(path, threads=threads))
        lines = len(native.newline_offsets_file(path, threads=threads))
    else:
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            if name == "mmap":
                times = time_calls(lambda: native.newline_offsets(mm, threads=threads))
                lines = len(native.newline_offsets(mm, threads=threads))
            else:  # NumPy; its view must be gone before the mmap closes
                arr = np.frombuffer(mm, dtype=np.uint8)
                times = time_calls(lambda: np.flatnonzero(arr == 10))
                lines = int(np.count_nonzero(arr == 10))
                del arr
    child_report(times, lines=lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    load_before = load_average()
    from studio import native

    path = log_file()
    gb = path.stat().st_size / 1e9
    path.read_bytes()  # page cache warm for everyone
    threads = sorted({1, min(2, native.get_threads())})
    impls = [Impl(CASE, "cat > /dev/null (floor)", ("cat", str(path)), 1, whole_process=True,
                  anchor=True, discard_output=True),
             Impl(CASE, "wc -l (whole process)", ("wc", "-l", str(path)), 1, whole_process=True,
                  anchor=True)]
    for t in threads:
        impls += [
            Impl(CASE, "python -c newline_offsets_file (whole process)",
                 (sys.executable, "-c", WHOLE, str(path), str(t)), t, whole_process=True),
            Impl(CASE, "newline_offsets_file (pread, in process)",
                 child_argv(SCRIPT, "pread", t), t),
            Impl(CASE, "newline_offsets (mmap, in process)", child_argv(SCRIPT, "mmap", t), t),
        ]
    impls.append(Impl(CASE, "NumPy flatnonzero(arr == 10) (mmap, in process)",
                      child_argv(SCRIPT, "numpy", 1), 1, anchor=True))
    samples = interleaved(impls, args.repeats)

    checks = Checks()
    rows, secs = [], {}
    wc_lines = int(samples[impls[1].key][0]["output"].split()[0])
    for impl in impls:
        s = median_seconds(samples[impl.key])
        secs[impl.name, impl.threads] = s
        lines = [x.get("lines") if "lines" in x else (int(x["output"].split()[0]) if x["output"]
                                                       else None) for x in samples[impl.key]]
        if impl.name != "cat > /dev/null (floor)":
            checks.require(all(n == wc_lines for n in lines),
                           f"{impl.name} counts {wc_lines:,} lines like wc -l "
                           f"({impl.threads} thread(s))", f"got {set(lines)}")
        rows.append({"case": CASE, "impl": impl.name, "threads": impl.threads, "GB_per_s": gb / s,
                     "seconds": s, "cpu_seconds": median_cpu_seconds(samples[impl.key]),
                     "runs": [round(x["seconds"], 4) for x in samples[impl.key]]})
    cat, wc = secs["cat > /dev/null (floor)", 1], secs["wc -l (whole process)", 1]
    checks.require(wc >= 0.8 * cat, "wc -l (read()s every byte) is not faster than cat of the same"
                   " file", f"wc -l {wc:.3f} s < 0.8 x cat {cat:.3f} s")
    best_in = min(s for (name, _), s in secs.items()
                  if "in process" in name and "NumPy" not in name)
    best_whole = min(s for (name, _), s in secs.items() if name.startswith("python -c"))
    goals = [goal("line index >= 0.9x wc -l throughput (in process)", wc / best_in, "x wc -l",
                  wc / best_in >= 0.9),
             goal("line index >= 0.9x wc -l throughput (whole process, start-up included)",
                  wc / best_whole, "x wc -l", wc / best_whole >= 0.9)]
    anchors = {"wc -l": {"version": tool_version(["wc", "--version"])},
               "cat": {"version": tool_version(["cat", "--version"])}}
    notes = [f"{path.stat().st_size / 2**30:.2f} GiB, {wc_lines:,} lines, page cache warm; whole "
             "process = spawn to exit, measured by the parent; cpu_seconds: user + system CPU "
             "of the whole process (from the kernel) or of the timed call (in process)"]
    print(finish("native_line_index", rows=rows, goals=goals, checks=checks, repeats=args.repeats,
                 load_before=load_before, anchors=anchors, notes=notes,
                 columns=["case", "impl", "threads", "GB_per_s", "seconds", "cpu_seconds"]))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
    else:
        main()
