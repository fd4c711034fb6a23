"""The studio's event bus: typed events, topic subscriptions, delivery to the GUI thread.

Topics are dotted names (``theme.changed``, ``jobs.updated``, ``metrics.run-42``). A subscriber
names an exact topic, a prefix ending in ``.*`` (``metrics.*``), or ``*`` for everything.

Two delivery modes:

* ``thread="publisher"``: the callback runs synchronously in the publishing thread. For
  Qt-free services that must see every event at once.
* ``thread="main"`` (default): the event is queued and delivered on the main (GUI) thread by a
  :class:`MainThreadDispatcher`. The shell installs a Qt one; without it (CLI, tests) delivery
  happens inline. Queued events are coalesced: a burst from a 10 kHz publisher wakes the GUI
  thread once per drain, a ``batch`` subscriber receives a list per drain, and a ``latest``
  subscriber only the newest event per topic. Order per topic is preserved.

A subscriber that raises never stops delivery to the others: the failure is published as a
:class:`SubscriberFailed` event on the ``errors`` topic, naming the owner (a plugin) so the UI
can show it.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol

__all__ = [
    "Event",
    "EventBus",
    "MainThreadDispatcher",
    "Message",
    "SubscriberFailed",
    "Subscription",
]

log = logging.getLogger(__name__)

Delivery = Literal["main", "publisher"]


@dataclass(frozen=True, slots=True)
class Event:
    """Base class of every event. Subclasses set the class attribute ``topic``."""

    topic: ClassVar[str] = "event"


@dataclass(frozen=True, slots=True)
class Message(Event):
    """A free-form event for dynamic topics (``metrics.<run>``) and plugin-defined payloads."""

    name: str = "message"
    payload: Any = None


@dataclass(frozen=True, slots=True)
class SubscriberFailed(Event):
    """A subscriber raised while handling an event; published on ``errors``."""

    topic = "errors"
    owner: str = ""
    event_topic: str = ""
    error: str = ""
    details: str = ""


class MainThreadDispatcher(Protocol):
    """Runs a callable on the main thread soon; may be called from any thread."""

    def schedule(self, drain: Callable[[], None]) -> None: ...


@dataclass(eq=False)
class Subscription:
    """A live subscription; call :meth:`unsubscribe` (or ``bus.unsubscribe``) to end it."""

    pattern: str
    callback: Callable[[Any], None]
    owner: str
    thread: Delivery
    batch: bool
    latest: bool
    max_pending: int
    bus: EventBus | None = None
    with_topic: bool = False
    dropped: int = 0

    def __post_init__(self) -> None:
        self._pending: deque[tuple[str, Event]] = deque()

    def matches(self, topic: str) -> bool:
        if self.pattern == "*":
            return True
        if self.pattern.endswith(".*"):
            return topic.startswith(self.pattern[:-1])
        return topic == self.pattern

    def unsubscribe(self) -> None:
        if self.bus is not None:
            self.bus.unsubscribe(self)


class EventBus:
    """Thread-safe publish/subscribe hub. See the module docstring for the delivery rules."""

    def __init__(self, dispatcher: MainThreadDispatcher | None = None) -> None:
        self._lock = threading.Lock()
        self._subscriptions: list[Subscription] = []
        self._routes: dict[str, tuple[Subscription, ...]] = {}
        self._dispatcher = dispatcher
        self._wake_scheduled = False
        self._dirty: dict[Subscription, None] = {}  # ordered set of subscriptions with pending
        self._in_error_handler = threading.local()
        self.owner_resolver: Callable[[Callable[..., Any]], str] | None = None

    # -- configuration -------------------------------------------------------------------
    def set_dispatcher(self, dispatcher: MainThreadDispatcher | None) -> None:
        """Install (or remove) the main-thread dispatcher; pending events are flushed to it."""
        with self._lock:
            self._dispatcher = dispatcher
            needs_wake = bool(self._dirty) and dispatcher is not None
            self._wake_scheduled = needs_wake
        if needs_wake:
            dispatcher.schedule(self.drain)
        elif dispatcher is None:
            self.drain()

    # -- subscribing ---------------------------------------------------------------------
    def subscribe(
        self,
        pattern: str,
        callback: Callable[[Any], None],
        *,
        owner: str | None = None,
        thread: Delivery = "main",
        batch: bool = False,
        latest: bool = False,
        max_pending: int = 100_000,
        with_topic: bool = False,
    ) -> Subscription:
        """Call ``callback`` for events whose topic matches ``pattern``.

        ``batch`` delivers ``list[Event]`` per drain; ``latest`` keeps only the newest event
        per topic between drains. Both apply to ``thread="main"`` only. ``max_pending`` bounds
        the queue of a stalled subscriber (oldest events are dropped and counted).
        ``with_topic`` passes ``(topic, event)`` pairs instead of events, for prefix and
        wildcard subscribers that need to know which dynamic topic an event came on.
        """
        _validate_pattern(pattern)
        if thread not in ("main", "publisher"):
            raise ValueError(f"thread must be 'main' or 'publisher', not {thread!r}")
        if (batch or latest) and thread != "main":
            raise ValueError("batch and latest delivery need thread='main'")
        if owner is None:
            owner = self._resolve_owner(callback)
        subscription = Subscription(
            pattern, callback, owner, thread, batch, latest, max_pending, self, with_topic
        )
        with self._lock:
            self._subscriptions.append(subscription)
            self._routes.clear()
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            if subscription in self._subscriptions:
                self._subscriptions.remove(subscription)
                self._routes.clear()
            self._dirty.pop(subscription, None)
            subscription._pending.clear()

    def unsubscribe_owner(self, owner: str) -> int:
        """Remove every subscription of ``owner`` (a plugin being disabled); return how many."""
        with self._lock:
            doomed = [s for s in self._subscriptions if s.owner == owner]
        for subscription in doomed:
            self.unsubscribe(subscription)
        return len(doomed)

    def subscriptions(self) -> list[Subscription]:
        with self._lock:
            return list(self._subscriptions)

    # -- publishing ----------------------------------------------------------------------
    def publish(self, event: Event, topic: str | None = None) -> None:
        """Deliver ``event`` on ``topic`` (default: the event class's ``topic``); any thread."""
        topic = topic or event.topic
        routes = self._routes.get(topic)
        if routes is None:
            routes = self._route(topic)
        if not routes:
            return
        wake = False
        dispatcher = None
        for subscription in routes:
            if subscription.thread == "publisher":
                arg = (topic, event) if subscription.with_topic else event
                self._invoke(subscription, topic, subscription.callback, arg)
                continue
            with self._lock:
                pending = subscription._pending
                if len(pending) >= subscription.max_pending:
                    pending.popleft()
                    subscription.dropped += 1
                pending.append((topic, event))
                self._dirty[subscription] = None
                if not self._wake_scheduled:
                    dispatcher = self._dispatcher
                    if dispatcher is not None:
                        self._wake_scheduled = True
                        wake = True
        if wake and dispatcher is not None:
            dispatcher.schedule(self.drain)
        elif self._dispatcher is None:
            self.drain()

    def drain(self) -> int:
        """Deliver all queued main-thread events now; return how many were delivered.

        Called by the dispatcher on the main thread. Events published while draining are
        queued for the next drain, so a subscriber that publishes cannot starve the loop.
        """
        with self._lock:
            self._wake_scheduled = False
            work = []
            for subscription in self._dirty:
                work.append((subscription, list(subscription._pending)))
                subscription._pending.clear()
            self._dirty.clear()
        delivered = 0
        for subscription, items in work:
            delivered += self._deliver(subscription, items)
        return delivered

    def pending_count(self) -> int:
        with self._lock:
            return sum(len(s._pending) for s in self._dirty)

    # -- internals -----------------------------------------------------------------------
    def _deliver(self, subscription: Subscription, items: list[tuple[str, Event]]) -> int:
        if subscription.latest:
            newest: dict[str, Event] = {}
            for topic, event in items:
                newest.pop(topic, None)  # re-insert to keep "order of last update"
                newest[topic] = event
            items = list(newest.items())
        if subscription.batch:
            topic = items[0][0] if len(items) == 1 else subscription.pattern
            batch = items if subscription.with_topic else [e for _, e in items]
            self._invoke(subscription, topic, subscription.callback, batch)
            return len(items)
        for topic, event in items:
            arg = (topic, event) if subscription.with_topic else event
            self._invoke(subscription, topic, subscription.callback, arg)
        return len(items)

    def _invoke(
        self, subscription: Subscription, topic: str, callback: Callable[[Any], None], arg: Any
    ) -> None:
        try:
            callback(arg)
        except Exception as exc:
            self._report_failure(subscription, topic, exc)

    def _report_failure(self, subscription: Subscription, topic: str, exc: Exception) -> None:
        details = traceback.format_exc()
        if topic == SubscriberFailed.topic or getattr(self._in_error_handler, "active", False):
            # An error handler that fails must not loop; the log is the last resort.
            log.error("error subscriber %s failed: %s", subscription.owner, details)
            return
        log.warning("subscriber %s failed on %s: %s", subscription.owner, topic, exc)
        self._in_error_handler.active = True
        try:
            self.publish(
                SubscriberFailed(
                    owner=subscription.owner,
                    event_topic=topic,
                    error=f"{type(exc).__name__}: {exc}",
                    details=details,
                )
            )
        finally:
            self._in_error_handler.active = False

    def _route(self, topic: str) -> tuple[Subscription, ...]:
        with self._lock:
            routes = tuple(s for s in self._subscriptions if s.matches(topic))
            self._routes[topic] = routes
        return routes

    def _resolve_owner(self, callback: Callable[..., Any]) -> str:
        if self.owner_resolver is not None:
            try:
                return self.owner_resolver(callback)
            except Exception:  # attribution is best effort; never refuse a subscription
                log.debug("owner resolver failed", exc_info=True)
        return getattr(callback, "__module__", None) or "unknown"


def _validate_pattern(pattern: str) -> None:
    if not pattern or not isinstance(pattern, str):
        raise ValueError("a topic pattern must be a non-empty string")
    if pattern == "*":
        return
    body = pattern[:-2] if pattern.endswith(".*") else pattern
    if "*" in body or not all(part for part in body.split(".")):
        raise ValueError(
            f"invalid topic pattern {pattern!r}: use 'a.b', 'a.*' or '*' (no empty parts)"
        )
