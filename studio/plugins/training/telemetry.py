"""GPU and system telemetry of this machine: NVML (nvidia-ml-py) and psutil, and its history.

NVML calls cost microseconds (utilization ~2.5 µs, memory ~12 µs), far less than spawning
``nvidia-smi`` (10-20 ms). Utilization, memory and power are read every second; temperature
and clocks every 5 s (they change slowly); per-process memory only when asked. A machine
without an NVIDIA GPU or driver is a normal, quiet state: ``pynvml.NVMLError`` (the library
is missing, no device, a driver mismatch) is caught once and reported as ``gpu_state``.

:class:`TelemetryPoller` runs the polling on a daemon thread, keeps the last hour in a
:class:`TelemetryHistory` (1 Hz, NumPy ring buffers) and publishes each
:class:`TelemetrySample` on ``training.telemetry``; GPU alerts go to ``training.alerts``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from studio.api import Event, EventBus
from studio.plugins.training.alerts import AlertTracker
from studio.plugins.training.nvidia_smi import GpuSample

__all__ = ["NvmlReader", "SystemReader", "SystemSample", "TelemetryHistory",
           "TelemetryPoller", "TelemetrySample", "series_label", "sources_text"]

log = logging.getLogger(__name__)
NO_GPU = "no NVIDIA GPU"
SLOW_EVERY_S = 5.0
HISTORY_S = 3600


@dataclass(frozen=True, slots=True)
class SystemSample:
    cpu_percent: float
    memory_percent: float
    memory_used_gib: float
    memory_total_gib: float
    disk_free_gib: float | None


@dataclass(frozen=True, slots=True)
class TelemetrySample(Event):
    topic = "training.telemetry"
    time: float = 0.0
    gpus: tuple[GpuSample, ...] = ()
    system: SystemSample | None = None
    gpu_state: str = NO_GPU  # "ok", NO_GPU, or the NVML error
    source: str = "local"


class NvmlReader:
    """NVML behind a small API; every call is safe when there is no GPU."""

    def __init__(self) -> None:
        self.state = "not started"
        self._nvml: Any = None
        self._handles: list[Any] = []
        self._names: list[str] = []
        self._slow: dict[int, tuple[float | None, float | None]] = {}
        self._slow_at = 0.0

    def open(self) -> bool:
        try:
            import pynvml

            pynvml.nvmlInit()
            count = pynvml.nvmlDeviceGetCount()
            self._handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
            self._names = [_text(pynvml.nvmlDeviceGetName(h)) for h in self._handles]
        except ImportError:
            self.state = f"{NO_GPU} (nvidia-ml-py is not installed)"
            return False
        except Exception as exc:  # pynvml.NVMLError and its many subclasses
            self.state = NO_GPU if "LibraryNotFound" in type(exc).__name__ or \
                "Library Not Found" in str(exc) else f"{NO_GPU}: {exc}"
            return False
        self._nvml = pynvml
        self.state = "ok" if self._handles else NO_GPU
        return bool(self._handles)

    @property
    def available(self) -> bool:
        return self._nvml is not None and bool(self._handles)

    def sample(self, now: float) -> list[GpuSample]:
        """Utilization, memory, power now; temperature and clocks refreshed every 5 s."""
        if not self.available:
            return []
        nvml = self._nvml
        slow_due = now - self._slow_at >= SLOW_EVERY_S
        samples = []
        for index, handle in enumerate(self._handles):
            util = _safe(lambda h=handle: float(nvml.nvmlDeviceGetUtilizationRates(h).gpu))
            memory = _safe(lambda h=handle: nvml.nvmlDeviceGetMemoryInfo(h))
            power = _safe(lambda h=handle: nvml.nvmlDeviceGetPowerUsage(h) / 1000.0)
            if slow_due:
                self._slow[index] = (
                    _safe(lambda h=handle: float(nvml.nvmlDeviceGetTemperature(
                        h, nvml.NVML_TEMPERATURE_GPU))),
                    _safe(lambda h=handle: float(nvml.nvmlDeviceGetClockInfo(
                        h, nvml.NVML_CLOCK_SM))))
            temperature, clock = self._slow.get(index, (None, None))
            samples.append(GpuSample(
                index=index, name=self._names[index], time=now, utilization=util,
                memory_used_mib=memory.used / 2**20 if memory is not None else None,
                memory_total_mib=memory.total / 2**20 if memory is not None else None,
                temperature_c=temperature, power_w=power, clock_sm_mhz=clock))
        if slow_due:
            self._slow_at = now
        return samples

    def processes(self, index: int) -> list[tuple[int, float | None]]:
        """(pid, GPU memory MiB) of the compute processes on one GPU (on demand: ~ms)."""
        if not self.available or not 0 <= index < len(self._handles):
            return []
        nvml = self._nvml
        found = _safe(lambda: nvml.nvmlDeviceGetComputeRunningProcesses(self._handles[index]))
        return [(p.pid, p.usedGpuMemory / 2**20 if p.usedGpuMemory else None)
                for p in found or []]

    def close(self) -> None:
        if self._nvml is not None:
            _safe(self._nvml.nvmlShutdown)
            self._nvml = None


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _safe(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except Exception:  # NVMLError_NotSupported on consumer boards, a GPU that fell off the bus
        return None


class SystemReader:
    """CPU, memory and free disk (of ``$HOME``, as hafs's health check) via psutil."""

    def __init__(self, disk_path: Path | None = None) -> None:
        import psutil

        self._psutil = psutil
        self.disk_path = disk_path or Path.home()
        psutil.cpu_percent(None)  # the first call primes the counter

    def sample(self) -> SystemSample:
        psutil = self._psutil
        memory = psutil.virtual_memory()
        try:
            disk = psutil.disk_usage(str(self.disk_path)).free / 2**30
        except OSError:
            disk = None
        return SystemSample(cpu_percent=float(psutil.cpu_percent(None)),
                            memory_percent=float(memory.percent),
                            memory_used_gib=(memory.total - memory.available) / 2**30,
                            memory_total_gib=memory.total / 2**30, disk_free_gib=disk)


class TelemetryHistory:
    """The last hour per series (``cpu``, ``memory``, ``gpu0.util``, …) in ring buffers."""

    def __init__(self, capacity: int = HISTORY_S) -> None:
        self.capacity = capacity
        self._times = np.full(capacity, np.nan)
        self._series: dict[str, np.ndarray] = {}
        self._count = 0
        self._lock = threading.Lock()

    def add(self, sample: TelemetrySample) -> None:
        values: dict[str, float | None] = {}
        if sample.system is not None:
            values["cpu"] = sample.system.cpu_percent
            values["memory"] = sample.system.memory_percent
        for gpu in sample.gpus:
            prefix = f"{sample.source}.gpu{gpu.index}" if sample.source != "local" \
                else f"gpu{gpu.index}"
            values[f"{prefix}.util"] = gpu.utilization
            values[f"{prefix}.memory"] = gpu.memory_percent
            values[f"{prefix}.temperature"] = gpu.temperature_c
            values[f"{prefix}.power"] = gpu.power_w
        with self._lock:
            slot = self._count % self.capacity
            self._times[slot] = sample.time
            for key, value in values.items():
                series = self._series.get(key)
                if series is None:
                    series = self._series[key] = np.full(self.capacity, np.nan)
                series[slot] = np.nan if value is None else value
            for key, series in self._series.items():
                if key not in values:
                    series[slot] = np.nan
            self._count += 1

    def keys(self) -> list[str]:
        with self._lock:
            return sorted(self._series)

    def window(self, key: str, seconds: float, now: float | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """(times, values) of ``key`` over the last ``seconds``, oldest first."""
        with self._lock:
            count = min(self._count, self.capacity)
            start = self._count - count
            order = (np.arange(start, self._count) % self.capacity)
            times = self._times[order]
            series = self._series.get(key)
            values = series[order] if series is not None else np.full(count, np.nan)
        now = time.time() if now is None else now
        keep = times >= now - seconds
        return times[keep], values[keep]


class TelemetryPoller:
    """Polls NVML and psutil on a daemon thread and publishes samples (1 Hz)."""

    def __init__(self, bus: EventBus | None, *, interval_s: float = 1.0,
                 nvml: NvmlReader | None = None, system: SystemReader | None = None) -> None:
        self.bus = bus
        self.interval_s = interval_s
        self.nvml = nvml or NvmlReader()
        self.system = system
        self.history = TelemetryHistory()
        self.alerts = AlertTracker()
        self.latest: TelemetrySample | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.polls = 0

    def poll_once(self) -> TelemetrySample:
        if self.system is None:
            self.system = SystemReader()
            self.nvml.open()
        now = time.time()
        gpus = tuple(self.nvml.sample(now))
        sample = TelemetrySample(time=now, gpus=gpus, system=self.system.sample(),
                                 gpu_state="ok" if gpus else self.nvml.state)
        self.history.add(sample)
        self.latest = sample
        self.polls += 1
        if self.bus is not None:
            self.bus.publish(sample)
            for alert in self.alerts.check_gpus(
                    (g.label, g.temperature_c, g.memory_percent) for g in gpus):
                self.bus.publish(alert)
        return sample

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="training-telemetry",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        self.nvml.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.poll_once()
            except Exception:
                log.exception("telemetry poll failed")
            self._stop.wait(max(0.05, self.interval_s - (time.monotonic() - started)))


def series_label(key: str) -> str:
    """A chart legend for a history key: ``gpu0.util`` -> "GPU0",
    ``host:gpu-box.gpu1.util`` -> "gpu-box GPU1"."""
    parts = key.rsplit(".", 2)
    if len(parts) == 3 and parts[0].startswith("host:"):
        return f"{parts[0].removeprefix('host:')} {parts[1].upper()}"
    return parts[0].upper()


def sources_text(latest: dict[str, TelemetrySample]) -> str:
    """One line per source of the newest samples: this machine first, then each host."""
    lines = []
    for source in sorted(latest, key=lambda s: (s != "local", s)):
        sample = latest[source]
        where = "This machine" if source == "local" else source.removeprefix("host:")
        if sample.gpus:
            names = ", ".join(f"{g.index}: {g.name or 'GPU'}" for g in sample.gpus)
            lines.append(f"{where}: {len(sample.gpus)} NVIDIA GPU"
                         f"{'s' * (len(sample.gpus) > 1)} ({names})")
        else:
            lines.append(f"{where}: {sample.gpu_state}")
    return " · ".join(lines)


def with_source(sample: TelemetrySample, source: str) -> TelemetrySample:
    return replace(sample, source=source)
