"""Current deployments: status, endpoint, uptime, memory; stop, log, remove, chat.

Statuses come from the backends (an Ollama round trip, an engine lookup) on a worker thread,
refreshed every few seconds and whenever a deployment changes.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QColor, QDesktopServices
from PySide6.QtWidgets import (
    QHBoxLayout,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.api import format_bytes
from studio.plugins.deploy.widgets.common import (
    DeployEvents,
    OpenChat,
    format_uptime,
    label,
    manager_of,
)
from studio.shell.api import Background, ViewContext, current_theme, icon, setup_record_table

__all__ = ["DeploymentsView"]

COLUMNS = ("Deployment", "Model", "Backend", "Quant", "Status", "Endpoint", "Uptime", "Memory")
STATE_TOKENS = {"ready": "success", "idle": "info", "down": "error", "error": "error",
                "stopped": "text.muted"}
REFRESH_MS = 3000
LOGS_SERVICE = "logs"  # studio.plugins.logs.api.SERVICE; not imported: Logs is optional


class DeploymentsView(QWidget):
    def __init__(self, context: ViewContext) -> None:
        super().__init__()
        self.context = context
        self.manager = manager_of(context)
        self.rows: list[tuple[Any, Any]] = []
        self._reader = Background(self)
        self._actions = Background(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        bar = QHBoxLayout()
        self.summary = label("", "muted", wrap=False)
        bar.addWidget(self.summary, 1)
        self.buttons: dict[str, QPushButton] = {}
        for key, text, glyph, slot in (
                ("chat", "Chat", "mdi6.chat-processing-outline", self.chat),
                ("stop", "Stop", "mdi6.stop-circle-outline", self.stop),
                ("log", "Log", "mdi6.text-box-outline", self.open_log),
                ("remove", "Remove…", "mdi6.delete-outline", self.remove),
                ("refresh", "", "mdi6.refresh", self.refresh)):
            button = QPushButton(icon(glyph), text)
            button.setObjectName(f"deployments-{key}")
            button.clicked.connect(slot)
            bar.addWidget(button)
            self.buttons[key] = button
        self.buttons["refresh"].setToolTip("Refresh now")
        self.buttons["log"].setToolTip("Open the server's output (servers run by the studio "
                                       "and on nodes)")
        layout.addLayout(bar)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        header = setup_record_table(self.table)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(lambda *_: self.chat())
        layout.addWidget(self.table)
        self.events = DeployEvents(context.studio, self)
        self.events.deployments_changed.connect(self.refresh)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(REFRESH_MS)
        self._update_buttons()
        self.refresh()

    def refresh(self) -> None:
        if self._reader.busy:
            return

        def read() -> list[tuple[Any, Any]]:
            return [(d, self.manager.status(d)) for d in self.manager.deployments()]

        self._reader.run(read, self._show)

    def _show(self, rows: Any, error: Exception | None) -> None:
        if error is not None:
            self.summary.setText(f"Cannot read deployments: {error}")
            return
        selected = self.selected()
        self.rows = rows
        theme = current_theme()
        self.table.setRowCount(len(rows))
        for row, (deployment, status) in enumerate(rows):
            values = (deployment.id, deployment.model_id or deployment.artifact,
                      deployment.backend, deployment.quant or "—", status.state,
                      deployment.endpoint, format_uptime(status.since),
                      format_bytes(status.memory_bytes))
            for column, value in enumerate(values):
                item = QTableWidgetItem(str(value))
                if column == 4:
                    item.setForeground(QColor(theme[STATE_TOKENS.get(status.state, "text")]))
                    item.setToolTip(status.detail)
                if column in (6, 7):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
            if selected is not None and deployment.id == selected.id:
                self.table.selectRow(row)
        self.table.resizeColumnsToContents()
        ready = sum(status.state == "ready" for _, status in rows)
        self.summary.setText(f"{len(rows)} deployment{'s' * (len(rows) != 1)}, {ready} ready"
                             if rows else "No deployments yet: use the Deploy panel.")
        self._update_buttons()

    def selected(self) -> Any:
        row = self._selected_row()
        return row[0] if row is not None else None

    def _selected_row(self) -> tuple[Any, Any] | None:
        rows = {index.row() for index in self.table.selectedIndexes()}
        if len(rows) != 1:
            return None
        row = rows.pop()
        return self.rows[row] if row < len(self.rows) else None

    def selected_log(self) -> str | None:
        row = self._selected_row()
        return row[1].log_file if row is not None else None

    def _update_buttons(self) -> None:
        has = self.selected() is not None
        for key in ("chat", "stop", "remove"):
            self.buttons[key].setEnabled(has)
        self.buttons["log"].setEnabled(self.selected_log() is not None)

    def open_log(self) -> None:
        """The server's log in the Logs workspace, following it, when the Logs plugin is
        active (it is optional); else in the desktop's default viewer."""
        path = self.selected_log()
        if path is None:
            return
        studio = self.context.studio
        if studio.services.has(LOGS_SERVICE):
            from studio.plugins.logs.api import open_log

            open_log(studio, path, follow=True)
        else:
            QDesktopServices.openUrl(QUrl.fromLocalFile(path))

    def _run(self, fn: Any, done_text: str) -> None:
        def finished(_result: Any, error: Exception | None) -> None:
            self.summary.setText(f"Failed: {error}" if error else done_text)
            self.refresh()

        self._actions.run(fn, finished)

    def stop(self) -> None:
        deployment = self.selected()
        if deployment is not None:
            self._run(lambda: self.manager.stop(deployment.id), f"Stopped {deployment.id}")

    def remove(self) -> None:
        deployment = self.selected()
        if deployment is None:
            return
        where = {"ollama": " and delete the model from Ollama"}.get(deployment.backend, "")
        answer = QMessageBox.question(self, "Remove deployment",
                                      f"Forget {deployment.label}{where}?")
        if answer == QMessageBox.StandardButton.Yes:
            self._run(lambda: self.manager.remove(deployment.id), f"Removed {deployment.id}")

    def chat(self) -> None:
        deployment = self.selected()
        if deployment is not None:
            self.context.show_view("deploy.chat")
            self.context.studio.bus.publish(OpenChat(deployment_id=deployment.id))
