"""Training chart: redraw a 1M-point loss curve while panning and zooming.

Three ways, each in its own fresh process (offscreen Qt, a 1200x600 plot), interleaved
A B C A B C …, ``--repeats`` times; per process, 20 view changes (pans and zooms across the
series), each followed by a full repaint (``grab()``):

* ``ours``: the Training chart's path: visible range → native per-pixel min/max
  (``chartdata.visible_indices``) → ``setData`` of ≤ 2 points per pixel column;
* ``setdata_all``: ``setData`` of all 1M points once, then pyqtgraph draws them all per frame
  (the anchor the issue names);
* ``pyqtgraph_peak``: all points with pyqtgraph's own ``setDownsampling(auto, 'peak')`` and
  ``setClipToView`` (NumPy in Python), for reference.

Reported: median ms per view change (update + repaint), and the first-draw time.

Usage: python benchmarks/training_chart.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import textwrap

from _common import REPO, median, write_results

CHILD = textwrap.dedent("""
    import sys, time
    import numpy as np
    from PySide6.QtWidgets import QApplication
    import pyqtgraph as pg
    from studio.plugins.training.chartdata import visible_indices
    mode = sys.argv[1]
    app = QApplication([])
    n = 1_000_000
    x = np.arange(n, dtype=np.float64)
    rng = np.random.default_rng(0)
    y = 3.0 * np.exp(-x / 2e5) + rng.normal(0, 0.05, n)
    plot = pg.PlotWidget()
    plot.resize(1200, 600)
    plot.show()
    app.processEvents()
    curve = plot.plot([], [])
    box = plot.getViewBox()
    views = []
    for i in range(20):
        width = n / (1 + (i % 8) * 3)
        start = (i * 37_000) % max(1, int(n - width))
        views.append((start, start + width))

    def ours(lo, hi):
        index = visible_indices(x, y, lo, hi, max(64, int(box.width())))
        curve.setData(x[index], y[index])

    t0 = time.perf_counter()
    if mode == "ours":
        box.setXRange(0, n, padding=0)
        ours(0, n)
    else:
        if mode == "pyqtgraph_peak":
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
        curve.setData(x, y)
    plot.grab()
    first = time.perf_counter() - t0
    box.disableAutoRange()
    times = []
    for lo, hi in views:
        t = time.perf_counter()
        box.setXRange(lo, hi, padding=0)
        if mode == "ours":
            ours(lo, hi)
        plot.grab()
        times.append(time.perf_counter() - t)
    times.sort()
    print(first, times[len(times) // 2], len(curve.xData) if curve.xData is not None else 0)
""")

MODES = ("ours", "setdata_all", "pyqtgraph_peak")


def child(mode: str) -> tuple[float, float, int]:
    env = dict(os.environ, PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", CHILD, mode], check=True, capture_output=True,
                         text=True, cwd=REPO, env=env, timeout=600)
    first, per_view, drawn = out.stdout.split()
    return float(first), float(per_view), int(drawn)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    results: dict[str, dict[str, list[float]]] = {m: {"first": [], "per_view": []} for m in MODES}
    drawn: dict[str, int] = {}
    for repeat in range(args.repeats):
        for mode in MODES:
            first, per_view, points = child(mode)
            results[mode]["first"].append(first * 1e3)
            results[mode]["per_view"].append(per_view * 1e3)
            drawn[mode] = points
            print(f"[{repeat}] {mode:<15} first {first * 1e3:8.1f} ms  per view change "
                  f"{per_view * 1e3:8.1f} ms  ({points:,} points handed to pyqtgraph)")
    summary = {mode: {"first_draw_ms": median(r["first"]), "per_view_ms": median(r["per_view"]),
                      "points_last_view": drawn[mode], "all_per_view_ms": r["per_view"]}
               for mode, r in results.items()}
    base = summary["setdata_all"]["per_view_ms"]
    for mode, row in summary.items():
        row["speedup_vs_setdata_all"] = base / row["per_view_ms"]
        print(f"{mode:<15} median per view change {row['per_view_ms']:8.1f} ms "
              f"({row['speedup_vs_setdata_all']:.1f}x vs setData of all points)")
    write_results("training_chart", {
        "repeats": args.repeats, "points": 1_000_000, "plot": "1200x600 offscreen",
        "method": "each mode in its own fresh process, interleaved; 20 pans/zooms per "
                  "process, each with a full repaint (grab); medians",
        "modes": summary})


if __name__ == "__main__":
    main()
