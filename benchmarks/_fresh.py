"""Measurements that cannot fool us: fresh processes, interleaved, medians, sanity checks.

Every implementation, ours and each anchor, runs in a **new process for every repeat**, and the
repeats are interleaved (A B C A B C ...), so a slow minute of the shared machine hits all of
them alike and no implementation profits from a cache another one warmed. A measurement is the
median over the processes. Two kinds of process:

* ``Impl(..., whole_process=True)``: a tool (``wc -l``, ``grep -c``, a ``python -c`` one-liner),
  timed from spawn to exit by the parent;
* otherwise a *child*: the benchmark script itself run with ``--child NAME THREADS``; it loads the
  shared data files, makes one untimed warm-up call, times ``inner`` calls and prints one JSON
  line (``child_report``) with the median of those and what it knows about itself (versions,
  its BLAS and threading library as threadpoolctl sees them).

Before anything is written, the script checks relations that must hold on any machine (a BLAS
anchor is not slower than NumPy's own matmul, a tool that read()s a file is not faster than
``cat`` of it, ...): ``Checks.require`` collects violations and ``finish`` stops with a message
instead of writing a result. Results go to ``benchmarks/results/<name>.json`` in a format
``benchmarks/report.py`` renders into the docs.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# HAFS_BENCH_RESULTS: write elsewhere (a confirming second run beside the first, a trial run).
RESULTS_DIR = Path(os.environ.get("HAFS_BENCH_RESULTS")
                   or Path(__file__).resolve().parent / "results")
QUIET_LOAD = 2.5  # 1-minute load average below which figures are taken as quiet-machine ones


class BenchmarkError(RuntimeError):
    """A measured process failed: the benchmark stops, nothing is written."""


@dataclass(frozen=True)
class Impl:
    """One implementation to measure, in a fresh process per repeat."""

    case: str
    name: str
    argv: tuple[str, ...]
    threads: int | str = 1
    whole_process: bool = False
    env: dict[str, str] = field(default_factory=dict)
    anchor: bool = False
    discard_output: bool = False  # e.g. `cat FILE`: the bytes go to /dev/null, not to us

    @property
    def key(self) -> str:
        return f"{self.case} | {self.name} | {self.threads}"


def child_argv(script: str, name: str, threads: int | str, *extra: str) -> tuple[str, ...]:
    """The command that runs ``script`` as a measuring child for implementation ``name``."""
    return (sys.executable, script, "--child", name, str(threads), *extra)


def thread_env(threads: int | str) -> dict[str, str]:
    """Pins OpenMP and BLAS pools of a child to ``threads`` (set before they start)."""
    if threads == "all":
        return {}
    n = str(threads)
    return {"OMP_NUM_THREADS": n, "OPENBLAS_NUM_THREADS": n, "MKL_NUM_THREADS": n,
            "BLIS_NUM_THREADS": n}


def _children_cpu_seconds() -> float | None:
    """User + system CPU seconds of the waited-for children so far (None where unknown)."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(impl: Impl) -> dict[str, Any]:
    env = {**os.environ, **impl.env}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    start, cpu_start = time.perf_counter(), _children_cpu_seconds()
    stdout = subprocess.DEVNULL if impl.discard_output else subprocess.PIPE
    proc = subprocess.run(list(impl.argv), stdout=stdout, stderr=subprocess.PIPE, env=env,
                          check=False)
    elapsed = time.perf_counter() - start
    cpu_end = _children_cpu_seconds()
    cpu = cpu_end - cpu_start if cpu_end is not None and cpu_start is not None else None
    if proc.returncode != 0 and not (impl.whole_process and proc.returncode == 1):
        raise BenchmarkError(f"{impl.key}: exit status {proc.returncode}: "
                             f"{proc.stderr.decode(errors='replace')[-2000:]}")
    out = (proc.stdout or b"").decode(errors="replace")
    if impl.whole_process:
        return {"seconds": elapsed, "output": out.strip()[-200:],
                **({"cpu_seconds": cpu} if cpu is not None else {})}
    lines = out.strip().splitlines()
    if not lines:
        raise BenchmarkError(f"{impl.key}: the child printed no report")
    return json.loads(lines[-1])


def interleaved(impls: Sequence[Impl], repeats: int,
                progress: Callable[[str], None] = print) -> dict[str, list[dict[str, Any]]]:
    """Runs every implementation ``repeats`` times, A B C A B C ..., each in a fresh process."""
    samples: dict[str, list[dict[str, Any]]] = {impl.key: [] for impl in impls}
    for r in range(repeats):
        for impl in impls:
            sample = run_once(impl)
            samples[impl.key].append(sample)
            progress(f"  [{r + 1}/{repeats}] {impl.key}: {sample['seconds'] * 1e3:,.1f} ms")
    return samples


