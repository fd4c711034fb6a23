"""Kernels 4 and 5 benchmark: downsampling and EMA of a 10M-point series vs NumPy.

Goal (issue 3): NaN-safe min/max downsampling no slower than NumPy's reshape min/max (which is
not NaN-safe) for 10M points -> 2,000 buckets.
"""

from __future__ import annotations

import numpy as np
from native_data import best_time, machine_facts, series, write_result

from studio import native

N, BUCKETS = 10_000_000, 2000


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


def main() -> None:
    facts = machine_facts()
    x, y = series(N)
    y_clean = np.nan_to_num(y, nan=0.0)  # NumPy's fast path is only right without NaN
    rows: list[dict[str, object]] = []

    def add(case: str, impl: str, threads: int, seconds: float) -> None:
        rows.append({"case": case, "impl": impl, "threads": threads, "ms": seconds * 1e3})
        print(f"{case:<28} {impl:<44} t={threads} {seconds * 1e3:8.2f} ms")

    case = "min/max 10M -> 2000 buckets"
    shaped = y_clean.reshape(BUCKETS, -1)
    t_np = best_time(lambda: (shaped.min(axis=1), shaped.max(axis=1)), repeats=7)
    add(case, "NumPy reshape min/max (not NaN-safe)", 1, t_np)
    shaped_nan = y.reshape(BUCKETS, -1)
    t_nan = best_time(lambda: (np.nanmin(shaped_nan, axis=1), np.nanmax(shaped_nan, axis=1)),
                      repeats=3)
    add(case, "NumPy nanmin/nanmax (NaN-safe, values only)", 1, t_nan)
    t_arg = best_time(lambda: (np.nanargmin(shaped_nan, axis=1), np.nanargmax(shaped_nan, axis=1)),
                      repeats=3)
    add(case, "NumPy nanargmin/nanargmax (NaN-safe, indices)", 1, t_arg)
    best = float("inf")
    for threads in sorted({1, native.get_threads()}):
        t = best_time(lambda threads=threads: native.minmax_indices(y, BUCKETS, threads=threads),
                      repeats=7)
        add(case, "studio minmax_indices (NaN-safe, indices)", threads, t)
        best = min(best, t)

    t_lttb = best_time(lambda: native.lttb_indices(x, y, BUCKETS), repeats=3)
    add("LTTB 10M -> 2000", "studio lttb_indices", 1, t_lttb)

    t_ema = best_time(lambda: native.ema_smooth(y, 0.9), repeats=3)
    add("EMA (debiased) 10M", "studio ema_smooth", 1, t_ema)
    t_py = best_time(lambda: python_ema(y[:1_000_000], 0.9), repeats=1) * 10
    add("EMA (debiased) 10M", "pure Python loop (1M measured, x10)", 1, t_py)

    goals = [{"goal": "NaN-safe min/max no slower than NumPy reshape min/max",
              "measured": round(best / t_np, 2), "unit": "x NumPy time", "met": best <= t_np}]
    print(write_result("series", rows, goals, facts))


if __name__ == "__main__":
    main()
