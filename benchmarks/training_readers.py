"""Training readers: a 100k-entry trainer_state.json, and append → chart latency of the stream.

1. Parse a 100k-entry ``trainer_state.json`` (HF layout, ~6 numeric keys per entry) into
   metric columns with our reader, against ``json.load`` of the same file (which only parses:
   no columns). Each in its own fresh process, interleaved A B A B …, ``--repeats`` times.
   Also: the incremental refresh when the next checkpoint adds 100 entries (our reader reads
   only the new bytes) against ``json.load`` of that new file.
2. Append → chart latency for the JSONL stream: a writer process appends one ``log`` line
   every 20 ms; a studio monitor (0.25 s refresh, the GUI's setting) plus a bus subscriber stand
   for the chart; latency = time the point reached the subscriber minus time the line was written
   (both on this machine's clock). p50/p95 over the lines written after the run was
   discovered (discovery of a new run is the 3 s rescan; watched runs refresh every 0.25 s).

Usage: python benchmarks/training_readers.py [--repeats 7] [--points 300]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

from _common import REPO, median, percentile, write_results

ENTRIES = 100_000

MAKE = textwrap.dedent("""
    import json, sys
    n = int(sys.argv[2])  # values do not depend on n: a longer file continues a shorter one
    entries = []
    for i in range(n):
        step = (i + 1) * 10
        if i % 10 == 9:
            entries.append({"epoch": step / 1e5, "eval_loss": 2.0 - i / 1e6, "eval_runtime": 1.5,
                            "eval_samples_per_second": 100.0, "eval_steps_per_second": 12.5,
                            "step": step})
        else:
            entries.append({"epoch": step / 1e5, "grad_norm": 1.0 + (i % 7) / 10,
                            "learning_rate": 5e-5 * (1 - i / 1e6), "loss": 3.0 - 2 * i / 1e6,
                            "step": step})
    state = {"best_global_step": None, "best_metric": 1.5, "best_model_checkpoint": "x",
             "epoch": n * 10 / 1e5, "eval_steps": 100, "global_step": n * 10,
             "is_hyper_param_search": False, "is_local_process_zero": True,
             "is_world_process_zero": True, "log_history": entries, "logging_steps": 10,
             "max_steps": n * 20, "num_input_tokens_seen": 0, "num_train_epochs": 3,
             "save_steps": 500, "stateful_callbacks": {}, "total_flos": 1e18,
             "train_batch_size": 8, "trial_name": None, "trial_params": None}
    open(sys.argv[1], "w").write(json.dumps(state, indent=2, sort_keys=True) + "\\n")
""")

OURS = textwrap.dedent("""
    import sys, time
    t0 = time.perf_counter()
    from studio.plugins.training.readers.trainer_state import TrainerStateReader
    t1 = time.perf_counter()
    reader = TrainerStateReader(sys.argv[1])
    result = reader.read()
    points = sum(len(b) for b in result.columns.values())
    t2 = time.perf_counter()
    incremental = None
    if len(sys.argv) > 2:
        reader.path = __import__("pathlib").Path(sys.argv[2])
        t3 = time.perf_counter()
        more = reader.read()
        incremental = time.perf_counter() - t3
        assert not more.reset and reader.full_parses == 1, "incremental path not taken"
        points_new = sum(len(b) for b in more.columns.values())
        print(f"{t2 - t1!r} {points} {incremental!r} {points_new} {more.bytes_read}")
    else:
        print(f"{t2 - t1!r} {points}")
""")

ANCHOR = textwrap.dedent("""
    import json, sys, time
    t0 = time.perf_counter()
    with open(sys.argv[1]) as handle:
        data = json.load(handle)
    print(f"{time.perf_counter() - t0!r} {len(data['log_history'])}")
