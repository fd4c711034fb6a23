"""Bus subscriptions that belong to a widget: delivered on the GUI thread, ended with it.

Every window, dialog and view that listens to the event bus goes through
:func:`subscribe_widget` (views through :meth:`studio.shell.api.ViewContext.subscribe`), so the
two things each of them used to write by hand exist once:

* **GUI-thread delivery.** The shell's dispatcher already delivers ``thread="main"`` events on
  the GUI thread; without it (tests, embedding) they would arrive on the publishing thread. A
  small relay object living in the GUI thread re-emits each event through a Qt signal, which
  Qt queues across threads, so the slot always runs where widgets may be touched.
* **Lifetime.** The relay is a child of the widget: when the widget is destroyed, Qt destroys
  the relay, and the relay's ``destroyed`` ends the subscription (a closure over the
  subscription, never a method of the half-destroyed widget).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from shiboken6 import isValid

from studio.core.events import EventBus, Subscription

__all__ = ["attach", "release", "subscribe_widget"]


class _Relay(QObject):
    """Carries one subscription's events into the GUI thread; dies with its parent widget."""

    delivered = Signal(object)

    def forward(self, event: Any) -> None:
        # Called by the bus, possibly from another thread, possibly after Qt deleted us.
        if isValid(self):
            with contextlib.suppress(RuntimeError):  # deleted between the check and the emit
                self.delivered.emit(event)


def subscribe_widget(
    widget: QObject | None,
    bus: EventBus,
    pattern: str,
    slot: Callable[[Any], None],
    *,
    owner: str,
    **options: Any,
) -> Subscription:
    """Call ``slot(event)`` on the GUI thread for ``pattern`` events while ``widget`` lives.

    ``options`` are the bus's (``batch``, ``latest``, ``with_topic``, ``max_pending``); the
    subscription is attributed to ``owner`` (a plugin name, or ``"studio"`` for the shell), so
    tearing that plugin down ends it too. ``widget=None`` leaves the relay unparented: call
    :func:`attach` later (a view context binds to the view its factory returns).
    """
    relay = _Relay(widget)
    relay.delivered.connect(slot)
    subscription = bus.subscribe(pattern, relay.forward, owner=owner, **options)
    relay.destroyed.connect(lambda *_: subscription.unsubscribe())
    subscription.relay = relay  # keeps an unparented relay alive until attached
    return subscription


def attach(subscription: Subscription, widget: QObject) -> None:
    """Tie a subscription made with ``widget=None`` to ``widget``'s lifetime."""
    relay = getattr(subscription, "relay", None)
    if relay is not None and isValid(relay) and relay.parent() is None:
        relay.setParent(widget)


def release(subscription: Subscription) -> None:
    """End a subscription now and drop its relay."""
    subscription.unsubscribe()
    relay = getattr(subscription, "relay", None)
    if relay is not None and isValid(relay):
        relay.deleteLater()
