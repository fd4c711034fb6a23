"""The Training plugin's per-studio service: the monitor, telemetry, selection, demo runs.

Created in ``studio_startup`` and published as ``studio.services.get("training")`` (no
module-level state: two studios in one process share nothing). Creating it is cheap and
starts no thread; the GUI calls :meth:`TrainingService.start_live` when the first Training
view or card appears, the CLI calls :meth:`TrainingMonitor.refresh_now` itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.api import Event, SettingChanged

if TYPE_CHECKING:
    from studio.api import ManagedProcess, Studio
    from studio.plugins.training.monitor import TrainingMonitor
    from studio.plugins.training.readers import MetricReaderRegistry
    from studio.plugins.training.remote_stop import RemoteRunProcess
    from studio.plugins.training.remote_telemetry import RemoteGpuStream
    from studio.plugins.training.runs import TrainingRun
    from studio.plugins.training.stop import RunProcess
    from studio.plugins.training.telemetry import TelemetryPoller

__all__ = ["SERVICE", "SETTINGS_SECTION", "RunsSelected", "TrainingService", "training_service"]

SERVICE = "training"  # the name in studio.services
SETTINGS_SECTION = "training"


def training_service(studio: Studio) -> TrainingService:
    """The studio's training service (KeyError naming the plugin when it is not active)."""
    return studio.services.get(SERVICE)


@dataclass(frozen=True, slots=True)
class RunsSelected(Event):
    """The runs selected in the runs list (charts overlay them)."""

    topic = "training.selection"
    run_ids: tuple[str, ...] = ()


