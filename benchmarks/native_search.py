"""Kernel 2 benchmark: line search over a 1 GB log vs grep -c, rg -c and Python re, same run.

Goal (issue 3): >= 0.5x the throughput of `grep -c` for a literal, an alternation and a
case-insensitive alternation.
"""

from __future__ import annotations

import mmap
import os
import re
import shutil
import subprocess

from native_data import best_time, log_file, machine_facts, write_result

from studio import native

CASES = [
    # name, pattern, regex, ignore_case, grep flags
    ("literal ERROR", "ERROR", False, False, ["-F"]),
    ("ERROR|Traceback", "ERROR|Traceback", True, False, ["-E"]),
    ("(?i)cuda out of memory|nan loss", "cuda out of memory|nan loss", True, True, ["-E", "-i"]),
]


def run_count(cmd: list[str]) -> int:
    """Runs grep/rg -c and returns the count (exit status 1 just means no match)."""
    out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    return int(out or 0)


def main() -> None:
    facts = machine_facts()
    facts["locale"] = os.environ.get("LC_ALL") or os.environ.get("LANG") or "C (unset)"
    path = log_file()
    gb = path.stat().st_size / 1e9
    path.read_bytes()
    rows: list[dict[str, object]] = []
    goals: list[dict[str, object]] = []
    all_threads = native.get_threads()
    rg = shutil.which("rg")

    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        for name, pattern, regex, ignore_case, grep_flags in CASES:
            def add(impl: str, threads: int, seconds: float, count: int, name: str = name) -> None:
                rows.append({"case": name, "impl": impl, "threads": threads, "seconds": seconds,
                             "GB_per_s": gb / seconds, "matching_lines": count})
                print(f"{name:<34} {impl:<22} t={threads} {gb / seconds:6.2f} GB/s  n={count}")

            grep_cmd = ["grep", "-c", *grep_flags, pattern, str(path)]
            grep_count = run_count(grep_cmd)
            t_grep = best_time(lambda cmd=grep_cmd: run_count(cmd), repeats=3)
            add("grep -c", 1, t_grep, grep_count)
            if rg:
                rg_cmd = [rg, "-c", *(["-i"] if ignore_case else []),
                          *(["-F"] if not regex else []), pattern, str(path)]
                rg_count = run_count(rg_cmd)
                t_rg = best_time(lambda cmd=rg_cmd: run_count(cmd), repeats=3)
                add("rg -c", 0, t_rg, rg_count)

            search = native.LineSearch(pattern, regex=regex, ignore_case=ignore_case)
            best = 0.0
            for threads in sorted({1, all_threads}):
                count = len(search.matching_lines(mm, threads=threads))
                assert count == grep_count, (name, count, grep_count)
                t = best_time(lambda s=search, t=threads: s.matching_lines(mm, threads=t))
                add(f"studio ({search.strategy})", threads, t, count)
                best = max(best, gb / t)

            # Python's re over the mmap, counting distinct matching lines (one run: slow).
            rx = re.compile((pattern if regex else re.escape(pattern)).encode(),
                            re.IGNORECASE if ignore_case else 0)

            def python_re(rx: re.Pattern[bytes] = rx) -> int:
                last, n = -1, 0
                for m in rx.finditer(mm):
                    line = mm.rfind(b"\n", 0, m.start())
                    if line != last:
                        n, last = n + 1, line
                return n

            t_py = best_time(python_re, repeats=1)
            add("Python re.finditer", 1, t_py, python_re())
            ratio = best / (gb / t_grep)
            goals.append({"goal": f"{name}: >= 0.5x grep -c", "measured": round(ratio, 2),
                          "unit": "x grep -c", "met": ratio >= 0.5})
    print(write_result("search", rows, goals, facts))


if __name__ == "__main__":
    main()
