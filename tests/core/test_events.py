"""Event bus: routing, delivery modes, coalescing, ordering, isolation of failing subscribers."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest

from studio.core.events import Event, EventBus, Message, SubscriberFailed
from studio.testing import ManualDispatcher


@dataclass(frozen=True, slots=True)
class Tick(Event):
    topic = "metrics.tick"
    value: int = 0


def test_exact_prefix_and_wildcard_routing():
    bus = EventBus()
    seen: dict[str, list[str]] = {"exact": [], "prefix": [], "all": []}
    bus.subscribe("metrics.tick", lambda e: seen["exact"].append("t"))
    bus.subscribe("metrics.*", lambda e: seen["prefix"].append("p"))
    bus.subscribe("*", lambda e: seen["all"].append("a"))
    bus.publish(Tick(1))
    bus.publish(Message(name="x"), topic="metrics.other")
    bus.publish(Message(name="y"), topic="metricsfoo")
    assert seen == {"exact": ["t"], "prefix": ["p", "p"], "all": ["a", "a", "a"]}


@pytest.mark.parametrize("pattern", ["", "a..b", "a.*.b", "*.a", "a*"])
def test_invalid_patterns_are_rejected(pattern):
    with pytest.raises(ValueError, match="pattern"):
        EventBus().subscribe(pattern, print)


def test_main_thread_delivery_waits_for_the_dispatcher_and_coalesces_wakeups():
    dispatcher = ManualDispatcher()
    bus = EventBus(dispatcher)
    received: list[int] = []
    bus.subscribe("metrics.tick", lambda e: received.append(e.value))
    for value in range(1000):
        bus.publish(Tick(value))
    assert received == []
    assert dispatcher.scheduled == 1  # one wake-up for the whole burst
    dispatcher.run()
    assert received == list(range(1000))


def test_batch_and_latest_subscribers():
    dispatcher = ManualDispatcher()
    bus = EventBus(dispatcher)
    batches: list[list[int]] = []
    latest: list[tuple[str, int]] = []
    bus.subscribe(
        "metrics.*", lambda events: batches.append([e.payload for e in events]), batch=True
    )
    bus.subscribe("metrics.*", lambda e: latest.append((e.name, e.payload)), latest=True)
    for value in range(5):
        bus.publish(Message(name="a", payload=value), topic="metrics.a")
        bus.publish(Message(name="b", payload=value * 10), topic="metrics.b")
    dispatcher.run()
    assert len(batches) == 1 and len(batches[0]) == 10
    assert latest == [("a", 4), ("b", 40)]


def test_publisher_thread_delivery_is_synchronous():
    bus = EventBus(ManualDispatcher())
    threads: list[str] = []
    bus.subscribe(
        "metrics.tick",
        lambda e: threads.append(threading.current_thread().name),
        thread="publisher",
    )
    worker = threading.Thread(target=lambda: bus.publish(Tick(1)), name="worker")
    worker.start()
    worker.join()
    assert threads == ["worker"]


def test_order_is_preserved_per_topic_across_publishing_threads():
    dispatcher = ManualDispatcher()
    bus = EventBus(dispatcher)
    received: dict[str, list[int]] = {}
    bus.subscribe("metrics.*", lambda e: received.setdefault(e.name, []).append(e.payload))

    def publish(name: str) -> None:
        for value in range(2000):
            bus.publish(Message(name=name, payload=value), topic=f"metrics.{name}")

    workers = [threading.Thread(target=publish, args=(f"t{i}",)) for i in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    dispatcher.run()
    assert {name: values == list(range(2000)) for name, values in received.items()} == {
        f"t{i}": True for i in range(4)
    }


def test_a_failing_subscriber_is_reported_and_others_still_receive():
    bus = EventBus()
    failures: list[SubscriberFailed] = []
    received: list[int] = []
    bus.subscribe("errors", failures.append)

    def broken(event: Tick) -> None:
        raise RuntimeError("boom")

    bus.subscribe("metrics.tick", broken, owner="bad-plugin")
    bus.subscribe("metrics.tick", lambda e: received.append(e.value))
    bus.publish(Tick(7))
    assert received == [7]
    assert len(failures) == 1
    failure = failures[0]
    assert failure.owner == "bad-plugin"
    assert failure.event_topic == "metrics.tick"
    assert "RuntimeError: boom" in failure.error
    assert "broken" in failure.details


def test_a_failing_error_subscriber_does_not_loop():
    bus = EventBus()
    calls = []

    def bad_error_handler(event: SubscriberFailed) -> None:
        calls.append(event)
        raise RuntimeError("error handler broken")

    bus.subscribe("errors", bad_error_handler)
    bus.subscribe("metrics.tick", lambda e: 1 / 0)
    bus.publish(Tick(1))
    assert len(calls) == 1


def test_unsubscribe_and_unsubscribe_owner():
    bus = EventBus()
    received = []
    first = bus.subscribe("metrics.tick", received.append, owner="p1")
    bus.subscribe("metrics.tick", received.append, owner="p2")
    bus.subscribe("metrics.*", received.append, owner="p2")
    first.unsubscribe()
    assert bus.unsubscribe_owner("p2") == 2
    bus.publish(Tick(1))
    assert received == []


def test_a_stalled_subscriber_drops_oldest_beyond_its_bound():
    dispatcher = ManualDispatcher()
    bus = EventBus(dispatcher)
    received: list[int] = []
    subscription = bus.subscribe("metrics.tick", lambda e: received.append(e.value), max_pending=10)
    for value in range(25):
        bus.publish(Tick(value))
    dispatcher.run()
    assert received == list(range(15, 25))
    assert subscription.dropped == 15


def test_events_published_during_a_drain_wait_for_the_next_one():
    dispatcher = ManualDispatcher()
    bus = EventBus(dispatcher)
    received: list[int] = []

    def echo(event: Tick) -> None:
        received.append(event.value)
        if event.value < 3:
            bus.publish(Tick(event.value + 1))

    bus.subscribe("metrics.tick", echo)
    bus.publish(Tick(0))
    dispatcher.run()
    assert received == [0]
    dispatcher.run()
    assert received == [0, 1]


def test_owner_is_resolved_from_the_callback_when_not_given():
    bus = EventBus()
    bus.owner_resolver = lambda callback: "resolved-" + callback.__name__
    subscription = bus.subscribe(
        "metrics.tick", test_owner_is_resolved_from_the_callback_when_not_given
    )
    assert subscription.owner.startswith("resolved-")


def test_batch_requires_main_thread_delivery():
    with pytest.raises(ValueError, match="thread='main'"):
        EventBus().subscribe("a", print, thread="publisher", batch=True)


def test_with_topic_tells_prefix_subscribers_where_an_event_came_from():
    dispatcher = ManualDispatcher()
    bus = EventBus(dispatcher)
    direct: list[tuple[str, str]] = []
    batches: list[list[tuple[str, str]]] = []
    bus.subscribe(
        "metrics.*",
        lambda pair: direct.append((pair[0], pair[1].name)),
        thread="publisher",
        with_topic=True,
    )
    bus.subscribe(
        "metrics.*",
        lambda items: batches.append([(t, e.name) for t, e in items]),
        batch=True,
        with_topic=True,
    )
    bus.publish(Message(name="a"), topic="metrics.run-1")
    bus.publish(Message(name="b"), topic="metrics.run-2")
    dispatcher.run()
    assert direct == [("metrics.run-1", "a"), ("metrics.run-2", "b")]
    assert batches == [[("metrics.run-1", "a"), ("metrics.run-2", "b")]]
