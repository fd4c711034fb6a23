"""Counting bus events by topic, Qt-free so it is trivial to test."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from studio.api import Event, Message


def topic_label(event: Event) -> str:
    """A readable name for what an event is about.

    Callbacks receive the event, not the topic it was published on: typed events carry their
    topic as a class attribute, free-form :class:`Message` events only their ``name``.
    """
    if isinstance(event, Message):
        return f"message: {event.name}"
    return event.topic


class TopicCounts:
    """How many events of each topic were seen, busiest first."""

    def __init__(self) -> None:
        self.total = 0
        self._counts: Counter[str] = Counter()

    def add(self, events: Iterable[Event]) -> None:
        for event in events:
            self._counts[topic_label(event)] += 1
            self.total += 1

    def busiest(self, limit: int) -> list[tuple[str, int]]:
        return self._counts.most_common(limit)
