"""Short background reads for views: run a function off the GUI thread, answer on it.

Shared by the plugins' views (the Models plugin's details and inspector, the Deploy panel's
plan and status refresh): reads too small to be jobs in the Jobs view, but that must never
block the UI thread (disk, network).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

__all__ = ["Background"]


class Background(QObject):
    """Run ``fn()`` on a worker thread; ``done(result, error)`` arrives on the GUI thread.

    A newer :meth:`run` supersedes an older one still running (its answer is dropped), so a
    view that re-reads on every change only ever shows the latest answer.
    """

    done = Signal(int, object, object)

    def __init__(self, parent: QObject, name: str = "view-background") -> None:
        super().__init__(parent)
        self._name = name
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

        threading.Thread(target=work, name=self._name, daemon=True).start()

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def _deliver(self, token: int, result: Any, error: Any) -> None:
        callback = self._pending.pop(token, None)
        if callback is not None:
            callback(result, error)
