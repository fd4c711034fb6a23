"""The vocabulary of SSH connection state, importable without asyncio (start-up stays cheap).

:class:`ConnectionState` and :class:`RemoteConnectionChanged` (topic ``remote.connection``) are
what views and features subscribe to; :class:`Backoff` is how a lost connection is retried.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass

from studio.core.events import Event

__all__ = ["Backoff", "ConnectionState", "RemoteConnectionChanged"]


class ConnectionState(enum.StrEnum):
    IDLE = "idle"  # never connected
    CONNECTING = "connecting"
    CONNECTED = "connected"
    LOST = "lost"  # dropped; the next use reconnects
    RECONNECTING = "reconnecting"
    FAILED = "failed"  # could not (re)connect; the error says why
    CLOSED = "closed"  # closed by the studio


@dataclass(frozen=True, slots=True)
class RemoteConnectionChanged(Event):
    """A host's shared connection changed state (``attempt``: reconnect attempt, from 1)."""

    topic = "remote.connection"
    host: str = ""
    state: str = ""
    error: str | None = None
    attempt: int = 0


@dataclass(frozen=True)
class Backoff:
    """Pauses between reconnect attempts: ``first_s``, times ``factor`` each time, at most
    ``max_s``; ``attempts`` tries in all (the first one immediately)."""

    first_s: float = 0.5
    factor: float = 2.0
    max_s: float = 30.0
    attempts: int = 6

    def pauses(self) -> Iterator[float]:
        pause = self.first_s
        for _ in range(self.attempts - 1):
            yield pause
            pause = min(self.max_s, pause * self.factor)
