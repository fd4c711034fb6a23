"""Child of logs_view.py (offscreen Qt): time to first screen, or follow latency and idle CPU.

``first-screen FILE``: from asking for the log to the end of the first paint of its lines.
``follow DIR``: a writer thread appends numbered lines to a followed log at random 5-40 ms
intervals; each line's latency runs from its write() to the end of the first paint that shows
it. Then the CPU used while following the quiet file, and while not following it.
"""

import json
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from studio.testing import BUILTIN_PLUGINS, make_studio

app = QApplication([])
home = Path(tempfile.mkdtemp(prefix="logs-bench-"))
studio = make_studio(home, builtins=BUILTIN_PLUGINS)

from studio.shell.app import StudioShell  # noqa: E402

shell = StudioShell(studio, restore_session=False, persist_layouts=False, interactive=False)
shell.start()  # a running studio: theme applied, icons and fonts ready

from studio.plugins.logs.api import logs_service  # noqa: E402
from studio.plugins.logs.widgets.log_tab import LogTab  # noqa: E402

service = logs_service(studio)


def spin_until(predicate, timeout: float = 30.0) -> None:
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError("the view did not get there in time")
        app.processEvents()


def warm_up() -> None:
    """What a running studio has already done: Qt's fonts, the icons, the widget classes."""
    sample = home / "warm-up.log"
    sample.write_text("2025-12-22 10:00:00,000 - w - INFO - warm\n")
    tab = LogTab(service, service.open_document(sample))
    tab.show()
    spin_until(lambda: tab.view._painted)
    tab.close_document()
    tab.deleteLater()


def first_screen(path: str) -> dict:
    warm_up()
    painted: list[float] = []
    start = time.perf_counter()
    doc = service.open_document(path)
    opened = time.perf_counter()
    tab = LogTab(service, doc)
    original = tab.view.painter_.paint

    def paint(painter, area) -> None:
        original(painter, area)
        painted.append(time.perf_counter())

    tab.view.painter_.paint = paint
    tab.resize(1200, 800)
    tab.show()
    spin_until(lambda: painted)
    lines = [row.rendered.text for row in tab.view.view_rows(0, tab.view.visible_rows())]
    result = {"open_s": opened - start, "first_paint_s": painted[0] - start,
              "lines_on_screen": len(lines), "indexed_fraction": doc.progress()}
    tab.close_document()
    return result


def follow(directory: str) -> dict:
    path = Path(directory) / "live.log"
    path.write_text("".join(f"2025-12-22 10:00:00,000 - w - INFO - seed {i}\n"
                            for i in range(1000)))
    tab = LogTab(service, service.open_document(path), follow=True)
    tab.resize(1200, 800)
    tab.show()
    spin_until(lambda: tab.doc.complete and tab.load_job is None)
    written: dict[int, float] = {}
    seen: dict[int, float] = {}
    original = tab.view.painter_.paint

    def paint(painter, area) -> None:
        original(painter, area)
        now = time.perf_counter()
        for row in tab.view.view_rows(tab.view.top, tab.view.visible_rows()):
            text = row.rendered.text
            if text.startswith("seq "):
                seen.setdefault(int(text.split()[1]), now)

    tab.view.painter_.paint = paint
    count = 300
    rng = random.Random(5)

    def writer() -> None:
        with open(path, "a", buffering=1) as handle:
            for seq in range(count):
                time.sleep(rng.uniform(0.005, 0.040))
                handle.write(f"seq {seq} appended\n")
                handle.flush()
                written[seq] = time.perf_counter()

    thread = threading.Thread(target=writer)
    thread.start()
    spin_until(lambda: len(seen) == count and not thread.is_alive(), timeout=120)
    latencies = sorted(seen[seq] - written[seq] for seq in range(count))

    def cpu_over(seconds: float) -> float:
        before = time.process_time()
        QTimer.singleShot(int(seconds * 1000), app.quit)
        app.exec()
        return (time.process_time() - before) / seconds

    following_cpu = cpu_over(5.0)
    tab.set_follow(False)
    tab._watch.cancel()  # nothing watched: the idle baseline
    idle_cpu = cpu_over(5.0)
    tab.close_document()
    return {"latencies_s": latencies, "cpu_following_quiet_file": following_cpu,
            "cpu_idle_baseline": idle_cpu}


mode, target = sys.argv[1], sys.argv[2]
result = first_screen(target) if mode == "first-screen" else follow(target)
shell.shutdown()
studio.shutdown()
sys.stdout.write(json.dumps(result) + "\n")
sys.stdout.flush()
os._exit(0)
