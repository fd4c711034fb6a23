"""Small dialogs of a log tab: go to line, go to time, show a whole (very long) line."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QInputDialog,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
)

from studio.plugins.logs.formats import parse_user_timestamp
from studio.plugins.logs.navigation import find_time, first_timestamp
from studio.plugins.logs.render import render_bytes

if TYPE_CHECKING:
    from studio.plugins.logs.widgets.log_tab import LogTab

__all__ = ["WHOLE_LINE_CHUNK", "go_to_line", "go_to_time", "show_whole_line"]

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
