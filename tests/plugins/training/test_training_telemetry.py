"""nvidia-smi output captured on real GPUs, NVML without a GPU, psutil, history, alerts."""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from studio.core.events import EventBus
from studio.plugins.training.alerts import AlertTracker, TrainingAlert
from studio.plugins.training.nvidia_smi import DEFAULT_FIELDS, NvidiaSmiParser, query_command
from studio.plugins.training.telemetry import NvmlReader, TelemetryHistory, TelemetryPoller

PLATO_FIELDS = ("timestamp", "utilization.gpu", "utilization.memory", "memory.used",
                "memory.free", "temperature.gpu", "power.draw")


def test_header_with_units_rtx4090(training_data):
    lines = (training_data / "nvidia_smi_rtx4090_header_units.csv").read_text().splitlines()
    samples = NvidiaSmiParser().feed(lines)
    assert len(samples) == len(lines) - 1
    first = samples[0]
    assert first.name == "NVIDIA GeForce RTX 4090" and first.index == 0
    assert (first.utilization, first.memory_used_mib, first.power_w) == (1.0, 1129.0, 33.09)
    assert first.memory_total_mib is None and first.temperature_c is None  # not queried
    assert first.time == datetime(2026, 1, 3, 15, 36, 53, 507000).timestamp()
    assert max(s.power_w for s in samples) == 315.24


def test_repeated_header_rtx2070(training_data):
    lines = (training_data / "nvidia_smi_repeated_header_rtx2070.csv").read_text().splitlines()
    parser = NvidiaSmiParser()
    samples = parser.feed(lines)
    assert len(samples) == 6 and parser.bad_lines == 0
    assert [s.utilization for s in samples] == [22, 24, 29, 28, 20, 37]
    assert samples[0].memory_total_mib == 8192 and samples[0].memory_percent == pytest.approx(
        100 * 841 / 8192)


def test_noheader_capture_uses_the_requested_fields_and_trips_the_memory_alert(training_data):
    lines = (training_data / "nvidia_smi_noheader_units.csv").read_text().splitlines()
    samples = NvidiaSmiParser(PLATO_FIELDS).feed(lines)
    assert len(samples) == len(lines)
    assert samples[0].memory_total_mib == 2 + 20146  # used + free when total is not asked
    full = [s for s in samples if s.memory_percent and s.memory_percent > 95]
    assert len(full) == 6 and full[0].temperature_c == 31
    tracker = AlertTracker()
    fired = []
    for sample in samples:
        fired += tracker.check_gpus([(sample.label, sample.temperature_c,
                                      sample.memory_percent)])
    # One alert when memory filled up: not one per sample while it stayed full.
    assert [a.key for a in fired] == ["gpu-memory:GPU 0"]
    assert "99.9 % used" in fired[0].message


def test_nounits_na_values_and_malformed_lines():
    parser = NvidiaSmiParser()
    sample = parser.feed_line("2026/04/25 16:06:06.780, 1, NVIDIA H100 80GB HBM3, 97, 78000, "
                              "81559, 86, [N/A], 1980")
    assert sample.index == 1 and sample.temperature_c == 86 and sample.power_w is None
    assert sample.clock_sm_mhz == 1980 and sample.memory_percent == pytest.approx(95.6, 0.01)
    assert parser.feed_line("garbage") is None and parser.bad_lines == 1
    assert parser.feed_line("") is None
    argv = query_command(DEFAULT_FIELDS, 1000)
    assert argv[-2:] == ["-lms", "1000"] and "--format=csv,noheader,nounits" in argv


def test_temperature_alert_is_edge_triggered():
    tracker = AlertTracker()
    assert tracker.check_gpus([("GPU 0", 80.0, 10.0)]) == []
    hot = tracker.check_gpus([("GPU 0", 86.0, 10.0)])
    assert [a.key for a in hot] == ["gpu-hot:GPU 0"] and hot[0].level == "warning"
    assert tracker.check_gpus([("GPU 0", 90.0, 10.0)]) == []
    assert tracker.check_gpus([("GPU 0", 70.0, 10.0)]) == []
    assert len(tracker.check_gpus([("GPU 0", 88.0, 10.0)])) == 1


def test_nvml_without_gpu_is_a_quiet_state():
    reader = NvmlReader()
    assert reader.open() is False
    assert reader.state.startswith("no NVIDIA GPU")
    assert reader.sample(time.time()) == [] and reader.processes(0) == []
    reader.close()


def test_poller_publishes_samples_and_keeps_history():
    bus = EventBus()
    seen = []
    bus.subscribe("training.*", seen.append, thread="publisher")
    poller = TelemetryPoller(bus)
    for _ in range(3):
        sample = poller.poll_once()
    assert sample.system is not None and 0 <= sample.system.memory_percent <= 100
    assert sample.gpu_state.startswith("no NVIDIA GPU") and sample.gpus == ()
    assert [type(e).__name__ for e in seen] == ["TelemetrySample"] * 3
    assert not any(isinstance(e, TrainingAlert) for e in seen)
    times, cpu = poller.history.window("cpu", 600)
    assert len(times) == 3 and len(cpu) == 3
    poller.stop()


def test_history_ring_keeps_the_window():
    from studio.plugins.training.telemetry import TelemetrySample

    history = TelemetryHistory(capacity=5)
    now = 1000.0
    for i in range(8):
        history.add(TelemetrySample(time=now + i, gpus=(), system=None))
    times, values = history.window("cpu", 100, now=now + 7)
    assert times.tolist() == [1003.0, 1004.0, 1005.0, 1006.0, 1007.0]
    assert len(values) == 5
