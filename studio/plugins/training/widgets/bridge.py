"""Bus → Qt signals for the Training views, and the alert notifications.

Every Training view and card owns a :class:`TrainingBridge`. It starts the monitor and
telemetry threads the first time any of them exists (the CLI never does), and re-emits the
bus events as Qt signals. The shell's dispatcher already delivers ``thread="main"`` events on
the GUI thread; without it (tests) they arrive on the publishing thread, and the queued signal
hop makes both safe.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from studio.plugins.training.api import (
    RunsSelected,
    RunsUpdated,
    TelemetrySample,
    TrainingAlert,
    TrainingService,
    training,
)

__all__ = ["TrainingBridge"]


def _latest(event: Any) -> Any:
    return event[-1] if isinstance(event, list) else event


class TrainingBridge(QObject):
    runs = Signal(object)  # RunsUpdated
    telemetry = Signal(object)  # TelemetrySample
    selection = Signal(object)  # tuple[str, ...]
    alert = Signal(object)  # TrainingAlert

    def __init__(self, context: Any, parent: QObject, *, telemetry: bool = False) -> None:
        super().__init__(parent)
        self.context = context
        self.service: TrainingService = training(context.studio)
        bus = context.studio.bus
        self._subscriptions = [
            bus.subscribe(RunsUpdated.topic, lambda e: self.runs.emit(_latest(e)),
                          owner="training", latest=True),
            bus.subscribe(RunsSelected.topic, lambda e: self.selection.emit(_latest(e).run_ids),
                          owner="training", latest=True),
            bus.subscribe(TrainingAlert.topic, self.alert.emit, owner="training"),
        ]
        if telemetry:
            # Batched, not latest=True: this machine and each host publish samples; the
            # newest of every source must arrive, not the newest of all.
            self._subscriptions.append(bus.subscribe(
                TelemetrySample.topic, self._telemetry_batch, owner="training", batch=True))
        parent.destroyed.connect(lambda *_: self.close())
        self._install_notifier()
        self.service.start_live()

    def _install_notifier(self) -> None:
        """Alerts become status-bar notifications, once per studio (not once per view)."""
        service = self.service
        if service.notifier_installed:
            return
        service.notifier_installed = True
        shell = getattr(self.context, "shell", None)
        if shell is None or not hasattr(shell, "post_message"):
            return

        def notify(event: TrainingAlert | list[TrainingAlert]) -> None:
            for alert in event if isinstance(event, list) else [event]:
                shell.post_message(f"{alert.title}: {alert.message}", 15000)

        self.context.studio.bus.subscribe(TrainingAlert.topic, notify, owner="training",
                                          batch=True)

    def _telemetry_batch(self, events: Any) -> None:
        newest = {event.source: event for event in (events if isinstance(events, list)
                                                    else [events])}
        for event in newest.values():
            self.telemetry.emit(event)

    def snapshot(self) -> RunsUpdated:
        return RunsUpdated(self.service.monitor.summaries(), frozenset(), True)

    def close(self) -> None:
        for subscription in self._subscriptions:
            subscription.unsubscribe()
        self._subscriptions = []