class TrainingService:
    """Cheap to create (the studio's start-up pays nothing): the monitor, its readers and the
    telemetry poller (NumPy, psutil, NVML) are made on first use."""

    def __init__(self, studio: Studio, registry: MetricReaderRegistry | None = None) -> None:
        self.studio = studio
        self._registry = registry
        self._monitor: TrainingMonitor | None = None
        self._telemetry: TelemetryPoller | None = None
        self.gpu_streams: dict[str, RemoteGpuStream] = {}  # host -> its nvidia-smi stream
        self.selected: tuple[str, ...] = ()
        self.live = False
        self.notifier_installed = False
        self.stop_subscribed = False
        self._lock = threading.Lock()
        self._subscription = studio.bus.subscribe(SettingChanged.topic, self._on_setting,
                                                  thread="publisher", owner="training")

    @property
    def registry(self) -> MetricReaderRegistry:
        if self._registry is None:
            from studio.plugins.training.readers import builtin_registry

            self._registry = builtin_registry()
        return self._registry

    @property
    def monitor(self) -> TrainingMonitor:
        with self._lock:
            if self._monitor is None:
                from studio.plugins.training.monitor import TrainingMonitor, settings_from

                self._monitor = TrainingMonitor(
                    self.studio.context.path, self.studio.bus,
                    settings=settings_from(self._settings()), registry=self.registry,
                    remote=self.studio.services.remote.host,
                    mirror_root=self.studio.paths.cache / "training-remote",
                    watcher=self.studio.watcher)
            return self._monitor

    @property
    def telemetry(self) -> TelemetryPoller:
        with self._lock:
            if self._telemetry is None:
                from studio.plugins.training.telemetry import TelemetryPoller

                self._telemetry = TelemetryPoller(self.studio.bus)
            return self._telemetry

    def _settings(self) -> dict[str, Any]:
        try:
            return dict(self.studio.settings.values(SETTINGS_SECTION))
        except (KeyError, AttributeError):
            return {}

    def _on_setting(self, event: SettingChanged) -> None:
        if event.section == SETTINGS_SECTION and self._monitor is not None:
            from studio.plugins.training.monitor import settings_from

            self._monitor.configure(settings_from(self._settings()))
            if self.live:
                self._follow_remote_gpus()

    def start_live(self) -> None:
        """Start the monitor and telemetry threads (idempotent; GUI only)."""
        with self._lock:
            if self.live:
                return
            self.live = True
        self.monitor.start()
        if self._settings().get("telemetry", True):
            self.telemetry.start()
        self._follow_remote_gpus()

    def _follow_remote_gpus(self) -> None:
        """One nvidia-smi stream per host of the "Remote runs" setting (telemetry on)."""
        from studio.plugins.training.remote_telemetry import RemoteGpuStream

        hosts = set()
        if self._settings().get("telemetry", True):
            hosts = {root.host for root in self.monitor.settings.remote_roots}
        history = self.telemetry.history if hosts else None  # (takes the lock itself)
        with self._lock:
            gone = [self.gpu_streams.pop(h) for h in list(self.gpu_streams) if h not in hosts]
            for host in sorted(hosts - set(self.gpu_streams)):
                stream = self.gpu_streams[host] = RemoteGpuStream(
                    host, self.studio.services.remote.host, self.studio.bus,
                    history=history)
                stream.start()
        for stream in gone:
            stream.stop()

    def select(self, run_ids: tuple[str, ...]) -> None:
        if run_ids != self.selected:
            self.selected = run_ids
            self.studio.bus.publish(RunsSelected(run_ids))

    def start_demo_run(self, steps: int = 600, step_delay: float = 0.1) -> Path:
        """Start the demo trainer as its own process (watchable and stoppable like any run),
        through the studio's process service (terminated with the plugin or the studio)."""
        from studio.plugins.training.demo.launch import start_demo

        out = self.monitor.paths.runs / f"demo-charlm-{time.strftime('%Y%m%d-%H%M%S')}"
        start_demo(self.studio.services.process, out, steps, step_delay)
        self.monitor.rescan_soon()
        return out

    def find_target(self, run: TrainingRun) -> RunProcess | RemoteRunProcess | None:
        """The verified process of ``run``, here or on its host (blocks: call it in a job)."""
        from studio.plugins.training.remote_stop import find_remote_process
        from studio.plugins.training.stop import find_run_process

        if run.source.remote:
            host = self.studio.services.remote.host(run.source.remote.split(":", 1)[0])
            return find_remote_process(run, host)
        return find_run_process(run)

    def stop_target(self, target: RunProcess | RemoteRunProcess, *, grace_s: float = 10.0,
                    on_progress: Callable[[str], None] | None = None) -> str:
        """Stop a verified run process: over SSH for a remote run, through the process service
        when this studio started it (its process group), else SIGTERM/SIGKILL by pid
        (``stop.stop_process``). Returns "terminated", "killed" or "gone"; StopError says why
        not."""
        from studio.plugins.training.remote_stop import RemoteRunProcess, stop_remote_process
        from studio.plugins.training.stop import stop_process

        own = None if isinstance(target, RemoteRunProcess) else self.managed_process(target.pid)
        if isinstance(target, RemoteRunProcess):
            outcome = stop_remote_process(self.studio.services.remote.host(target.host), target,
                                          grace_s=grace_s, on_progress=on_progress)
        elif own is None:
            outcome = stop_process(target, grace_s=grace_s, on_progress=on_progress)
        else:
            if on_progress is not None:
                on_progress(f"Stopping {own.name} (pid {own.pid}), started by this studio")
            outcome = "killed" if own.terminate(grace_s=grace_s) else "terminated"
        self.monitor.poke()
        return outcome

    def managed_process(self, pid: int) -> ManagedProcess | None:
        """The studio's own process with ``pid`` (a demo run started here), if it runs."""
        for process in self.studio.services.process.processes():
            if process.pid == pid:
                return process
        return None

    def close(self) -> None:
        self._subscription.unsubscribe()
        if self._monitor is not None:
            self._monitor.stop()
        if self._telemetry is not None:
            self._telemetry.stop()
        for stream in self.gpu_streams.values():
            stream.stop()
        self.gpu_streams.clear()
