"""Append → chart latency of a live run as the GUI monitor sees it: local and over SSH.

A writer process appends one ``log`` line to a run's ``studio_metrics.jsonl`` every 20 ms; the
studio's monitor, set up as in the GUI, publishes ``training.runs``; a bus subscriber stands for
the chart. Latency = time the point reached the subscriber minus the time the line was written
(one machine, one clock). Only lines written after the run was discovered count.

* ``local-watched``: a local run followed through the studio's folder watcher (the run folder
  polled every 0.5 s, no timer of the monitor's own), as in the GUI since the watcher change.
* ``remote-ssh``: the same run on a host (a real OpenSSH server on 127.0.0.1 serving this disk),
  discovered with ``list_dir`` and mirrored with ``read_from`` every ``remote_sync_s`` (0.5 s).

The modes alternate (A B A B …), ``--repeats`` rounds each; p50/p95 per round and over all.

Usage: python benchmarks/training_live_latency.py [--repeats 5] [--points 150]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import REPO, median, percentile, write_results
from training_readers import WRITER, follow_latencies


def one_round(mode: str, points: int, folder: Path, ssh: dict | None) -> list[float]:
    from studio.core.events import EventBus
    from studio.core.filewatch import FileWatcher
    from studio.core.remote_manager import RemoteManager
    from studio.plugins.training.monitor import MonitorSettings, TrainingMonitor
    from studio.plugins.training.remote_runs import RemoteRoot

    context = folder / "context"
    bus = EventBus()
    watcher = FileWatcher(bus=bus)
    manager = None
    if mode == "remote-ssh":
        assert ssh is not None
        root = folder / "gpu-box"
        run_dir = root / "live"
        manager = RemoteManager(bus, sync_path=ssh["sync_path"],
                                nodes_path=folder / "nodes.toml")
        settings = MonitorSettings(remote_roots=(RemoteRoot(ssh["name"], str(root)),))
        remote = manager.host
    else:
        run_dir = context / "training" / "runs" / "live"
        settings, remote = MonitorSettings(), None
    run_dir.mkdir(parents=True)
    monitor = TrainingMonitor(context, bus, settings=settings, watcher=watcher,
                              environ={"HOME": str(folder)}, remote=remote,
                              mirror_root=folder / "mirror")
    latencies, done = follow_latencies(monitor, bus, points)
    monitor.start()
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(run_dir), str(points)],
                              cwd=REPO, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin"})
    done.wait(timeout=points * 0.02 + 90)
    monitor.stop()
    watcher.stop()
    writer.wait()
    if manager is not None:
        manager.shutdown()
    return latencies


def main() -> None:
    from studio.testing.sshd import configure_host, start_sshd

    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--points", type=int, default=150)
    args = parser.parse_args()
    rounds: dict[str, list[dict]] = {"local-watched": [], "remote-ssh": []}
    all_latencies: dict[str, list[float]] = {mode: [] for mode in rounds}
    with tempfile.TemporaryDirectory() as tmp:
        server = start_sshd(Path(tmp) / "sshd")
        try:
            host = configure_host(server, Path(tmp) / "host")
            ssh = {"name": host.name, "sync_path": host.sync_path}
            for number in range(args.repeats):
                for mode, mode_rounds in rounds.items():
                    folder = Path(tmp) / f"{mode}-{number}"
                    folder.mkdir()
                    got = one_round(mode, args.points, folder, ssh)
                    all_latencies[mode] += got
                    row = {"points": len(got), "p50_ms": percentile(got, 0.5) * 1e3,
                           "p95_ms": percentile(got, 0.95) * 1e3,
                           "max_ms": max(got) * 1e3 if got else None}
                    mode_rounds.append(row)
                    print(f"{mode:14} round {number + 1}: p50 {row['p50_ms']:.0f} ms, p95 "
                          f"{row['p95_ms']:.0f} ms ({len(got)} points)")
        finally:
            server.stop()
    summary = {}
    for mode, rows in rounds.items():
        got = all_latencies[mode]
        summary[mode] = {"points": len(got), "p50_ms": percentile(got, 0.5) * 1e3,
                         "p95_ms": percentile(got, 0.95) * 1e3,
                         "median_round_p50_ms": median([r["p50_ms"] for r in rows]),
                         "median_round_p95_ms": median([r["p95_ms"] for r in rows]),
                         "rounds": rows}
        print(f"{mode:14} all rounds: p50 {summary[mode]['p50_ms']:.0f} ms, p95 "
              f"{summary[mode]['p95_ms']:.0f} ms")
    write_results("training_live_latency", {
        "repeats": args.repeats, "points_per_round": args.points, "write_interval_ms": 20,
        "method": "modes alternate A B A B; one writer process per round; latency = "
                  "subscriber time - write time on one clock; points written after discovery",
        "settings": {"run_folder_watch_s": 0.5, "remote_sync_s": 0.5},
        **summary})


if __name__ == "__main__":
    main()
