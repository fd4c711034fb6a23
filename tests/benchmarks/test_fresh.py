"""benchmarks/_fresh.py: fresh processes, interleaving, and no result after a broken relation."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

_DIR = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", _DIR / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


fresh = _load("_fresh")


def _pid_printer(case: str, name: str) -> object:
    code = "import os, json; print(json.dumps({'seconds': 0.001, 'pid': os.getpid()}))"
    return fresh.Impl(case, name, (sys.executable, "-c", code))


def test_every_run_is_a_new_process_and_runs_interleave() -> None:
    order: list[str] = []
    impls = [_pid_printer("c", "A"), _pid_printer("c", "B")]
    samples = fresh.interleaved(impls, 3, progress=order.append)
    assert [line.split("] ")[1].split(" |")[1].strip() for line in order] == ["A", "B"] * 3
    pids = [s["pid"] for runs in samples.values() for s in runs]
    assert len(set(pids)) == 6  # six processes, none reused
    assert fresh.median_seconds(samples[impls[0].key]) == 0.001


def test_whole_process_tools_are_timed_by_the_parent(tmp_path: Path) -> None:
    data = tmp_path / "f.txt"
    data.write_text("a\nb\n")
    impl = fresh.Impl("c", "wc -l", ("wc", "-l", str(data)), whole_process=True)
    sample = fresh.run_once(impl)
    assert sample["seconds"] > 0 and sample["output"].split()[0] == "2"


def test_a_failing_process_stops_the_benchmark() -> None:
    impl = fresh.Impl("c", "boom", (sys.executable, "-c", "raise SystemExit(7)"))
    with pytest.raises(fresh.BenchmarkError, match="exit status 7"):
        fresh.run_once(impl)


def test_a_broken_relation_writes_no_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(fresh, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.setattr(fresh.tempfile, "gettempdir", lambda: str(tmp_path))
    checks = fresh.Checks()
    checks.require(True, "fine", "")
    checks.require(290 >= 1027, "faiss >= NumPy matmul", "290 < 1027 q/s")
    with pytest.raises(SystemExit) as stop:
        fresh.finish("native_demo", rows=[{"x": 1}], goals=[], checks=checks, repeats=5,
                     load_before=[0.1], anchors={})
    assert stop.value.code == 3
    assert not (tmp_path / "results").exists()
    assert "faiss >= NumPy matmul: 290 < 1027 q/s" in capsys.readouterr().err
    assert json.loads((tmp_path / "native_demo.rejected.json").read_text())["rows"] == [{"x": 1}]


def test_a_clean_run_writes_method_and_load(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fresh, "RESULTS_DIR", tmp_path)
    checks = fresh.Checks()
    checks.require(True, "relation", "")
    path = fresh.finish("native_demo", rows=[{"x": 1}], goals=[], checks=checks, repeats=5,
                        load_before=[99.0], anchors={"tool": {"version": "1"}})
    data = json.loads(path.read_text())
    assert data["method"]["repeats"] == 5 and data["method"]["quiet_machine"] is False
    assert data["checks_passed"] == ["relation"] and data["anchors"] == {"tool": {"version": "1"}}


def test_children_report_cpu_seconds_apart_from_waiting(capsys: pytest.CaptureFixture[str]) -> None:
    import time

    # A call that waits uses no CPU: its CPU seconds stay far below its wall seconds, which is
    # what makes CPU time the figure that a loaded machine does not inflate.
    times = fresh.time_calls(lambda: time.sleep(0.05), inner=3, warmup=0)
    fresh.child_report(times)
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["seconds"] >= 0.05
    assert report["cpu_seconds"] < report["seconds"] / 2
    samples = [{"seconds": 1.0, "cpu_seconds": c} for c in (0.3, 0.1, 0.2)]
    assert fresh.median_cpu_seconds(samples) == 0.2
    # No median made of some of the runs only.
    partial = [{"seconds": 1.0}, {"seconds": 1.0, "cpu_seconds": 0.5}]
    assert fresh.median_cpu_seconds(partial) is None


def test_whole_process_tools_get_their_cpu_seconds_from_the_kernel() -> None:
    busy = "import time\nend = time.process_time() + 0.2\nwhile time.process_time() < end: pass"
    idle = "import time; time.sleep(0.3)"
    busy_run, idle_run = (
        fresh.run_once(fresh.Impl("c", name, (sys.executable, "-c", code), whole_process=True))
        for name, code in (("busy", busy), ("idle", idle)))
    assert busy_run["cpu_seconds"] >= 0.2
    assert idle_run["cpu_seconds"] < busy_run["cpu_seconds"]
    assert idle_run["seconds"] >= 0.3
