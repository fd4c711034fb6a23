"""Kernels 4 and 5 benchmark: downsampling and EMA of a 10M-point series vs NumPy.

Goals: NaN-safe min/max downsampling no slower than NumPy's reshape min/max (not NaN-safe) for
10M points -> 2,000 buckets (issue 3); LTTB, now parallel, within 2x the NaN-safe min/max time
at the same thread count (issue 15). NumPy's ``max`` over y (one read of the data) is the floor.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
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
    thread_env,
    threading_facts,
    time_calls,
)
from native_data import DATA_DIR, series

N, BUCKETS = 10_000_000, 2000
SCRIPT = str(Path(__file__).resolve())
MINMAX, LTTB, EMA = "min/max 10M -> 2000 buckets", "LTTB 10M -> 2000", "EMA (debiased) 10M"


def data() -> tuple[np.ndarray, np.ndarray]:
    path = DATA_DIR / "series-10m.npz"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        x, y = series(N)
        np.savez(path, x=x, y=y)
    with np.load(path) as f:
        return f["x"], f["y"]


def python_ema(y: np.ndarray, weight: float) -> list[float]:
    last, decay, out = 0.0, 1.0, []
    for v in y.tolist():
        if v != v:
            out.append(v)
            continue
        last = last * weight + (1 - weight) * v
        decay *= weight
        out.append(last / (1 - decay))
    return out


def child(name: str, threads: int) -> None:
    from studio import native

    x, y = data()
    shaped = np.nan_to_num(y, nan=0.0).reshape(BUCKETS, -1)  # NumPy's fast path needs no NaN
    shaped_nan = y.reshape(BUCKETS, -1)
    fns = {
        "numpy max": y.max,
        "numpy reshape": lambda: (shaped.min(axis=1), shaped.max(axis=1)),
        "numpy nanmin": lambda: (np.nanmin(shaped_nan, axis=1), np.nanmax(shaped_nan, axis=1)),
        "numpy nanargmin": lambda: (np.nanargmin(shaped_nan, axis=1),
                                    np.nanargmax(shaped_nan, axis=1)),
        "studio minmax": lambda: native.minmax_indices(y, BUCKETS, threads=threads),
        "studio lttb": lambda: native.lttb_indices(x, y, BUCKETS, threads=threads),
        "studio ema": lambda: native.ema_smooth(y, 0.9),
        "python ema": lambda: python_ema(y[:1_000_000], 0.9),
    }
    times = time_calls(fns[name], inner=1 if name == "python ema" else 5)
    if name == "python ema":
        times = [t * 10 for t in times]  # 1M measured, 10M reported
    child_report(times, threading=threading_facts() if name.startswith("numpy") else None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    load_before = load_average()
    from studio import native

    x, y = data()
    threads = sorted({1, min(2, native.get_threads())})
    checks = Checks()
    base = native.lttb_indices(x, y, BUCKETS, threads=1)
    for t in (2, 3, 7):
        checks.require(np.array_equal(base, native.lttb_indices(x, y, BUCKETS, threads=t)),
                       f"LTTB identical on 1 and {t} threads", "indices differ")
        checks.require(np.array_equal(native.minmax_indices(y, BUCKETS, threads=1),
                                      native.minmax_indices(y, BUCKETS, threads=t)),
                       f"min/max identical on 1 and {t} threads", "indices differ")
    one = thread_env(1)
    impls = [
        Impl(MINMAX, "NumPy max(y) (one read of y, floor)", child_argv(SCRIPT, "numpy max", 1), 1,
             env=one, anchor=True),
        Impl(MINMAX, "NumPy reshape min/max (not NaN-safe)", child_argv(SCRIPT, "numpy reshape", 1),
             1, env=one, anchor=True),
        Impl(MINMAX, "NumPy nanmin/nanmax (NaN-safe, values only)",
             child_argv(SCRIPT, "numpy nanmin", 1), 1, env=one, anchor=True),
        Impl(MINMAX, "NumPy nanargmin/nanargmax (NaN-safe, indices)",
             child_argv(SCRIPT, "numpy nanargmin", 1), 1, env=one, anchor=True),
    ]
    for t in threads:
        impls += [Impl(MINMAX, "studio minmax_indices (NaN-safe, indices)",
                       child_argv(SCRIPT, "studio minmax", t), t),
                  Impl(LTTB, "studio lttb_indices", child_argv(SCRIPT, "studio lttb", t), t)]
    impls += [Impl(EMA, "studio ema_smooth", child_argv(SCRIPT, "studio ema", 1), 1),
              Impl(EMA, "pure Python loop (1M measured, x10)", child_argv(SCRIPT, "python ema", 1),
                   1, anchor=True)]
    samples = interleaved(impls, args.repeats)
    ms = {(i.name, i.threads): median_seconds(samples[i.key]) * 1e3 for i in impls}
    cpu_ms = {(i.name, i.threads): (c * 1e3 if (c := median_cpu_seconds(samples[i.key]))
                                    is not None else None) for i in impls}
    rows = [{"case": i.case, "impl": i.name, "threads": i.threads, "ms": ms[i.name, i.threads],
             "cpu_ms": cpu_ms[i.name, i.threads],
             "runs": [round(s["seconds"] * 1e3, 2) for s in samples[i.key]]} for i in impls]

    floor = ms["NumPy max(y) (one read of y, floor)", 1]
    reshape = ms["NumPy reshape min/max (not NaN-safe)", 1]
    nanarg = ms["NumPy nanargmin/nanargmax (NaN-safe, indices)", 1]
    checks.require(nanarg > reshape,
                   "NumPy nanargmin/nanargmax slower than its reshape min/max (it does more)",
                   f"{nanarg:.1f} <= {reshape:.1f} ms")
    goals = []
    for t in threads:
        minmax = ms["studio minmax_indices (NaN-safe, indices)", t]
        lttb = ms["studio lttb_indices", t]
        checks.require(minmax >= 0.4 * floor / t, f"min/max ({t} thread(s)) not faster than its "
                       "share of one read of y", f"{minmax:.1f} < 0.4 x {floor:.1f} / {t} ms")
        checks.require(lttb >= 0.8 * floor / t, f"LTTB ({t} thread(s)) not faster than its share "
                       "of one read of y (it reads x and y)",
                       f"{lttb:.1f} < 0.8 x {floor:.1f} / {t}")
        goals.append(goal(f"NaN-safe min/max ({t} thread(s)) no slower than NumPy reshape min/max",
                          minmax / reshape, "x NumPy time", minmax <= reshape))
        goals.append(goal(f"LTTB ({t} thread(s)) <= 2x NaN-safe min/max ({t} thread(s))",
                          lttb / minmax, "x min/max time", lttb <= 2 * minmax))
    anchors = {"NumPy": {"version": np.__version__,
                         "threading": samples[impls[1].key][-1].get("threading")}}
    print(finish("native_series", rows=rows, goals=goals, checks=checks, repeats=args.repeats,
                 load_before=load_before, anchors=anchors,
                 notes=["10M float64 points with 0.1 % NaN and spikes; x = 0..n-1 (float64)",
                        "cpu_ms: median CPU time of one call, all threads (wall time on a loaded "
                        "machine includes waiting for a core)"],
                 columns=["case", "impl", "threads", "ms", "cpu_ms"]))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
    else:
        main()
