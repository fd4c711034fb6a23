"""The Dashboard: a responsive grid of plugin cards, with a welcome page on first run."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from studio.api import ContributionsChanged, DashboardCardSpec, Message
from studio.shell.api import ViewContext, icon

__all__ = ["CardFrame", "DashboardView", "WelcomePanel"]


class CardFrame(QFrame):
    """The frame around one card: title row and the plugin's widget (or its error)."""

    def __init__(self, spec: DashboardCardSpec, body: QWidget) -> None:
        super().__init__()
        self.setObjectName(f"card:{spec.id}")
        self.setProperty("role", "card")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        title = QLabel(spec.title)
        title.setProperty("role", "subheading")
        layout.addWidget(title)
        layout.addWidget(body, 1)


class WelcomePanel(QFrame):
    """First run: explain where data comes from and offer to open or create it."""

    def __init__(self, context: ViewContext) -> None:
        super().__init__()
        self.setObjectName("welcome")
        self.setProperty("role", "card")
        studio = context.studio
        root = studio.context
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        heading = QLabel("Welcome to HAFS Studio")
        heading.setProperty("role", "heading")
        layout.addWidget(heading)
        text = QLabel(
            "HAFS Studio shows the world of your hafs toolkit: trained models from "
            "<code>models/registry.json</code>, datasets and training runs under "
            "<code>training/</code>, agents and their logs — all read from the hafs "
            f"<b>context root</b>.<br><br>The context root here is <code>{root.path}</code> "
            f"(from {root.source}), and it is {'empty' if root.exists else 'missing'}. "
            "Point the studio at your hafs folder with <code>--context DIR</code> or "
            "<code>HAFS_CONTEXT_ROOT</code>, or create a sample workspace to look around."
        )
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(text)
        buttons = QHBoxLayout()
        open_button = QPushButton(icon("mdi6.folder-open-outline"), "Open folder…")
        open_button.setObjectName("welcome-open")
        open_button.clicked.connect(lambda: context.run_command("workbench.open-context"))
        sample = QPushButton(icon("mdi6.folder-star-outline"), "Create sample workspace")
        sample.setObjectName("welcome-sample")
        sample.setProperty("role", "primary")
        sample.clicked.connect(lambda: context.run_command("workbench.create-sample"))
        buttons.addWidget(sample)
        buttons.addWidget(open_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)


class DashboardView(QScrollArea):
    """Cards in up to three columns, ordered by each card's ``order``."""

    COLUMNS = 3

    def __init__(self, context: ViewContext) -> None:
        super().__init__()
        self._context = context
        self.setObjectName("dashboard")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.cards: dict[str, QWidget] = {}
        self._specs: dict[str, DashboardCardSpec] = {}
        self.welcome: WelcomePanel | None = None
        context.subscribe("jobs.updated", self._on_job, latest=True)
        # Cards of a plugin enabled or torn down while running appear or go at once.
        context.subscribe(ContributionsChanged.topic, self._on_contributions, batch=True)
        self._build()

    def _build(self) -> None:
        content = QWidget()
        outer = QVBoxLayout(content)
        outer.setContentsMargins(12, 12, 12, 12)
        outer.setSpacing(12)
        if self._context.studio.context.is_empty:
            self.welcome = WelcomePanel(self._context)
            outer.addWidget(self.welcome)
        grid = QGridLayout()
        grid.setSpacing(12)
        row = column = 0
        self.cards.clear()
        self._specs = dict(self._context.studio.contributions.cards)
        specs = sorted(self._specs.values(), key=lambda c: c.order)
        for spec in specs:
            span = min(spec.column_span, self.COLUMNS)
            if column + span > self.COLUMNS:
                row, column = row + 1, 0
            frame = CardFrame(spec, self._card_body(spec))
            self.cards[spec.id] = frame
            grid.addWidget(frame, row, column, 1, span)
            column += span
        for index in range(self.COLUMNS):
            grid.setColumnStretch(index, 1)
        outer.addLayout(grid)
        outer.addStretch(1)
        self.setWidget(content)

    def _card_body(self, spec: DashboardCardSpec) -> QWidget:
        context = ViewContext(
            self._context.studio, self._context.shell, self._context.window, spec.id, spec.plugin
        )
        plugins = self._context.studio.plugins
        body = plugins.guard(spec.plugin, f"dashboard card {spec.id}", spec.factory, context)
        if isinstance(body, QWidget):
            context.bind(body)
            return body
        context.release()
        record = plugins.records.get(spec.plugin)
        label = QLabel(f"This card failed: {record.error if record else 'no widget'}")
        label.setWordWrap(True)
        label.setProperty("role", "error")
        return label

    def _on_contributions(self, _events: object) -> None:
        # Possibly from inside _build (a failing card tears its plugin down): rebuild after.
        QTimer.singleShot(0, self._rebuild_if_changed)

    def _rebuild_if_changed(self) -> None:
        cards = self._context.studio.contributions.cards
        if cards.keys() != self._specs.keys() or any(
                cards[key] is not spec for key, spec in self._specs.items()):
            self._build()

    def _on_job(self, event: Any) -> None:
        # The sample workspace job fills the context root: rebuild to drop the welcome page.
        if (
            self.welcome is not None
            and getattr(event, "state", "") == "succeeded"
            and not self._context.studio.context.is_empty
        ):
            self._context.studio.bus.publish(
                Message(name="dashboard.rebuilt"), topic="dashboard.rebuilt"
            )
            self._build()
