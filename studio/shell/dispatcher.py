"""Delivers the event bus's queued events on the Qt GUI thread.

The bus calls :meth:`QtDispatcher.schedule` (from any thread) at most once per drain. We hop to
the GUI thread with a queued signal and start a single-shot timer there, so a publisher at
10 kHz costs the event loop at most one wake-up per ``interval_ms`` and subscribers get
coalesced batches, while an isolated event is delivered on the next loop iteration.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

__all__ = ["QtDispatcher"]


class QtDispatcher(QObject):
    """A :class:`studio.core.events.MainThreadDispatcher` backed by the Qt event loop."""

    _wake = Signal()

    def __init__(self, interval_ms: int = 8, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._drain: Callable[[], None] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._interval = interval_ms / 1000
        self._last_run = 0.0
        self._timer.timeout.connect(self._run)
        self._wake.connect(self._arm, Qt.ConnectionType.QueuedConnection)

    def schedule(self, drain: Callable[[], None]) -> None:
        self._drain = drain
        self._wake.emit()

    @Slot()
    def _arm(self) -> None:
        if self._timer.isActive():
            return
        # Deliver at once unless we drained very recently: bursts coalesce, lone events don't wait.
        wait = self._interval - (time.monotonic() - self._last_run)
        self._timer.start(max(0, int(wait * 1000)))

    @Slot()
    def _run(self) -> None:
        self._last_run = time.monotonic()
        if self._drain is not None:
            self._drain()
