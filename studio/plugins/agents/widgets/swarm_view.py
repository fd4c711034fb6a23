"""Swarm: hafs's swarm council as a graph (nodes coloured by status, edges as arrows)."""

from __future__ import annotations

import html

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import (
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from studio.plugins.agents.api import AgentsSnapshot
from studio.plugins.agents.model import SwarmGraph
from studio.plugins.agents.swarm import status_colour
from studio.plugins.agents.widgets.common import SnapshotListener, muted
from studio.shell.api import ViewContext, current_theme

__all__ = ["SwarmView", "layered_layout"]

NODE_W, NODE_H, GAP_X, GAP_Y = 150.0, 54.0, 70.0, 26.0


def layered_layout(graph: SwarmGraph) -> dict[str, tuple[int, int]]:
    """(layer, slot) per node: layer = longest path from a source; no edges → one row."""
    ids = [node.id for node in graph.nodes]
    if not graph.edges:
        return {node_id: (i, 0) for i, node_id in enumerate(ids)}
    incoming: dict[str, list[str]] = {node_id: [] for node_id in ids}
    for edge in graph.edges:
        incoming.setdefault(edge.target, []).append(edge.source)
    layer: dict[str, int] = {}

    def depth(node_id: str, trail: frozenset[str]) -> int:
        if node_id in layer:
            return layer[node_id]
        parents = [p for p in incoming.get(node_id, ()) if p not in trail]  # cycles: cut
        layer[node_id] = 1 + max((depth(p, trail | {node_id}) for p in parents), default=-1)
        return layer[node_id]

    slots: dict[int, int] = {}
    placed = {}
    for node_id in ids:
        level = depth(node_id, frozenset())
        placed[node_id] = (level, slots.get(level, 0))
        slots[level] = slots.get(level, 0) + 1
    return placed


class SwarmView(QWidget):
    def __init__(self, context: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("agentsSwarm")
        self.studio = context.studio
        self.scene = QGraphicsScene(self)
        self.view = QGraphicsView(self.scene)
        self.view.setObjectName("agentsSwarmGraph")
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.header = QLabel()
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setWordWrap(True)
        self.note = muted()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.header)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.note)
        self.graph: SwarmGraph | None = None
        self._drawn: object = ()
        theme = context.bus.subscribe("theme.changed", lambda _e: self._redraw(),
                                      owner="agents", latest=True)
        self.destroyed.connect(lambda *_: theme.unsubscribe())
        self.listener = SnapshotListener.follow(self.studio, self, self.show_snapshot)

    def show_snapshot(self, snapshot: AgentsSnapshot) -> None:
        if not snapshot.loaded:
            return
        self.graph = snapshot.swarm
        path = next((p for what, p, _e in snapshot.looked_at if what == "Swarm graph"), "")
        if snapshot.swarm != self._drawn:
            self._drawn = snapshot.swarm
            self._redraw(path)

    def _redraw(self, path: str = "") -> None:
        self.scene.clear()
        graph = self.graph
        if graph is None or not graph.nodes:
            self.header.setText("<b>No swarm session</b>")
            where = path or "swarm_status.json"
            self.note.setText(f"hafs's swarm council writes its graph to {where} while a "
                              "session runs; none was found.")
            return
        started = f" · started {html.escape(graph.start_time)}" if graph.start_time else ""
        self.header.setText(f"<b>{html.escape(graph.topic or 'Swarm session')}</b>{started}")
        counts: dict[str, int] = {}
        for node in graph.nodes:
            counts[node.status] = counts.get(node.status, 0) + 1
        self.note.setText(" · ".join(f"{n} {s}" for s, n in sorted(counts.items()))
                          + (f" · {graph.error}" if graph.error else "")
                          + ("" if graph.edges else " · hafs recorded no edges: nodes are "
                             "shown in the order the council ran them"))
        theme = current_theme()
        positions = layered_layout(graph)
        centres: dict[str, QPointF] = {}
        for node in graph.nodes:
            layer, slot = positions[node.id]
            x, y = layer * (NODE_W + GAP_X), slot * (NODE_H + GAP_Y)
            colour = QColor(theme[status_colour(node.status)])
            box = QPainterPath()
            box.addRoundedRect(QRectF(x, y, NODE_W, NODE_H), 10, 10)
            item = QGraphicsPathItem(box)
            fill = QColor(colour)
            fill.setAlpha(60)
            item.setBrush(QBrush(fill))
            item.setPen(QPen(colour, 2))
            item.setToolTip(f"{node.label} ({node.id}): {node.status}")
            item.setData(0, node.id)
            self.scene.addItem(item)
            for text, dy, bold in ((node.label, 8, True), (node.status, 30, False)):
                label = QGraphicsSimpleTextItem(text, item)
                font = QFont(label.font())
                font.setBold(bold)
                label.setFont(font)
                label.setBrush(QColor(theme["text"] if bold else theme["text.muted"]))
                label.setPos(x + 10, y + dy)
            centres[node.id] = QPointF(x + NODE_W / 2, y + NODE_H / 2)
        pen = QPen(QColor(theme["text.muted"]), 1.5)
        for edge in graph.edges:
            if edge.source in centres and edge.target in centres:
                self._arrow(centres[edge.source], centres[edge.target], pen)
        self.view.setSceneRect(self.scene.itemsBoundingRect().adjusted(-20, -20, 20, 20))
        self._fit()

    def _fit(self) -> None:
        """Show the whole graph: shrink it to the view, never enlarge it."""
        rect = self.view.sceneRect()
        if rect.isEmpty():
            return
        viewport = self.view.viewport().size()
        scale = min(1.0, viewport.width() / rect.width(), viewport.height() / rect.height())
        self.view.resetTransform()
        self.view.scale(scale, scale)

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)
        self._fit()

    def _arrow(self, start: QPointF, end: QPointF, pen: QPen) -> None:
        source = QPointF(start.x() + NODE_W / 2, start.y())
        target = QPointF(end.x() - NODE_W / 2, end.y())
        path = QPainterPath(source)
        middle = (source.x() + target.x()) / 2
        path.cubicTo(QPointF(middle, source.y()), QPointF(middle, target.y()), target)
        line = self.scene.addPath(path, pen)
        line.setZValue(-1)
        head = QPolygonF([target, QPointF(target.x() - 9, target.y() - 5),
                          QPointF(target.x() - 9, target.y() + 5)])
        self.scene.addPolygon(head, pen, QBrush(pen.color()))
