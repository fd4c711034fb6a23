"""The Hello card on the Dashboard: the greeting and the way to the Hello dock."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from hello_studio.greeting import make_greeting
from studio.shell.api import icon


class HelloCard(QWidget):
    """A dashboard card body; the dashboard draws the frame and the "Hello" title."""

    def __init__(self, context: Any) -> None:
        super().__init__()
        studio = context.studio
        text = QLabel(make_greeting(studio.settings, studio.context.path))
        text.setObjectName("hello-card-text")
        text.setWordWrap(True)
        greet = QPushButton(icon("mdi6.hand-wave-outline"), "Greet")
        greet.clicked.connect(lambda: context.run_command("hello.greet"))
        open_view = QPushButton("Open Hello view")
        open_view.clicked.connect(lambda: context.show_view("hello.main"))
        buttons = QHBoxLayout()
        buttons.addWidget(greet)
        buttons.addWidget(open_view)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(text)
        layout.addLayout(buttons)
        layout.addStretch(1)
        layout.setAlignment(Qt.AlignmentFlag.AlignTop)
