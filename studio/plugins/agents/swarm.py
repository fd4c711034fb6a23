"""``~/.context/swarm_status.json``: the swarm council's nodes and edges (hafs-formats §4).

hafs writes ``{nodes, edges, active_topic, start_time}`` with ``json.dump(status.__dict__,
default=str)``. Its nodes are dataclass instances, so unless hafs's optional ``SwarmStatus``
model is installed they land in the file as their ``repr`` strings —
``"AgentNode(id='strategist', label='Strategist', status='complete')"`` — not as objects
(``agents/swarm/swarm.py``). Both forms are read. Edges are ``[]`` at hafs HEAD; objects with
``source``/``target`` (or ``from``/``to``) and two-item lists are accepted.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from studio.plugins.agents.model import SwarmEdge, SwarmGraph, SwarmNode
from studio.plugins.agents.sources import FileReading

__all__ = ["STATUS_COLOURS", "parse_swarm", "status_colour"]

_REPR_FIELD = re.compile(r"(\w+)=('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[^,()]+)")

# Node status → theme token (the graph and the table use the same mapping).
STATUS_COLOURS = {
    "complete": "success", "completed": "success", "done": "success", "success": "success",
    "running": "accent", "active": "accent", "in_progress": "accent", "working": "accent",
    "pending": "text.muted", "queued": "text.muted", "waiting": "text.muted",
    "failed": "error", "error": "error", "blocked": "warning", "stale": "warning",
}


def status_colour(status: str) -> str:
    return STATUS_COLOURS.get(status.lower(), "text.muted")


def _node(value: Any) -> SwarmNode | None:
    if isinstance(value, dict):
        node_id = value.get("id") or value.get("name")
        if not isinstance(node_id, str | int):
            return None
        return SwarmNode(str(node_id), str(value.get("label") or node_id),
                         str(value.get("status") or "pending"))
    if isinstance(value, str) and "(" in value and value.endswith(")"):
        fields = {}
        for key, raw in _REPR_FIELD.findall(value[value.index("(") + 1:-1]):
            try:
                fields[key] = ast.literal_eval(raw.strip())
            except (ValueError, SyntaxError):
                fields[key] = raw.strip()
        return _node(fields)
    if isinstance(value, str) and value:
        return SwarmNode(value, value)
    return None


def _edge(value: Any) -> SwarmEdge | None:
    if isinstance(value, dict):
        source = value.get("source", value.get("from"))
        target = value.get("target", value.get("to"))
        if source is None or target is None:
            return None
        return SwarmEdge(str(source), str(target), str(value.get("label") or ""))
    if isinstance(value, list | tuple) and len(value) >= 2:
        return SwarmEdge(str(value[0]), str(value[1]))
    return None


def parse_swarm(reading: FileReading) -> SwarmGraph | None:
    """None when hafs never ran a swarm here (no file)."""
    if not reading.exists:
        return None
    data = reading.data if isinstance(reading.data, dict) else {}
    error = reading.error or ("" if isinstance(reading.data, dict) or reading.data is None
                              else f"{reading.path}: expected a JSON object")
    nodes, seen = [], set()
    for raw in data.get("nodes") if isinstance(data.get("nodes"), list) else ():
        node = _node(raw)
        if node is not None and node.id not in seen:
            seen.add(node.id)
            nodes.append(node)
    edges = [e for e in map(_edge, data.get("edges") if isinstance(data.get("edges"), list)
                            else ()) if e is not None]
    for edge in edges:  # an edge may name a node the list lacks: draw it as pending
        for node_id in (edge.source, edge.target):
            if node_id not in seen:
                seen.add(node_id)
                nodes.append(SwarmNode(node_id, node_id))
    return SwarmGraph(tuple(nodes), tuple(edges), str(data.get("active_topic") or ""),
                      str(data.get("start_time") or ""), str(reading.path), error or "")
