"""The Training plugin's per-studio service: the monitor, telemetry, selection, demo runs.

Created in ``studio_startup`` and published as ``studio.services.get("training")`` (no
module-level state: two studios in one process share nothing). Creating it is cheap and
starts no thread; the GUI calls :meth:`TrainingService.start_live` when the first Training
view or card appears, the CLI calls :meth:`TrainingMonitor.refresh_now` itself.
"""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.core.events import Event
from studio.core.settings import SettingChanged
from studio.plugins.training.monitor import TrainingMonitor, settings_from
from studio.plugins.training.readers import MetricReaderRegistry, builtin_registry
from studio.plugins.training.telemetry import TelemetryPoller

if TYPE_CHECKING:
    from studio.core.app import Studio

__all__ = ["SETTINGS_SECTION", "RunsSelected", "TrainingService"]

SETTINGS_SECTION = "training"


@dataclass(frozen=True, slots=True)
class RunsSelected(Event):
    """The runs selected in the runs list (charts overlay them)."""

    topic = "training.selection"
    run_ids: tuple[str, ...] = ()


class TrainingService:
    def __init__(self, studio: Studio, registry: MetricReaderRegistry | None = None) -> None:
        self.studio = studio
        self.registry = registry or builtin_registry()
        self.monitor = TrainingMonitor(studio.context.path, studio.bus,
                                       settings=settings_from(self._settings()),
                                       registry=self.registry)
        self.telemetry = TelemetryPoller(studio.bus)
        self.selected: tuple[str, ...] = ()
        self.demo_processes: list[subprocess.Popen[bytes]] = []
        self.live = False
        self.notifier_installed = False
        self.stop_subscribed = False
        self._lock = threading.Lock()
        self._subscription = studio.bus.subscribe(SettingChanged.topic, self._on_setting,
                                                  thread="publisher", owner="training")

    def _settings(self) -> dict[str, Any]:
        try:
            return dict(self.studio.settings.values(SETTINGS_SECTION))
        except (KeyError, AttributeError):
            return {}

    def _on_setting(self, event: SettingChanged) -> None:
        if event.section == SETTINGS_SECTION:
            self.monitor.configure(settings_from(self._settings()))

    def start_live(self) -> None:
        """Start the monitor and telemetry threads (idempotent; GUI only)."""
        with self._lock:
            if self.live:
                return
            self.live = True
        self.monitor.start()
        if self._settings().get("telemetry", True):
            self.telemetry.start()

    def select(self, run_ids: tuple[str, ...]) -> None:
        if run_ids != self.selected:
            self.selected = run_ids
            self.studio.bus.publish(RunsSelected(run_ids))

    def start_demo_run(self, steps: int = 600, step_delay: float = 0.1) -> Path:
        """Start the demo trainer as its own process (watchable and stoppable like any run)."""
        from studio.plugins.training.demo.launch import start_demo

        out = self.monitor.paths.runs / f"demo-charlm-{time.strftime('%Y%m%d-%H%M%S')}"
        process = start_demo(out, steps, step_delay)
        self.demo_processes.append(process)
        threading.Thread(target=process.wait, name="demo-trainer-reaper", daemon=True).start()
        self.monitor.poke()
        return out

    def close(self) -> None:
        self._subscription.unsubscribe()
        self.monitor.stop()
        self.telemetry.stop()
        for process in self.demo_processes:
            if process.poll() is None:
                process.terminate()