""")


def run(code: str, *args: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True,
                         text=True, cwd=REPO, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin"})
    return out.stdout.split()


def bench_trainer_state(repeats: int, folder: Path) -> dict:
    big = folder / "trainer_state.json"
    bigger = folder / "next" / "trainer_state.json"
    bigger.parent.mkdir()
    run(MAKE, str(big), str(ENTRIES))
    run(MAKE, str(bigger), str(ENTRIES + 100))
    size = big.stat().st_size
    ours, anchor, ours_inc, anchor_inc = [], [], [], []
    points = new_points = bytes_read = 0
    for _ in range(repeats):
        fields = run(OURS, str(big), str(bigger))
        ours.append(float(fields[0]))
        points, new_points, bytes_read = int(fields[1]), int(fields[3]), int(fields[4])
        ours_inc.append(float(fields[2]))
        anchor.append(float(run(ANCHOR, str(big))[0]))
        anchor_inc.append(float(run(ANCHOR, str(bigger))[0]))
    row = {"entries": ENTRIES, "file_bytes": size, "points": points,
           "ours_full_ms": median(ours) * 1e3, "json_load_ms": median(anchor) * 1e3,
           "speedup_full": median(anchor) / median(ours),
           "incremental_new_entries": 100, "incremental_new_points": new_points,
           "incremental_bytes_read": bytes_read,
           "ours_incremental_ms": median(ours_inc) * 1e3,
           "json_load_next_file_ms": median(anchor_inc) * 1e3,
           "speedup_incremental": median(anchor_inc) / median(ours_inc),
           "ours_full_all_ms": [t * 1e3 for t in ours],
           "json_load_all_ms": [t * 1e3 for t in anchor]}
    print(f"trainer_state.json {ENTRIES:,} entries ({size / 2**20:.1f} MiB): ours "
          f"{row['ours_full_ms']:.0f} ms (→ {points:,} points) vs json.load "
          f"{row['json_load_ms']:.0f} ms ({row['speedup_full']:.2f}x)")
    print(f"next checkpoint (+100 entries): ours {row['ours_incremental_ms']:.2f} ms reading "
          f"{bytes_read:,} bytes vs json.load {row['json_load_next_file_ms']:.0f} ms "
          f"({row['speedup_incremental']:.0f}x)")
    return row


WRITER = textwrap.dedent("""
    import sys, time
    from studio.callbacks import MetricsWriter
    writer = MetricsWriter(sys.argv[1], max_steps=int(sys.argv[2]))
    writer.start()
    for step in range(1, int(sys.argv[2]) + 1):
        writer.log(step, {"loss": 1.0 / step, "sent": time.time()})
        time.sleep(0.02)
    writer.end()
""")


def follow_latencies(monitor, bus, points: int) -> tuple[list[float], threading.Event]:
    """Subscribe as the chart does: each point's write → delivery latency (the writer puts its
    write time in the ``sent`` metric); points written before the run was discovered (the
    rescan's job, not the refresh's) are not counted. ``done`` is set after ``points``."""
    latencies: list[float] = []
    seen = [0]
    discovered: list[float] = []
    done = threading.Event()

    def on_runs(event) -> None:  # the chart's subscriber: it reads the new points
        received = time.time()
        for run_id in event.changed:
            run = monitor.run(run_id)
            view = run.series("sent") if run else None
            if view is None:
                continue
            if not discovered:
                discovered.append(received)
            for sent in view.value[seen[0]:]:
                if sent > discovered[0]:
                    latencies.append(received - float(sent))
            seen[0] = len(view)
            if seen[0] >= points:
                done.set()

    bus.subscribe("training.runs", on_runs, thread="publisher")
    return latencies, done


def bench_stream_latency(points: int, folder: Path) -> dict:
    from studio.core.events import EventBus
    from studio.plugins.training.monitor import MonitorSettings, TrainingMonitor

    context = folder / "context"
    run_dir = context / "training" / "runs" / "live"
    run_dir.mkdir(parents=True)
    bus = EventBus()
    monitor = TrainingMonitor(context, bus, settings=MonitorSettings(),
                              environ={"HOME": str(folder)})
    latencies, done = follow_latencies(monitor, bus, points)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(run_dir), str(points)],
                              cwd=REPO, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin"})
    monitor.start()
    done.wait(timeout=points * 0.02 + 60)
    monitor.stop()
    writer.wait()
    row = {"points": len(latencies), "write_interval_ms": 20, "refresh_s": 0.25,
           "p50_ms": percentile(latencies, 0.5) * 1e3, "p95_ms": percentile(latencies, 0.95) * 1e3,
           "max_ms": max(latencies) * 1e3 if latencies else None}
    print(f"stream append → subscriber: p50 {row['p50_ms']:.0f} ms, p95 {row['p95_ms']:.0f} ms "
          f"({len(latencies)} points, 0.25 s refresh)")
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--points", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        state = bench_trainer_state(args.repeats, Path(tmp))
    with tempfile.TemporaryDirectory() as tmp:
        stream = bench_stream_latency(args.points, Path(tmp))
    write_results("training_readers", {
        "repeats": args.repeats, "method": "each side in its own fresh process, interleaved "
        "A B A B; medians; timings exclude interpreter start and imports",
        "trainer_state": state, "stream_latency": stream})
    json.dumps(state)


if __name__ == "__main__":
    main()
