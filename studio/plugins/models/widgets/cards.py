"""Dashboard cards: models by role, the latest model, what still needs converting/deploying."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from studio.plugins.models.present import (
    format_loss,
    model_overview,
    role_color,
    title_of,
)
from studio.plugins.models.state import RegistrySnapshot, models_state
from studio.plugins.models.widgets.common import StateListener, muted_label
from studio.shell.api import ViewContext, icon

__all__ = ["LatestCard", "PendingCard", "RolesCard"]


class _Card(QWidget):
    """Base: re-renders from every registry snapshot."""

    def __init__(self, context: ViewContext) -> None:
        super().__init__()
        self.context = context
        self.state = models_state(context.studio)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 4, 0, 0)
        self.body = QLabel()
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setWordWrap(True)
        self.body.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.layout_.addWidget(self.body, 0, Qt.AlignmentFlag.AlignTop)
        self.listener = StateListener(self.state, self)
        self.listener.snapshot.connect(self._render)

    def _open_models(self) -> None:
        self.context.run_command("workbench.workspace.models")

    def _button(self, text: str) -> QPushButton:
        button = QPushButton(icon("mdi6.cube-outline"), text)
        button.clicked.connect(self._open_models)
        self.layout_.addWidget(button, 0, Qt.AlignmentFlag.AlignLeft)
        return button

    def _render(self, snapshot: RegistrySnapshot) -> None:
        if snapshot.error:
            self.body.setText(f"<span>Registry unreadable:</span><br>{snapshot.error}")
        elif not snapshot.loaded:
            self.body.setText("Loading…")
        else:
            self.render(snapshot)

    def render(self, snapshot: RegistrySnapshot) -> None:
        raise NotImplementedError


class RolesCard(_Card):
    def __init__(self, context: ViewContext) -> None:
        super().__init__(context)
        self._button("Open Models")
        self._render(self.state.snapshot)

    def render(self, snapshot: RegistrySnapshot) -> None:
        overview = model_overview(snapshot.models)
        if not overview.total:
            self.body.setText("No models registered yet.")
            return
        badges = " ".join(
            f"<span style='background-color:{role_color(role)}; color:#ffffff;'>"
            f"&nbsp;{role}&nbsp;</span>&nbsp;<b>{count}</b>&nbsp;&nbsp;"
            for role, count in overview.by_role)
        self.body.setText(f"<span style='font-size:20pt; font-weight:600'>{overview.total}</span>"
                          f" model{'' if overview.total == 1 else 's'}<br><br>{badges}")


class LatestCard(_Card):
    def __init__(self, context: ViewContext) -> None:
        super().__init__(context)
        self.note = muted_label()
        self.layout_.addWidget(self.note)
        self._render(self.state.snapshot)

    def render(self, snapshot: RegistrySnapshot) -> None:
        latest = model_overview(snapshot.models).latest
        if latest is None:
            self.body.setText("No models yet.")
            self.note.clear()
            return
        date = (latest.get("training_date") or latest.get("created_at") or "")[:10]
        self.body.setText(f"<b>{title_of(latest)}</b><br>{latest.get('base_model') or ''}")
        self.note.setText(f"{latest.get('role')} · {date} · final loss "
                          f"{format_loss(latest.get('final_loss'))}")


class PendingCard(_Card):
    def __init__(self, context: ViewContext) -> None:
        super().__init__(context)
        self._render(self.state.snapshot)

    def render(self, snapshot: RegistrySnapshot) -> None:
        overview = model_overview(snapshot.models)
        if not overview.total:
            self.body.setText("Nothing to do yet.")
            return

        def names(models: list) -> str:
            shown = ", ".join(title_of(m) for m in models[:3])
            return shown + (f" and {len(models) - 3} more" if len(models) > 3 else "")

        lines = [f"<b>{len(overview.not_converted)}</b> not converted to GGUF"
                 + (f": {names(overview.not_converted)}" if overview.not_converted else ""),
                 f"<b>{len(overview.not_deployed)}</b> not deployed"
                 + (f": {names(overview.not_deployed)}" if overview.not_deployed else "")]
        self.body.setText("<br>".join(lines))
