"""Chat with a deployment: streaming answers, a stop button, per-message timings.

The conversation is a :class:`~studio.plugins.deploy.chat.ChatSession`; each answer streams on
a worker thread and its pieces reach the transcript through a queued Qt signal, repainted at
most every 40 ms, so a fast model never floods the GUI thread.
"""

from __future__ import annotations

import html
import threading
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from studio.plugins.deploy.api import GenerationParams
from studio.plugins.deploy.chat import ChatSession, ChatTurn
from studio.plugins.deploy.widgets.common import DeployEvents, label, manager_of
from studio.shell.api import Background, ViewContext, current_theme, icon

__all__ = ["ChatView"]

REPAINT_MS = 40


class _Stream(QObject):
    piece = Signal(str)
    finished = Signal(object)  # ChatTurn


class ChatView(QWidget):
    def __init__(self, context: ViewContext) -> None:
        super().__init__()
        self.context = context
        self.studio = context.studio
        self.manager = manager_of(context)
        self.session: ChatSession | None = None
        self.deployments: dict[str, Any] = {}
        self._streaming = ""
        self._wanted: str | None = None
        self._reader = Background(self)
        self._stream = _Stream(self)
        self._stream.piece.connect(self._on_piece)
        self._stream.finished.connect(self._on_finished)
        self._repaint = QTimer(self)
        self._repaint.setSingleShot(True)
        self._repaint.timeout.connect(self._render)
        self._build()
        self.events = DeployEvents(self.studio, self)
        self.events.deployments_changed.connect(self.reload)
        self.events.open_chat.connect(self.open_deployment)
        self.reload()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        top = QHBoxLayout()
        self.deployment_box = QComboBox()
        self.deployment_box.setObjectName("chat-deployment")
        self.deployment_box.currentIndexChanged.connect(lambda *_: self._new_session())
        top.addWidget(self.deployment_box, 1)
        clear = QPushButton(icon("mdi6.broom"), "Clear")
        clear.clicked.connect(self.clear)
        top.addWidget(clear)
        layout.addLayout(top)

        form = QFormLayout()
        settings = self.studio.settings if "deploy" in self.studio.settings.sections else None

        def default(key: str, fallback: Any) -> Any:
            return settings.get("deploy", key) if settings else fallback

        self.system = QLineEdit(default("system_prompt", ""))
        self.system.setPlaceholderText("System prompt (optional)")
        form.addRow("System", self.system)
        row = QHBoxLayout()
        self.temperature = self._spin(QDoubleSpinBox(), 0.0, 5.0, default("temperature", 0.7),
                                      "Temperature (0: greedy)", step=0.1)
        self.top_p = self._spin(QDoubleSpinBox(), 0.05, 1.0, 0.95, "top-p", step=0.05)
        self.top_k = self._spin(QSpinBox(), 0, 1000, 40, "top-k (0: off)")
        self.max_tokens = self._spin(QSpinBox(), 1, 32768, default("max_tokens", 256),
                                     "Max tokens")
        self.seed = self._spin(QSpinBox(), -1, 2**31 - 1, -1, "Seed")
        self.seed.setSpecialValueText("random")
        for name, widget in (("temp", self.temperature), ("top-p", self.top_p),
                             ("top-k", self.top_k), ("max", self.max_tokens),
                             ("seed", self.seed)):
            row.addWidget(label(name, "muted", wrap=False))
            row.addWidget(widget)
        row.addStretch(1)
        form.addRow("Sampling", row)
        layout.addLayout(form)

        self.transcript = QTextBrowser()
        self.transcript.setObjectName("chat-transcript")
        self.transcript.setOpenExternalLinks(False)
        layout.addWidget(self.transcript, 1)
        self.stats = label("", "muted", wrap=False)
        layout.addWidget(self.stats)
        bottom = QHBoxLayout()
        self.input = QPlainTextEdit()
        self.input.setPlaceholderText("Message (Ctrl+Enter sends)")
        self.input.setFixedHeight(64)
        bottom.addWidget(self.input, 1)
        buttons = QVBoxLayout()
        self.send_button = QPushButton(icon("mdi6.send-outline"), "Send")
        self.send_button.setProperty("role", "primary")
        self.send_button.clicked.connect(self.send)
        self.stop_button = QPushButton(icon("mdi6.stop-circle-outline"), "Stop")
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.setEnabled(False)
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.stop_button)
        bottom.addLayout(buttons)
        layout.addLayout(bottom)
        QShortcut(QKeySequence("Ctrl+Return"), self.input, self.send)

    @staticmethod
    def _spin(widget: Any, low: float, high: float, value: float, tip: str, *,
              step: float | None = None) -> Any:
        widget.setRange(low, high)
        if step is not None:
            widget.setSingleStep(step)
            widget.setDecimals(2)
        widget.setValue(value)
        widget.setToolTip(tip)
        return widget

    # -- deployments ---------------------------------------------------------------------
    def reload(self) -> None:
        self._reader.run(self.manager.deployments, self._fill)

    def _fill(self, deployments: Any, error: Exception | None) -> None:
        if error is not None:
            self.stats.setText(f"Cannot read deployments: {error}")
            return
        current = self.deployment_box.currentData()
        self.deployments = {d.id: d for d in deployments}
        self.deployment_box.blockSignals(True)
        self.deployment_box.clear()
        for deployment in deployments:
            self.deployment_box.addItem(deployment.label, deployment.id)
        if not deployments:
            self.deployment_box.addItem("No deployments: deploy a model first", None)
        wanted, self._wanted = self._wanted, None
        index = self.deployment_box.findData(wanted if wanted in self.deployments else current)
        self.deployment_box.setCurrentIndex(max(index, 0))
        self.deployment_box.blockSignals(False)
        if self.session is None or self.deployment_box.currentData() != current:
            self._new_session()
        self._update_buttons()

    def open_deployment(self, deployment_id: str) -> None:
        index = self.deployment_box.findData(deployment_id)
        if index < 0:  # a brand-new deployment: select it once the list is read again
            self._wanted = deployment_id
            self.reload()
            return
        self.deployment_box.setCurrentIndex(index)

    def _new_session(self) -> None:
        if self.session is not None and self.session.busy:
            self.session.stop()
        deployment = self.deployments.get(self.deployment_box.currentData())
        self.session = (ChatSession(self.manager.generate, deployment)
                        if deployment is not None else None)
        self._streaming = ""
        self._render()
        self._update_buttons()

    def _params(self) -> GenerationParams:
        seed = self.seed.value()
        return GenerationParams(max_tokens=self.max_tokens.value(),
                                temperature=round(self.temperature.value(), 2),
                                top_p=round(self.top_p.value(), 2), top_k=self.top_k.value(),
                                seed=None if seed < 0 else seed)

    # -- conversation --------------------------------------------------------------------
    def send(self) -> None:
        text = self.input.toPlainText().strip()
        session = self.session
        if not text or session is None or session.busy:
            return
        session.system_prompt = self.system.text()
        session.params = self._params()
        self.input.clear()
        self._streaming = ""
        self.stats.setText("Generating…")
        self._update_buttons(generating=True)

        def work() -> None:
            turn = session.reply(text, self._stream.piece.emit)
            self._stream.finished.emit(turn)

        threading.Thread(target=work, name="deploy-chat", daemon=True).start()
        self._render()

    def stop(self) -> None:
        if self.session is not None:
            self.session.stop()

    def clear(self) -> None:
        if self.session is not None:
            self.session.clear()
        self._streaming = ""
        self._render()

    def _on_piece(self, piece: str) -> None:
        self._streaming += piece
        if not self._repaint.isActive():
            self._repaint.start(REPAINT_MS)

    def _on_finished(self, turn: ChatTurn) -> None:
        self._streaming = ""
        if turn.error:
            self.stats.setText(f"Failed: {turn.error}")
        elif turn.stats is not None:
            self.stats.setText(turn.stats.summary())
        self._render()
        self._update_buttons()

    def _update_buttons(self, generating: bool | None = None) -> None:
        busy = generating if generating is not None else bool(self.session and
                                                               self.session.busy)
        self.send_button.setEnabled(self.session is not None and not busy)
        self.stop_button.setEnabled(busy)

    def _render(self) -> None:
        theme = current_theme()
        blocks = []
        turns = list(self.session.turns) if self.session is not None else []
        if self.session is not None and self.session.busy:
            turns.append(ChatTurn("assistant", self._streaming + "▍"))
        if self.session is not None and self.session.system_prompt.strip() and turns:
            blocks.append(self._block("system", self.session.system_prompt, None,
                                      theme["text.muted"]))
        for turn in turns:
            colour = theme["accent"] if turn.role == "user" else theme["success"]
            note = turn.error or (turn.stats.summary() if turn.stats else None)
            blocks.append(self._block(turn.role, turn.content, note,
                                      theme["error"] if turn.error else colour))
        self.transcript.setHtml("".join(blocks) or
                                f"<p style='color:{theme['text.muted']}'>"
                                "Pick a deployment and say something.</p>")
        bar = self.transcript.verticalScrollBar()
        bar.setValue(bar.maximum())

    @staticmethod
    def _block(role: str, content: str, note: str | None, colour: str) -> str:
        theme = current_theme()
        text = html.escape(content).replace("\n", "<br>")
        extra = (f"<div style='color:{theme['text.muted']};font-size:small'>"
                 f"{html.escape(note)}</div>") if note else ""
        return (f"<div style='margin-bottom:10px'><b style='color:{colour}'>{role}</b>"
                f"<div style='white-space:pre-wrap'>{text}</div>{extra}</div>")
