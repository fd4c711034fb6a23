"""Why ``startup.py`` watches the first paint on the window, not on the application.

The bare window of ``startup.py`` (a ``QMainWindow`` with a ``QLabel`` as its central widget) is
started in fresh processes, with the first-paint watcher installed either on the application
(every event of every object goes through the Python filter, as ``startup.py`` did before
issue 8d) or on the window only. For each start: milliseconds (wall and CPU) from ``show()`` to
the first ``Paint`` event of the window. Kinds alternate; medians.

    python benchmarks/startup_filter_probe.py [--repeats 9]

Measured on this machine (two runs): 102 and 112 ms with the application filter, 17 and 18 ms
with the window filter; the CPU time grows by the same amount, so it is work (PySide6 looking up
a Python type for the first event of a private object it has no wrapper for), not waiting.
"""

from __future__ import annotations

import json
import os
import sys
import time


def _child(where: str) -> None:
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    app = QApplication([sys.argv[0]])
    window = QMainWindow()
    window.setCentralWidget(QLabel("bare QMainWindow"))
    window.resize(1600, 1000)
    marks: dict[str, float] = {}

    class FirstPaint(QObject):
        def eventFilter(self, obj, event) -> bool:
            if obj is window and event.type() == QEvent.Type.Paint and "wall" not in marks:
                marks["wall"] = (time.perf_counter() - marks.pop("shown_wall")) * 1000
                marks["cpu"] = (time.process_time() - marks.pop("shown_cpu")) * 1000
                print(json.dumps(marks), flush=True)
                os._exit(0)
            return False

    watcher = FirstPaint()
    (app if where == "application" else window).installEventFilter(watcher)
    marks["shown_wall"], marks["shown_cpu"] = time.perf_counter(), time.process_time()
    window.show()
    app.exec()


def main(argv: list[str]) -> int:
    import argparse
    import subprocess

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=9)
    options = parser.parse_args(argv)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from _common import child_environment, median, print_table, write_results

    env = child_environment()
    runs: dict[str, list[dict[str, float]]] = {"application": [], "window": []}
    for index in range(options.repeats + 1):  # the first round warms the caches, not counted
        order = list(runs) if index % 2 == 0 else list(runs)[::-1]
        for where in order:
            done = subprocess.run([sys.executable, __file__, "--child", where], env=env,
                                  capture_output=True, text=True, timeout=60, check=True)
            if index:
                runs[where].append(json.loads(done.stdout.strip().splitlines()[-1]))
    summary = {where: {key: median([run[key] for run in items]) for key in ("wall", "cpu")}
               for where, items in runs.items()}
    print_table(["filter on", "show→first paint ms", "CPU ms in between"],
                [[where, m["wall"], m["cpu"]] for where, m in summary.items()],
                f"Bare QMainWindow + QLabel, median of {options.repeats} starts (offscreen)")
    print(f"\nwrote {write_results('startup_filter_probe', {'median': summary, 'runs': runs})}")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2])
    sys.exit(main(sys.argv[1:]))
