"""Plugin dependency order: a topological sort that keeps discovery order, and its cycles.

Plugins declare ``REQUIRES`` (hard) and ``OPTIONAL`` (soft) dependencies by name. Both order
activation: a plugin is activated after every plugin it names that is present. Whether a
missing requirement disables a plugin is decided by the plugin manager; this module only sorts
and finds cycles.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence

__all__ = ["dependency_order", "describe_cycle"]


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
