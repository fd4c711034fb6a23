"""Short background reads for views: run a function on a worker thread, answer on the GUI thread.

For reads that must not block the UI but are too small to be jobs in the Jobs view (detect a
folder, parse a file header, find a loss curve). Long work is a job (``studio.jobs``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

__all__ = ["Background"]


class Background(QObject):
    """Run ``fn()`` on a worker thread; ``done(result, error)`` arrives on the GUI thread.

    For short reads (detect a folder, parse a GGUF header, find a loss curve) that must not
    block the UI but are too small to be jobs in the Jobs view.
    """

    done = Signal(int, object, object)

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._token = 0
        self._pending: dict[int, Callable[[Any, Exception | None], None]] = {}
        self.done.connect(self._deliver)

    def run(self, fn: Callable[[], Any], on_done: Callable[[Any, Exception | None], None]
            ) -> None:
        """Start ``fn``; an earlier call still running is superseded (its answer dropped)."""
        self._token += 1
        token = self._token
        self._pending = {token: on_done}

        def work() -> None:
            try:
                result, error = fn(), None
            except Exception as exc:  # shown by the caller
                result, error = None, exc
            self.done.emit(token, result, error)

        threading.Thread(target=work, name="view-background", daemon=True).start()

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def _deliver(self, token: int, result: Any, error: Any) -> None:
        callback = self._pending.pop(token, None)
        if callback is not None:
            callback(result, error)
