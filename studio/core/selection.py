"""What the user has selected, by kind ("model", "run", "dataset"), for commands to act on.

A view that shows things the user can select (the Models list) sets the selection of its kind;
commands declared with ``CommandSpec(selection="model")`` receive it in their
:class:`~studio.core.commands.CommandContext` when run from the palette, the menu bar or a
shortcut. A context menu passes its own selection instead (``commands.execute(id,
selection=ids)``), so right-clicking a row acts on that row. One :class:`Selection` per studio.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

from studio.core.contributions import validate_identifier
from studio.core.events import Event, EventBus

__all__ = ["Selection", "SelectionChanged"]


@dataclass(frozen=True, slots=True)
class SelectionChanged(Event):
    """The selection of ``kind`` changed; published on ``selection.<kind>``."""

    topic = "selection"
    kind: str = ""
    ids: tuple[str, ...] = ()

    @property
    def first(self) -> str | None:
        return self.ids[0] if self.ids else None


class Selection:
    """The current selection per kind; thread-safe, publishes :class:`SelectionChanged`."""

    def __init__(self, bus: EventBus | None = None) -> None:
        self._bus = bus
        self._lock = threading.Lock()
        self._current: dict[str, tuple[str, ...]] = {}

    def set(self, kind: str, ids: Iterable[str] | str | None) -> tuple[str, ...]:
        """Make ``ids`` (a single id, several, or None for nothing) the selection of ``kind``."""
        validate_identifier("selection kind", kind)
        if ids is None:
            chosen: tuple[str, ...] = ()
        elif isinstance(ids, str):
            chosen = (ids,)
        else:
            chosen = tuple(ids)
        with self._lock:
            if self._current.get(kind, ()) == chosen:
                return chosen
            self._current[kind] = chosen
        if self._bus is not None:
            self._bus.publish(SelectionChanged(kind=kind, ids=chosen), topic=f"selection.{kind}")
        return chosen

    def get(self, kind: str) -> tuple[str, ...]:
        """The ids selected of ``kind`` (empty when nothing is)."""
        with self._lock:
            return self._current.get(kind, ())

    def first(self, kind: str) -> str | None:
        ids = self.get(kind)
        return ids[0] if ids else None
