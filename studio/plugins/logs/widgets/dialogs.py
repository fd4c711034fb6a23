"""Small dialogs of the Logs view: go to line, go to time, show a whole (very long) line, open
a remote log."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from studio.plugins.logs.formats import parse_user_timestamp
from studio.plugins.logs.navigation import find_time, first_timestamp
from studio.plugins.logs.render import render_bytes

if TYPE_CHECKING:
    from studio.plugins.logs.widgets.log_tab import LogTab

__all__ = ["WHOLE_LINE_CHUNK", "RemoteLogDialog", "go_to_line", "go_to_time", "show_whole_line"]

WHOLE_LINE_CHUNK = 1000  # characters per row when a very long line is shown whole
WHOLE_LINE_LIMIT = 64 << 20


def go_to_line(tab: LogTab) -> None:
    count = tab.doc.line_count
    if not count:
        return
    current = (tab.view.current_line or 0) + 1
    line, ok = QInputDialog.getInt(tab, "Go to Line", f"Line (1 to {count:,}):", current, 1, count)
    if ok:
        tab.view.go_to_line(line - 1)
        tab.view.setFocus()


def go_to_time(tab: LogTab) -> None:
    doc = tab.doc
    if doc.format.timestamp is None:
        tab.show_info(f"{doc.format.title} logs have no timestamps to go to", error=True)
        return
    text, ok = QInputDialog.getText(tab, "Go to Time",
                                    "Time (2025-12-22 18:31:02, or 18:31 on the log's first day):")
    if not ok or not text.strip():
        return
    try:
        line = find_time(doc, parse_user_timestamp(text, first_timestamp(doc)))
    except ValueError as exc:
        tab.show_info(str(exc), error=True)
        return
    if line is None:
        tab.show_info(f"no timestamps found in {doc.path.name}", error=True)
        return
    tab.view.go_to_line(line)
    tab.view.setFocus()


def show_whole_line(tab: LogTab, line: int) -> QDialog:
    """A read-only window with the whole line, cut into rows of WHOLE_LINE_CHUNK characters."""
    raw = tab.doc.raw_line(line, WHOLE_LINE_LIMIT)
    text = render_bytes(raw)
    rows = "\n".join(text[i:i + WHOLE_LINE_CHUNK] for i in range(0, len(text), WHOLE_LINE_CHUNK))
    dialog = QDialog(tab)
    dialog.setWindowTitle(f"{tab.doc.path.name}: line {line + 1:,}")
    note = QLabel(f"{len(raw):,} bytes, shown in rows of {WHOLE_LINE_CHUNK:,} characters"
                  + (" (first 64 MB)" if len(raw) >= WHOLE_LINE_LIMIT else ""))
    note.setProperty("role", "muted")
    editor = QPlainTextEdit()
    editor.setReadOnly(True)
    editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    editor.setFont(tab.view.font())
    editor.setPlainText(rows)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(note)
    layout.addWidget(editor, 1)
    layout.addWidget(buttons)
    dialog.resize(900, 600)
    dialog.setObjectName("logs-whole-line")
    dialog.show()
    return dialog


class RemoteLogDialog(QDialog):
    """Host (from sync.toml / nodes.toml) and path of a log to open over SSH."""

    def __init__(self, parent: QWidget | None, hosts: list[str], problems: list[str]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open Remote Log")
        self.setObjectName("logs-remote-dialog")
        self.host = QComboBox()
        self.host.addItems(hosts)
        self.path = QLineEdit()
        self.path.setPlaceholderText("/home/me/runs/qwen-lora/train.log")
        self.follow = QCheckBox("Follow while the file grows (tail -F)")
        self.follow.setChecked(True)
        note = QLabel("Hosts come from sync.toml and nodes.toml; host keys must already be in "
                      "known_hosts (they are never accepted automatically)."
                      if hosts else "No SSH hosts are configured: add [hosts.NAME] to sync.toml "
                      "or ssh fields to nodes.toml.")
        note.setWordWrap(True)
        note.setProperty("role", "muted" if hosts else "error")
        form = QFormLayout()
        form.addRow("Host", self.host)
        form.addRow("File", self.path)
        form.addRow("", self.follow)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        for problem in problems:
            shown = QLabel(problem)
            shown.setWordWrap(True)
            shown.setProperty("role", "error")
            layout.addWidget(shown)
        layout.addWidget(self.buttons)
        self.path.textChanged.connect(self._update)
        self._update()
        self.resize(560, self.sizeHint().height())

    def _update(self) -> None:
        ready = bool(self.host.currentText() and self.path.text().strip())
        self.buttons.button(QDialogButtonBox.StandardButton.Open).setEnabled(ready)

    def choice(self) -> tuple[str, str, bool]:
        return self.host.currentText(), self.path.text().strip(), self.follow.isChecked()
