"""The strips around a log: a dismissible marker bar and the status line's text."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from studio.api import format_bytes
from studio.plugins.logs.document import LogDocument
from studio.plugins.logs.follow import ChangeKind
from studio.shell.api import icon

__all__ = ["InfoBar", "status_text"]


class InfoBar(QWidget):
    """A marker (truncated, rotated, deleted …) or a problem (a bad pattern), until dismissed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setProperty("role", "warning")
        self.close_button = QToolButton()
        self.close_button.setIcon(icon("mdi6.close"))
        self.close_button.setToolTip("Dismiss")
        self.close_button.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button)
        self.hide()

    def text(self) -> str:
        return self.label.text()

    def show_message(self, text: str, *, error: bool = False) -> None:
        self.label.setText(text)
        self.label.setProperty("role", "error" if error else "warning")
        self.label.style().unpolish(self.label)
        self.label.style().polish(self.label)
        self.show()


def status_text(doc: LogDocument, *, following: bool, at_bottom: bool) -> str:
    """"12,345 lines · 1.2 MB · UTF-8 · Python logging · following" and the like."""
    parts = [f"{doc.line_count:,} lines", format_bytes(doc.size), doc.encoding.upper(),
             doc.format.title]
    if not doc.complete:
        parts.append(f"indexing {doc.progress():.0%}")
    if following:
        parts.append("following" if at_bottom else "following (scrolled up)")
    if doc.events and doc.events[-1].kind.waits and doc.tracker.absent:
        parts.append("deleted" if doc.events[-1].kind is ChangeKind.DELETED else "moved away")
    return " · ".join(parts)
