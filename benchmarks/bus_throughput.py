"""Event bus → GUI thread: throughput, added latency and wake-ups, vs one queued signal per event.

A publisher thread sends ``Message`` events on ``metrics.run`` (a) paced at ~10 kHz and (b) as
fast as it can, for a few seconds each; (c) isolated events, one every 20 ms, show the latency
of a lone event. Delivery goes through the real :class:`studio.shell.dispatcher.QtDispatcher`
to a ``batch=True`` subscriber on the GUI thread (the coalesced path). The naive baseline in
the same run emits one queued Qt signal per event to a slot on the GUI thread.

Reported per case: events/s delivered on the GUI thread, added latency (publish → callback on
the GUI thread) p50/p95/p99, GUI wake-ups (dispatcher timer runs + queued-signal deliveries for
the bus; slot calls for the baseline), GUI-thread CPU per second, and how late a 10 ms UI timer
fires meanwhile (a stand-in for how responsive the window stays).

    python benchmarks/bus_throughput.py [--seconds 3]
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import median, percentile, print_table, write_results
from PySide6.QtCore import (
    QElapsedTimer,
    QEventLoop,
    QObject,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtWidgets import QApplication

from studio.core.events import EventBus, Message
from studio.shell.dispatcher import QtDispatcher

TOPIC = "metrics.run"
PACED_RATE_HZ = 10_000
ISOLATED_EVENTS = 150
ISOLATED_GAP_S = 0.02
UI_TICK_MS = 10


# -- publishers (run in a worker thread) -----------------------------------------------------
def publish_paced(send: Callable[[], None], seconds: float, rate: float) -> int:
    """Send at ``rate`` on average, in small bursts between short sleeps (as a log tailer does)."""
    start = time.perf_counter()
    sent = 0
    while (elapsed := time.perf_counter() - start) < seconds:
        due = int(elapsed * rate) - sent
        for _ in range(due):
            send()
        sent += max(0, due)
        time.sleep(0.0005)
    return sent


def publish_flat_out(send: Callable[[], None], seconds: float) -> int:
    deadline = time.perf_counter() + seconds
    sent = 0
    while time.perf_counter() < deadline:
        for _ in range(100):
            send()
        sent += 100
    return sent


def publish_isolated(send: Callable[[], None], count: int, gap: float) -> int:
    for _ in range(count):
        send()
        time.sleep(gap)
    return count


# -- receivers on the GUI thread -------------------------------------------------------------
class Recorder:
    """Latencies and counts seen on the GUI thread, plus GUI-thread CPU and UI timer lag."""

    def __init__(self) -> None:
        self.latencies_us: list[float] = []
        self.callbacks = 0
        self.first = self.last = 0.0

    def record(self, stamps: list[int]) -> None:
        now = time.perf_counter_ns()
        if not self.latencies_us:
            self.first = now / 1e9
        self.last = now / 1e9
        self.callbacks += 1
        self.latencies_us.extend((now - stamp) / 1000 for stamp in stamps)


class CountingDispatcher(QtDispatcher):
    """The real dispatcher, counting how often it wakes the GUI thread."""

    def __init__(self) -> None:
        super().__init__()
        self.arms = 0
        self.runs = 0

    @Slot()
    def _arm(self) -> None:
        self.arms += 1
        super()._arm()

    @Slot()
    def _run(self) -> None:
        self.runs += 1
        super()._run()


class NaiveBridge(QObject):
    """Baseline: one queued signal per event, no coalescing."""

    event = Signal(object)


class NaiveReceiver(QObject):
    def __init__(self, recorder: Recorder) -> None:
        super().__init__()
        self.recorder = recorder

    @Slot(object)
    def on_event(self, message: Message) -> None:
        self.recorder.record([message.payload])


# -- one case --------------------------------------------------------------------------------
def run_case(mode: str, pattern: str, seconds: float) -> dict:
    recorder = Recorder()
    if mode == "bus":
        dispatcher = CountingDispatcher()
        bus = EventBus(dispatcher)
        bus.subscribe(TOPIC, lambda batch: recorder.record([m.payload for m in batch]),
                      owner="bench", batch=True)

        def send() -> None:
            bus.publish(Message(name="sample", payload=time.perf_counter_ns()), topic=TOPIC)
    else:
        bridge = NaiveBridge()
        receiver = NaiveReceiver(recorder)
        bridge.event.connect(receiver.on_event, Qt.ConnectionType.QueuedConnection)

        def send() -> None:
            bridge.event.emit(Message(name="sample", payload=time.perf_counter_ns()))

    sent = [0]

    def publisher() -> None:
        if pattern == "isolated":
            sent[0] = publish_isolated(send, ISOLATED_EVENTS, ISOLATED_GAP_S)
        elif pattern == "10kHz":
            sent[0] = publish_paced(send, seconds, PACED_RATE_HZ)
        else:
            sent[0] = publish_flat_out(send, seconds)

    lags_ms: list[float] = []
    tick_clock = QElapsedTimer()
    tick = QTimer()
    tick.setInterval(UI_TICK_MS)
    tick.setTimerType(Qt.TimerType.PreciseTimer)

    def on_tick() -> None:
        lags_ms.append(max(0.0, tick_clock.nsecsElapsed() / 1e6 - UI_TICK_MS))
        tick_clock.restart()

    tick.timeout.connect(on_tick)
    thread = threading.Thread(target=publisher, daemon=True)
    cpu_start = time.thread_time()
    wall_start = time.perf_counter()
    tick_clock.start()
    tick.start()
    thread.start()
    # A real event loop (it sleeps when idle) until the publisher is done and every event has
    # arrived, or 30 s more; the 5 ms check is the same for both paths and not counted.
    loop = QEventLoop()
    give_up = wall_start + seconds + 30

    def check_done() -> None:
        finished = not thread.is_alive() and len(recorder.latencies_us) >= sent[0]
        if finished or time.perf_counter() > give_up:
            loop.quit()

    checker = QTimer()
    checker.setInterval(5)
    checker.timeout.connect(check_done)
    checker.start()
    loop.exec()
    checker.stop()
    tick.stop()
    gui_cpu = time.thread_time() - cpu_start
    wall = time.perf_counter() - wall_start
    delivered = len(recorder.latencies_us)
    span = max(recorder.last - recorder.first, 1e-9)
    wakeups = (dispatcher.arms + dispatcher.runs) if mode == "bus" else recorder.callbacks
    lat = recorder.latencies_us
    return {
        "mode": mode,
        "pattern": pattern,
        "published": sent[0],
        "delivered": delivered,
        "published_per_s": sent[0] / (seconds if pattern != "isolated" else span),
        "delivered_per_s": delivered / span,
        "latency_us_p50": percentile(lat, 0.50),
        "latency_us_p95": percentile(lat, 0.95),
        "latency_us_p99": percentile(lat, 0.99),
        "gui_callbacks": recorder.callbacks,
        "gui_wakeups": wakeups,
        "events_per_wakeup": delivered / max(1, wakeups),
        "gui_cpu_s_per_s": gui_cpu / wall,
        "ui_timer_lag_ms_p95": percentile(lags_ms, 0.95),
        "ui_timer_lag_ms_median": median(lags_ms),
    }


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="publishing time per case")
    options = parser.parse_args(argv)
    _app = QApplication.instance() or QApplication([sys.argv[0]])
    cases = []
    for pattern in ("isolated", "10kHz", "max"):
        for mode in ("bus", "naive"):
            cases.append(run_case(mode, pattern, options.seconds))
    rows = [
        [c["pattern"], "bus+coalescing" if c["mode"] == "bus" else "naive signal/event",
         c["published_per_s"], c["delivered_per_s"], c["latency_us_p50"] / 1000,
         c["latency_us_p95"] / 1000, c["gui_wakeups"], c["events_per_wakeup"],
         c["gui_cpu_s_per_s"] * 100, c["ui_timer_lag_ms_p95"]]
        for c in cases
    ]
    print_table(["load", "path", "published/s", "delivered/s", "p50 ms", "p95 ms", "wake-ups",
                 "events/wake", "GUI CPU %", "UI lag p95 ms"], rows,
                "Events delivered to the GUI thread (offscreen Qt, one publisher thread)")
    path = write_results("bus_throughput", {
        "seconds_per_case": options.seconds,
        "paced_rate_hz": PACED_RATE_HZ,
        "dispatcher_interval_ms": QtDispatcher()._interval * 1000,
        "cases": cases,
    })
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
