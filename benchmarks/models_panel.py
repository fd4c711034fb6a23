"""Models list with 10,000 entries: GUI-thread cost of a registry reload, a filter, a sort.

The registry is read on a worker thread (``state.py``); what the GUI thread pays per reload is
the table model reset, and per keystroke the proxy's refilter. Goal: each well under one
frame budget of interaction (< 100 ms).

    python benchmarks/models_panel.py [--repeat 5] [--count 10000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import median, print_table, write_results
from benchmarks.models_registry import DATA, make_registry
from studio.plugins.models.registry import RegistryStore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args(argv)
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from studio.plugins.models.widgets.table_model import ModelsFilterProxy, ModelsTableModel

    app = QApplication.instance() or QApplication([])
    path = DATA / "registry.json"
    make_registry(path, args.count)
    models = tuple(RegistryStore(path).load().models.values())
    model, proxy = ModelsTableModel(), ModelsFilterProxy()
    proxy.setSourceModel(model)
    resets, filters, clears, sorts = [], [], [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        model.set_models(models)
        proxy.rowCount()
        resets.append(time.perf_counter() - start)
        start = time.perf_counter()
        proxy.set_filters(text="expert12", role="asm")
        hits = proxy.rowCount()
        filters.append(time.perf_counter() - start)
        start = time.perf_counter()
        proxy.set_filters(text="", role=None)
        proxy.rowCount()
        clears.append(time.perf_counter() - start)
        start = time.perf_counter()
        proxy.sort(3, Qt.SortOrder.DescendingOrder)  # final loss
        sorts.append(time.perf_counter() - start)
        proxy.sort(-1)
    rows = [["model reset (reload)", median(resets) * 1000],
            ["filter text + role", median(filters) * 1000],
            ["clear filters", median(clears) * 1000],
            ["sort by final loss", median(sorts) * 1000]]
    print_table(["GUI-thread operation", "ms"], rows, title=f"{args.count} models")
    result = write_results("models_panel", {
        "entries": args.count, "reset_ms": median(resets) * 1000,
        "filter_ms": median(filters) * 1000, "clear_ms": median(clears) * 1000,
        "sort_ms": median(sorts) * 1000, "filter_hits": hits, "goal_ms": 100})
    print(f"\nresults: {result}")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
