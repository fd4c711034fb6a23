"""Kernel 2 benchmark: line search over a 1 GB log vs grep -c, rg -c and Python re, same run.

Goal (issue 3): >= 0.5x the throughput of `grep -c` for a literal, an alternation and a
case-insensitive alternation. grep and rg run as whole processes (as a user runs them); the
studio is timed in process (the call the log viewer makes). `cat` of the file is the floor
for a tool that read()s every byte. Python's re runs over the first 64 MiB (it is ~50x slower).
"""

from __future__ import annotations

import argparse
import mmap
import os
import re
import shutil
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
    median_seconds,
    time_calls,
    tool_version,
)
from native_data import log_file

SCRIPT = str(Path(__file__).resolve())
PY_RE_BYTES = 64 << 20
CASES = [
    # name, pattern, regex, ignore_case, grep flags
    ("literal ERROR", "ERROR", False, False, ["-F"]),
    ("ERROR|Traceback", "ERROR|Traceback", True, False, ["-E"]),
    ("(?i)cuda out of memory|nan loss", "cuda out of memory|nan loss", True, True, ["-E", "-i"]),
]


def child(name: str, threads: int, case: str) -> None:
    from studio import native

    _, pattern, regex, ignore_case, _ = next(c for c in CASES if c[0] == case)
    path = log_file()
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        if name == "studio":
            search = native.LineSearch(pattern, regex=regex, ignore_case=ignore_case)
            times = time_calls(lambda: search.matching_lines(mm, threads=threads))
            child_report(times, count=len(search.matching_lines(mm, threads=threads)),
                         strategy=search.strategy, bytes=len(mm))
            return
        end = mm.rfind(b"\n", 0, PY_RE_BYTES) + 1
        data = mm[:end]
    rx = re.compile((pattern if regex else re.escape(pattern)).encode(),
                    re.IGNORECASE if ignore_case else 0)

    def python_re() -> int:
        last, n = -1, 0
        for m in rx.finditer(data):
            line = data.rfind(b"\n", 0, m.start())
            if line != last:
                n, last = n + 1, line
        return n
    child_report(time_calls(python_re, inner=1), count=python_re(), bytes=len(data))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    load_before = load_average()
    from studio import native

    path = log_file()
    size = path.stat().st_size
    path.read_bytes()
    threads = sorted({1, min(2, native.get_threads())})
    rg = shutil.which("rg")
    env = {"LC_ALL": os.environ.get("LC_ALL", "C.UTF-8")}
    impls = [Impl("(any)", "cat > /dev/null (floor)", ("cat", str(path)), 1, whole_process=True,
                  anchor=True, discard_output=True)]
    for name, pattern, regex, ignore_case, grep_flags in CASES:
        impls.append(Impl(name, "grep -c", ("grep", "-c", *grep_flags, pattern, str(path)), 1,
                          whole_process=True, anchor=True, env=env))
        if rg:
            impls.append(Impl(name, "rg -c", (rg, "-c", *(["-i"] if ignore_case else []),
                                              *([] if regex else ["-F"]), pattern, str(path)),
                              "all", whole_process=True, anchor=True, env=env))
        impls += [Impl(name, "studio", child_argv(SCRIPT, "studio", t, name), t) for t in threads]
        impls.append(Impl(name, "Python re.finditer (first 64 MiB)",
                          child_argv(SCRIPT, "python", 1, name), 1, anchor=True))
    samples = interleaved(impls, args.repeats)

    checks = Checks()
    rows, goals = [], []
    cat = median_seconds(samples[impls[0].key])
    rows.append({"case": "(any)", "impl": "cat > /dev/null (floor)", "threads": 1,
                 "GB_per_s": size / 1e9 / cat, "seconds": cat})
    for name, *_ in CASES:
        case_impls = [i for i in impls if i.case == name]
        counts = {}
        grep_s, best = 0.0, 0.0
        for impl in case_impls:
            s = median_seconds(samples[impl.key])
            last = samples[impl.key][-1]
            nbytes = last.get("bytes", size)
            label = impl.name if impl.name != "studio" else f"studio ({last['strategy']})"
            if "count" in last:
                counts[label, impl.threads] = last["count"] if nbytes == size else None
            elif last.get("output"):
                counts[label, impl.threads] = int(last["output"].split()[-1].split(":")[-1])
            rows.append({"case": name, "impl": label, "threads": impl.threads,
                         "GB_per_s": nbytes / 1e9 / s, "seconds": s,
                         "runs": [round(x["seconds"], 4) for x in samples[impl.key]]})
            if impl.name == "grep -c":
                grep_s = s
                checks.require(s >= 0.8 * cat, f"{name}: grep -c is not faster than cat",
                               f"{s:.3f} s < 0.8 x {cat:.3f} s")
            if impl.name == "studio":
                best = max(best, size / s)
        full = {k: v for k, v in counts.items() if v is not None}
        checks.require(len(set(full.values())) == 1, f"{name}: grep, rg and studio count the same"
                       " lines", f"{full}")
        ratio = best / (size / grep_s)
        goals.append(goal(f"{name}: >= 0.5x grep -c", ratio, "x grep -c", ratio >= 0.5))
    anchors = {"grep": {"version": tool_version(["grep", "--version"]), "locale": env["LC_ALL"]},
               "cat": {"version": tool_version(["cat", "--version"])}}
    if rg:
        anchors["rg"] = {"version": tool_version([rg, "--version"])}
    print(finish("native_search", rows=rows, goals=goals, checks=checks, repeats=args.repeats,
                 load_before=load_before, anchors=anchors,
                 notes=["grep -c / rg -c / cat: whole process (spawn to exit); studio: in process"],
                 columns=["case", "impl", "threads", "GB_per_s", "seconds"]))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        main()
