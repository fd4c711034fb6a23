"""GPU telemetry of a remote host: one long-lived ``nvidia-smi … -lms 1000`` over SSH.

The command runs through the shared remote service's ``stream`` (one SSH connection per host,
the command started again after a dropped connection). ``nvidia-smi`` prints one line per GPU
every interval; lines are grouped into one :class:`TelemetrySample` (``source`` =
``host:<name>``) per interval and published on ``training.telemetry`` like the local ones, with
the same GPU alerts. When the host cannot be reached at all the stream waits ``retry_s`` and
tries again; its state (``connecting``, ``streaming``, the error) is kept in :attr:`state`.
The same command works on Windows hosts (nvidia-smi is on their PATH with the driver).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from studio.api import RemoteError
from studio.plugins.training.alerts import AlertTracker
from studio.plugins.training.nvidia_smi import DEFAULT_FIELDS, GpuSample, NvidiaSmiParser
from studio.plugins.training.telemetry import TelemetryHistory, TelemetrySample

if TYPE_CHECKING:
    from studio.api import EventBus
    from studio.plugins.training.remote_runs import HostGetter

__all__ = ["RemoteGpuStream", "group_samples"]

log = logging.getLogger(__name__)


def group_samples(pending: list[GpuSample], sample: GpuSample) -> list[GpuSample] | None:
    """Add ``sample`` to the interval being collected; return the finished interval when
    ``sample`` starts a new one (its GPU index was seen already, or its timestamp moved)."""
    starts_new = bool(pending) and (
        any(gpu.index == sample.index for gpu in pending)
        or (sample.time is not None and pending[0].time is not None
            and abs(sample.time - pending[0].time) >= 0.5))
    finished = list(pending) if starts_new else None
    if starts_new:
        pending.clear()
    pending.append(sample)
    return finished


class RemoteGpuStream:
    """Streams one host's GPUs on a daemon thread until :meth:`stop`."""

    def __init__(self, host_name: str, remote: HostGetter, bus: EventBus | None, *,
                 executable: str = "nvidia-smi", fields: Sequence[str] = DEFAULT_FIELDS,
                 interval_ms: int = 1000, retry_s: float = 30.0,
                 history: TelemetryHistory | None = None) -> None:
        self.host_name = host_name
        self.remote = remote
        self.bus = bus
        self.fields = tuple(fields)
        self.argv = [executable, f"--query-gpu={','.join(self.fields)}",
                     "--format=csv,noheader,nounits", "-lms", str(int(interval_ms))]
        self.retry_s = retry_s
        self.history = history
        self.alerts = AlertTracker()
        self.state = "not started"
        self.latest: TelemetrySample | None = None
        self.samples = 0
        self._stop = threading.Event()
        self._stream = None
        self._thread: threading.Thread | None = None

    @property
    def source(self) -> str:
        return f"host:{self.host_name}"

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, daemon=True,
                                            name=f"gpu-telemetry-{self.host_name}")
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        stream = self._stream
        if stream is not None:
            stream.close()  # hangs the remote nvidia-smi up
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.state = "connecting"
                self._follow()
                if not self._stop.is_set():
                    self.state = f"{self.host_name}: nvidia-smi ended"
            except RemoteError as exc:
                self.state = f"{self.host_name}: {exc}"
            except Exception:  # keep the studio running; the traceback goes to the log
                log.exception("remote GPU telemetry of %s failed", self.host_name)
                self.state = f"{self.host_name}: telemetry failed (see the log)"
            self._stop.wait(self.retry_s)

    def _follow(self) -> None:
        host = self.remote(self.host_name)
        parser = NvidiaSmiParser(self.fields)
        pending: list[GpuSample] = []
        with host.stream(self.argv) as lines:
            self._stream = lines
            try:
                for line in lines:
                    if self._stop.is_set():
                        return
                    sample = parser.feed_line(line)
                    if sample is None:
                        continue
                    self.state = "streaming"
                    finished = group_samples(pending, sample)
                    if finished:
                        self._publish(finished)
            finally:
                self._stream = None
        if lines.exit_status not in (None, 0):
            raise RemoteError(f"{' '.join(self.argv[:1])} exited with status "
                              f"{lines.exit_status} on {self.host_name}")

    def _publish(self, gpus: list[GpuSample]) -> None:
        # Received now: the samples' own timestamps are the box's local time (another zone,
        # another clock), which the "last N minutes" charts must not depend on.
        sample = TelemetrySample(time=time.time(), gpus=tuple(gpus), gpu_state="ok",
                                 source=self.source)
        self.latest = sample
        self.samples += 1
        if self.history is not None:
            self.history.add(sample)
        if self.bus is not None:
            self.bus.publish(sample)
            for alert in self.alerts.check_gpus(
                    (f"{self.host_name} {g.label}", g.temperature_c, g.memory_percent)
                    for g in gpus):
                self.bus.publish(alert)
