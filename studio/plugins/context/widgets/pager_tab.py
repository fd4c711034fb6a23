"""A text file too big to edit: read-only, page by page, with a clear note.

The first page shows straight from the file's first bytes; the line index is built as a studio
job (progress, Cancel in the Jobs view) and then every page, "go to line" and whole-file search
(also a job) work. Nothing is loaded whole.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.plugins.context.highlight import lexer_for
from studio.plugins.context.listing import format_size
from studio.plugins.context.paging import Page, PagedText, PageHit
from studio.plugins.context.widgets.code_editor import CodeEditor
from studio.plugins.context.widgets.common import Workers, editor_font, icon
from studio.plugins.context.widgets.highlighter import PygmentsHighlighter

__all__ = ["PagerTab"]


class _Relay(QObject):
    done = Signal(object)


class PagerTab(QWidget):
    page_shown = Signal(int)
    indexed = Signal(int)  # line count
    found = Signal(object)  # list[PageHit]

    def __init__(self, studio: Any, path: str | Path, limit: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        self.path = Path(path)
        self.pager = PagedText(self.path)
        self.page: Page | None = None
        self.hits: list[PageHit] = []
        self._hit = -1
        self._workers = Workers(self, max_workers=1, name="context-pager")
        self.note = QLabel(
            f"Read-only: {self.path.name} is {format_size(self.pager.size)}, above the "
            f"{format_size(limit)} edit limit (Preferences ▸ Context). It is shown "
            f"{self.pager.page_lines:,} lines per page; nothing is loaded whole.")
        self.note.setObjectName("pagerNote")
        self.note.setWordWrap(True)
        self.note.setProperty("role", "warning")
        self.editor = CodeEditor()
        self.editor.setReadOnly(True)
        self.editor.setFont(editor_font(studio))
        self.highlighter = PygmentsHighlighter(self.editor, lexer_for(self.path))
        self.page_box = QSpinBox()
        self.page_box.setMinimum(1)
        self.page_box.setMaximum(1)
        self.page_box.setPrefix("Page ")
        self.page_box.editingFinished.connect(lambda: self.show_page(self.page_box.value() - 1))
        self.page_total = QLabel("of …")
        self.line_field = QLineEdit()
        self.line_field.setPlaceholderText("Go to line")
        self.line_field.setMaximumWidth(120)
        self.line_field.returnPressed.connect(self._go_line)
        self.find_field = QLineEdit()
        self.find_field.setPlaceholderText("Find in the whole file (literal; /regex/)")
        self.find_field.returnPressed.connect(self.find)
        next_hit = QPushButton(icon("mdi6.chevron-down"), "")
        next_hit.clicked.connect(self.next_hit)
        self.status = QLabel("")
        self.status.setProperty("role", "muted")
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 2, 6, 2)
        for widget in (self.page_box, self.page_total, self.line_field, self.find_field,
                       next_hit, self.status):
            bar.addWidget(widget)
        bar.setStretch(3, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.note)
        layout.addLayout(bar)
        layout.addWidget(self.editor, 1)
        QShortcut(QKeySequence("Ctrl+G"), self, self.line_field.setFocus,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence("Ctrl+F"), self, self.find_field.setFocus,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._index_relay = _Relay(self)
        self._index_relay.done.connect(self._index_done)
        self._find_relay = _Relay(self)
        self._find_relay.done.connect(self._find_done)
        self.index_job: Any = None
        self._workers.run(self.pager.first_page, self._show)
        self._start_index()

    def _start_index(self) -> None:
        pager = self.pager
        job = self.studio.jobs.submit(f"Index lines of {self.path.name}", pager.build_index)
        self.index_job = job
        job.future.add_done_callback(lambda _f: self._index_relay.done.emit(job))
        self.status.setText("Indexing lines…")

    def _index_done(self, job: Any) -> None:
        if job.error or job.result is None:
            self.status.setText(f"Line index not built ({job.error or job.state.value}); only "
                                "the first page is shown")
            return
        pages = self.pager.page_count or 1
        self.page_box.setMaximum(pages)
        self.page_total.setText(f"of {pages:,} ({job.result:,} lines)")
        self.status.setText("")
        self.indexed.emit(job.result)

    def _show(self, page: Page | None, error: Exception | None, line: int | None = None) -> None:
        if error is not None or page is None:
            self.status.setText(f"Cannot read: {error}")
            return
        self.page = page
        self.editor.first_line_number = page.first_line + 1
        self.editor.setPlainText(page.text)
        self.page_box.setValue(page.number + 1)
        if page.clipped_lines:
            self.status.setText(f"{page.clipped_lines} long line(s) clipped on this page")
        if line is not None:
            self.editor.go_to(line)
        self.page_shown.emit(page.number)

    def show_page(self, number: int, line: int | None = None) -> None:
        if not self.pager.indexed and number != 0:
            self.status.setText("The line index is still being built…")
            return
        self._workers.run(lambda: self.pager.page(number),
                          lambda page, error: self._show(page, error, line), key="page")

    def go_to_line(self, line: int) -> None:
        """Show the page holding 1-based ``line`` with the cursor on it."""
        self.show_page(self.pager.page_of_line(line - 1), line)

    def _go_line(self) -> None:
        try:
            self.go_to_line(int(self.line_field.text().strip()))
        except ValueError:
            self.line_field.selectAll()

    def find(self) -> Any:
        text = self.find_field.text()
        if not text:
            return None
        regex = len(text) > 2 and text.startswith("/") and text.endswith("/")
        pattern = text[1:-1] if regex else text
        pager = self.pager

        def work(ctx: Any) -> list[PageHit]:
            return pager.find(pattern, regex=regex, case_sensitive=False, ctx=ctx)

        job = self.studio.jobs.submit(f"Find in {self.path.name}", work)
        job.future.add_done_callback(lambda _f: self._find_relay.done.emit(job))
        self.status.setText("Searching the whole file…")
        return job

    def _find_done(self, job: Any) -> None:
        if job.error:
            self.status.setText(f"Search failed: {job.error}")
            return
        self.hits = job.result or []
        self._hit = -1
        self.status.setText(f"{len(self.hits):,} matching line(s)" if self.hits else "No match")
        self.found.emit(self.hits)
        if self.hits:
            self.next_hit()

    def next_hit(self) -> None:
        if not self.hits:
            return
        self._hit = (self._hit + 1) % len(self.hits)
        hit = self.hits[self._hit]
        self.show_page(self.pager.page_of_line(hit.line), hit.line + 1)

    def close_file(self) -> None:
        if self.index_job is not None:
            self.index_job.cancel()
