"""Telemetry: CPU cost of one minute of polling (NVML + psutil at 1 Hz) on this machine.

The poller's work per second is one ``TelemetryPoller.poll_once()`` (NVML utilization, memory
and power; temperature and clocks every 5 s; psutil CPU, memory and disk; history append; a
bus publish). Measured as CPU time (``time.process_time``) of 60 polls, in a fresh process,
``--repeats`` times, interleaved with the anchor: spawning one process per sample, which is
what hafs's ``GPUMonitor`` does (``nvidia-smi`` through ssh, here ``/bin/true``: the spawn alone,
a lower bound), 60 times. There is no NVIDIA GPU here: NVML fails once at start (a quiet
state), so the GPU part costs nothing; public figures for NVML calls are ~2.5 µs (utilization)
and ~12 µs (memory) per GPU.

Usage: python benchmarks/training_telemetry.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import textwrap

from _common import REPO, median, write_results

OURS = textwrap.dedent("""
    import time
    from studio.core.events import EventBus
    from studio.plugins.training.telemetry import TelemetryPoller
    bus = EventBus()
    bus.subscribe("training.telemetry", lambda e: None, thread="publisher")
    poller = TelemetryPoller(bus)
    poller.poll_once()  # warm-up: opens NVML, primes psutil
    c0, w0 = time.process_time(), time.perf_counter()
    for _ in range(60):
        sample = poller.poll_once()
    print(time.process_time() - c0, time.perf_counter() - w0, sample.gpu_state.replace(" ", "_"))
""")

ANCHOR = textwrap.dedent("""
    import resource, subprocess, time
    def cpu():
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
    subprocess.run(["/bin/true"])
    c0, w0 = cpu(), time.perf_counter()
    for _ in range(60):
        subprocess.run(["/bin/true"], check=True)
    print(cpu() - c0, time.perf_counter() - w0, "spawn")
""")


def child(code: str) -> tuple[float, float, str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True, cwd=REPO, env=env, timeout=300)
    cpu, wall, state = out.stdout.split()
    return float(cpu), float(wall), state


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    ours, anchor = [], []
    state = ""
    for repeat in range(args.repeats):
        cpu, wall, state = child(OURS)
        ours.append(cpu)
        print(f"[{repeat}] poller: 60 polls {cpu * 1e3:7.1f} ms CPU ({wall * 1e3:.1f} ms wall)")
        cpu, wall, _ = child(ANCHOR)
        anchor.append(cpu)
        print(f"[{repeat}] spawn per sample: 60 spawns {cpu * 1e3:7.1f} ms CPU "
              f"({wall * 1e3:.1f} ms wall)")
    row = {"gpu_state": state.replace("_", " "),
           "poller_cpu_ms_per_minute": median(ours) * 1e3,
           "poller_cpu_percent_of_one_core": median(ours) / 60 * 100,
           "spawn_per_sample_cpu_ms_per_minute": median(anchor) * 1e3,
           "all_poller_ms": [v * 1e3 for v in ours], "all_spawn_ms": [v * 1e3 for v in anchor]}
    print(f"poller {row['poller_cpu_ms_per_minute']:.1f} ms CPU per minute "
          f"({row['poller_cpu_percent_of_one_core']:.3f} % of a core); one spawn per sample "
          f"{row['spawn_per_sample_cpu_ms_per_minute']:.1f} ms")
    write_results("training_telemetry", {
        "repeats": args.repeats, "polls_per_minute": 60,
        "method": "CPU time of 60 back-to-back polls in a fresh process (after one warm-up "
                  "poll), interleaved with the anchor; medians", "result": row})


if __name__ == "__main__":
    main()
