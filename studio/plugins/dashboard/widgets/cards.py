"""The foundation's dashboard cards: context root, plugins, getting started."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from studio.api import HAFS_SKELETON, PluginChanged, PluginState
from studio.shell.api import ViewContext, icon

__all__ = ["ContextCard", "PluginsCard", "StartCard"]


def _muted(text: str) -> QLabel:
    label = QLabel(text)
    label.setProperty("role", "muted")
    label.setWordWrap(True)
    return label


class ContextCard(QWidget):
    """Where the data comes from and which hafs folders exist there."""

    def __init__(self, context: ViewContext) -> None:
        super().__init__()
        root = context.studio.context
        form = QFormLayout(self)
        form.setContentsMargins(0, 4, 0, 0)
        path = QLabel(str(root.path))
        path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        path.setWordWrap(True)
        form.addRow("Path", path)
        form.addRow("From", _muted(root.source))
        present = [name for name in HAFS_SKELETON if (root.path / name).is_dir()]
        form.addRow("Folders", _muted(", ".join(present) if present else "none yet"))


class PluginsCard(QWidget):
    """Counts of active, disabled and errored plugins, with a way to the details."""

    def __init__(self, context: ViewContext) -> None:
        super().__init__()
        self._studio = context.studio
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        self.summary = QLabel()
        self.summary.setObjectName("plugins-summary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.summary)
        button = QPushButton(icon("mdi6.puzzle-outline"), "Manage plugins…")
        button.clicked.connect(lambda: context.run_command("workbench.plugins"))
        layout.addWidget(button, 0, Qt.AlignmentFlag.AlignLeft)
        context.subscribe(PluginChanged.topic, self._refresh, batch=True)
        self._refresh()

    def _refresh(self, _events: object = None) -> None:
        records = list(self._studio.plugins.records.values())
        counts = {state: sum(r.state is state for r in records) for state in PluginState}
        parts = [f"<b>{counts[PluginState.ACTIVE]}</b> active"]
        if counts[PluginState.DISABLED]:
            parts.append(f"<b>{counts[PluginState.DISABLED]}</b> disabled")
        if counts[PluginState.ERRORED]:
            parts.append(f"<b>{counts[PluginState.ERRORED]}</b> with errors")
        total_ms = sum(r.load_ms + r.activate_ms for r in records)
        self.summary.setText(" · ".join(parts) + f"<br>loaded in {total_ms:.0f} ms")


class StartCard(QWidget):
    """The few shortcuts that open everything else."""

    def __init__(self, context: ViewContext) -> None:
        super().__init__()
        commands = context.studio.commands
        form = QFormLayout(self)
        form.setContentsMargins(0, 4, 0, 0)
        for command_id in ("workbench.palette", "workbench.shortcuts", "workbench.preferences"):
            if command_id in commands:
                spec = commands.get(command_id)
                key = commands.shortcut(command_id) or "—"
                form.addRow(_muted(key), QLabel(spec.title.rstrip("…")))
        form.addRow(_muted("Ctrl+1…8"), QLabel("Switch workspace"))
