"""Plugin dependencies: ``REQUIRES``/``OPTIONAL``, the order they give, cycles, and unmet
requirements.

Plugins declare ``REQUIRES`` (hard) and ``OPTIONAL`` (soft) dependencies by name. Both order
activation: a plugin is activated after every plugin it names that is present
(:func:`dependency_order`, a topological sort that keeps discovery order). A plugin whose
requirement is missing, disabled or errored is disabled with the reason, and a cycle errors
every plugin on it (:class:`PluginDependencies`, a mixin of the plugin manager).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from studio.core.plugin_records import PluginChanged, PluginRecord, PluginState

__all__ = [
    "DependencyCycle",
    "PluginDependencies",
    "declared_names",
    "dependency_order",
    "describe_cycle",
    "failure_text",
]


def dependency_order(
    names: Sequence[str], edges: Mapping[str, Iterable[str]]
) -> tuple[list[str], list[list[str]]]:
    """Sort ``names`` so each comes after the names it depends on; return (order, cycles).

    ``edges[name]`` are the names ``name`` depends on; names not in ``names`` are ignored (an
    absent optional dependency orders nothing). Ties keep the order of ``names``. Every name
    on a cycle is left out of the order and reported in ``cycles``, each cycle as a path that
    starts and ends with the same name; names that merely depend on a cycle stay in the order
    (after it), for the caller to disable.
    """
    present = {name: index for index, name in enumerate(names)}
    deps = {name: sorted({d for d in edges.get(name, ()) if d in present}, key=present.get)
            for name in names}
    cyclic = _cyclic_components(names, deps)
    cycles = [_cycle_path(component, deps) for component in cyclic]
    on_cycle = {name for component in cyclic for name in component}

    remaining = {name: {d for d in deps[name] if d not in on_cycle}
                 for name in names if name not in on_cycle}
    dependents: dict[str, list[str]] = {name: [] for name in remaining}
    for name, needed in remaining.items():
        for dep in needed:
            dependents[dep].append(name)
    ready = [(present[name], name) for name, needed in remaining.items() if not needed]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, name = heapq.heappop(ready)
        order.append(name)
        for follower in dependents[name]:
            remaining[follower].discard(name)
            if not remaining[follower]:
                heapq.heappush(ready, (present[follower], follower))
    return order, cycles


def describe_cycle(cycle: Sequence[str]) -> str:
    """``a -> b -> a``."""
    return " -> ".join(cycle)


def _cyclic_components(names: Sequence[str], deps: Mapping[str, list[str]]) -> list[list[str]]:
    """Strongly connected components that contain a cycle (Tarjan, iterative)."""
    index_of: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in names:
        if root in index_of:
            continue
        work = [(root, iter(deps[root]))]
        index_of[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index_of:
                    index_of[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(deps[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index_of[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index_of[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in deps[node]:
                    order = {name: i for i, name in enumerate(names)}
                    found.append(sorted(component, key=order.get))
    return found


def _cycle_path(component: list[str], deps: Mapping[str, list[str]]) -> list[str]:
    """The shortest cycle through the component's first name, from it back to it."""
    members = set(component)
    start = component[0]
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for dep in deps[node]:
                if dep == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [start, *reversed(path[:-1]), start] if node != start else [start, start]
                if dep in members and dep not in came_from:
                    came_from[dep] = node
                    following.append(dep)
        frontier = following
    return [start, start]  # pragma: no cover - a cyclic component always leads back


class PluginDependencies:
    """The plugin manager's half that orders plugins and enforces ``REQUIRES``."""

    records: dict[str, PluginRecord]
    order: list[str]
    # Also uses PluginManager's bus, _mark_errored, _tear_down and _ordered_keys.

    # -- dependencies --------------------------------------------------------------------------
    def resolve(self, new: str | None = None) -> None:
        """Order live plugins by dependency; error cycles; disable unmet requirements.

        ``new``: the one plugin enabled while the studio runs; a cycle it closes errors only it.
        """
        names = [key for key, r in self.records.items() if r.name == key and r.state.live]
        edges = {name: (*self.records[name].requires, *self.records[name].optional)
                 for name in names}
        order, cycles = dependency_order(names, edges)
        for cycle in cycles:
            text = f"dependency cycle: {describe_cycle(cycle)}"
            members = [new] if new in cycle else dict.fromkeys(cycle)
            for name in members:
                self._mark_errored(self.records[name], "load", DependencyCycle(text))
        if any(new in cycle for cycle in cycles):
            order, _ = dependency_order([n for n in names if n != new], edges)
        for name in order:
            self._requirements_met(self.records[name])
        known = set(order)
        self.order = [*order, *(n for n in self.order if n not in known)]

    def _requirements_met(self, record: PluginRecord, *, before_import: bool = False) -> bool:
        """Disable ``record`` (with the reason) when one of its REQUIRES is not live."""
        if not (record.state.live or before_import):
            return False
        for name in record.requires:
            why = self._unavailable_because(name)
            if why:
                self._disable_for_requirement(record, f"requires {name}, which {why}")
                return False
        return True

    def _unavailable_because(self, name: str) -> str:
        required = self.records.get(name)
        if required is None:
            return "is not installed"
        if required.state is PluginState.ERRORED:
            return failure_text(required)
        if required.state is PluginState.DISABLED:
            return "is disabled"
        return ""

    def _disable_for_requirement(self, record: PluginRecord, reason: str) -> None:
        was_live = record.state.live
        record.state = PluginState.DISABLED
        record.reason = reason
        if was_live:
            self._tear_down(record, "is disabled")
        else:
            self.bus.publish(PluginChanged(name=record.name, state=str(record.state)))

    def dependents(self, name: str) -> list[str]:
        """Plugins that list ``name`` in REQUIRES, in activation order."""
        return [key for key in self._ordered_keys() if name in self.records[key].requires]

    def _live_dependent_closure(self, name: str) -> list[str]:
        found: list[str] = []
        pending = [name]
        while pending:
            current = pending.pop()
            for key in self.dependents(current):
                if key not in found and self.records[key].state.live:
                    found.append(key)
                    pending.append(key)
        return found


class DependencyCycle(Exception):
    """Plugins that require each other in a circle: none of them can be activated first."""


def failure_text(record: PluginRecord) -> str:
    if not record.error_phase or record.error_phase.startswith("load"):
        return "failed to load"
    return f"failed ({record.error_phase})"


def declared_names(obj: Any, attribute: str) -> tuple[str, ...]:
    """A plugin's ``REQUIRES``/``OPTIONAL``: a tuple of plugin names (TypeError otherwise)."""
    value = getattr(obj, attribute, ())
    if isinstance(value, str) or not isinstance(value, (tuple, list, frozenset, set)):
        raise TypeError(f"{attribute} must be a tuple of plugin names, e.g. ('models',); "
                        f"got {value!r}")
    if not all(isinstance(name, str) and name for name in value):
        raise TypeError(f"{attribute} must hold plugin names (non-empty strings); got {value!r}")
    return tuple(value)