def median_seconds(samples: Sequence[dict[str, Any]]) -> float:
    return statistics.median(s["seconds"] for s in samples)


def median_cpu_seconds(samples: Sequence[dict[str, Any]]) -> float | None:
    """Median CPU seconds of the children's timed calls (None for whole-process tools)."""
    cpu = [s["cpu_seconds"] for s in samples if "cpu_seconds" in s]
    return statistics.median(cpu) if len(cpu) == len(samples) and cpu else None


# ---- inside a child ------------------------------------------------------------------------

# CPU seconds (all threads of the process) of the calls time_calls last timed: on a loaded
# machine a one-thread process's CPU time is not inflated by waiting for a core, its wall time is.
_last_cpu_seconds: list[float] = []


def time_calls(fn: Callable[[], object], inner: int = 3, warmup: int = 1) -> list[float]:
    for _ in range(warmup):
        fn()
    times, cpu = [], []
    for _ in range(inner):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    _last_cpu_seconds[:] = cpu
    return times


def threading_facts() -> list[dict[str, Any]]:
    """The thread pools loaded in this process (BLAS, OpenMP) as threadpoolctl sees them."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return [{"error": "threadpoolctl not installed (pip install -e .[bench])"}]
    keep = ("user_api", "internal_api", "version", "threading_layer", "num_threads",
            "architecture")
    return [{k: pool.get(k) for k in keep if k in pool} | {"library": Path(pool["filepath"]).name}
            for pool in threadpool_info()]


def child_report(times: Sequence[float], **facts: Any) -> None:
    cpu = {"cpu_seconds": statistics.median(_last_cpu_seconds)} if _last_cpu_seconds else {}
    print(json.dumps({"seconds": statistics.median(times), "inner": list(times), **cpu, **facts},
                     default=str))


# ---- checks and results --------------------------------------------------------------------

class Checks:
    """Relations a correct measurement cannot violate; violations stop the benchmark."""

    def __init__(self) -> None:
        self.violations: list[str] = []
        self.passed: list[str] = []

    def require(self, condition: bool, relation: str, detail: str) -> None:
        (self.passed if condition else self.violations).append(
            relation if condition else f"{relation}: {detail}")


def load_average() -> list[float] | None:
    return [round(v, 2) for v in os.getloadavg()] if hasattr(os, "getloadavg") else None


def tool_version(argv: Sequence[str]) -> str:
    try:
        out = subprocess.run(list(argv), capture_output=True, text=True, check=False, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unknown ({exc})"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else ""


def machine() -> dict[str, Any]:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import numpy as np

    from studio import native
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "native": native.native_info()}


def finish(name: str, *, rows: list[dict[str, Any]], goals: list[dict[str, Any]], checks: Checks,
           repeats: int, load_before: list[float] | None, anchors: dict[str, Any],
           notes: Sequence[str] = (), columns: Sequence[str] = ()) -> Path:
    """Stops with a message on any violated relation; otherwise writes results/<name>.json."""
    load_after = load_average()
    if checks.violations:
        print(f"\n{name}: stopped, nothing written. These figures contradict a known relation,"
              " so the measurement is wrong (another process, threads not pinned, cold cache):",
              file=sys.stderr)
        for v in checks.violations:
            print(f"  - {v}", file=sys.stderr)
        # The raw figures, for finding out what went wrong; never under results/.
        rejected = Path(tempfile.gettempdir()) / f"{name}.rejected.json"
        rejected.write_text(json.dumps({"violations": checks.violations, "rows": rows,
                                        "load": [load_before, load_after]}, indent=2,
                                       default=str))
        print(f"  (raw figures: {rejected})", file=sys.stderr)
        raise SystemExit(3)
    quiet = bool(load_before and load_before[0] < QUIET_LOAD and load_after
                 and load_after[0] < QUIET_LOAD)
    payload = {
        "benchmark": name,
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": machine(),
        "method": {"process": "fresh process per run, implementations interleaved",
                   "repeats": repeats, "statistic": "median over processes",
                   "load_average_before": load_before, "load_average_after": load_after,
                   "quiet_machine": quiet},
        "anchors": anchors,
        "checks_passed": checks.passed,
        "notes": list(notes),
        "columns": list(columns),
        "results": rows,
        "goals": goals,
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    tmp.replace(path)
    if not quiet:
        print(f"note: load average {load_before} -> {load_after}: not a quiet machine; "
              "re-run these figures when `uptime` shows < 2.5", file=sys.stderr)
    return path


def goal(text: str, measured: float, unit: str, met: bool) -> dict[str, Any]:
    return {"goal": text, "measured": round(measured, 3), "unit": unit, "met": bool(met)}
