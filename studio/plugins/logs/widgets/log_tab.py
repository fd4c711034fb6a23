"""One log in a tab: the viewport, search and filter, follow, bookmarks, progress, markers.

The tab talks to a :class:`~studio.plugins.logs.document.LogDocument` (Qt-free) and runs its
slow work as studio jobs: loading (index + levels) and searching, each with progress and
Cancel here and in the Jobs view. Document changes arrive from the watcher or job threads and
are re-emitted on the GUI thread through :attr:`LogTab.document_changed`.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.api import NULL_CONTEXT, Job
from studio.plugins.logs.document import DocumentChanged, LogDocument
from studio.plugins.logs.query import SearchError, SearchQuery
from studio.plugins.logs.search import SearchResult, search_document
from studio.plugins.logs.service import BookmarksChanged, LogsService
from studio.plugins.logs.structure import LineRows, MatchRows
from studio.plugins.logs.widgets import dialogs
from studio.plugins.logs.widgets.info_bar import InfoBar, status_text
from studio.plugins.logs.widgets.search_bar import SearchBar
from studio.plugins.logs.widgets.viewport import LogViewport
from studio.shell.api import icon

__all__ = ["LogTab"]

SYNC_SEARCH_BYTES = 1 << 20  # appended text searched at once on the GUI thread (else a job)


class LogTab(QWidget):
    document_changed = Signal(object)  # DocumentChanged, from any thread
    title_changed = Signal()

    def __init__(self, service: LogsService, doc: LogDocument, *, follow: bool = False,
                 font_size: int = 10, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.studio = service.studio
        self.doc = doc
        self.follow = False
        self.query = SearchQuery()
        self.result: SearchResult | None = None
        self.search_job: Job | None = None
        self.load_job: Job | None = None
        self._watch: Any = None
        self.search = SearchBar()
        self.info = InfoBar()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setMaximumHeight(14)
        self.progress_label = QLabel()
        self.progress_label.setProperty("role", "muted")
        self.cancel = QToolButton()
        self.cancel.setText("Cancel")
        self.follow_button = QToolButton()
        self.follow_button.setCheckable(True)
        self.follow_button.setText("Follow")
        self.follow_button.setIcon(icon("mdi6.arrow-collapse-down"))
        self.follow_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.follow_button.setToolTip("Stay at the end while the file grows (tail -F)")
        self.view = LogViewport(doc, LineRows(), font_size=font_size)
        self.filter_view = LogViewport(doc, MatchRows(), font_size=font_size)
        self.filter_header = QLabel()
        self.filter_header.setProperty("role", "muted")
        self.status = QLabel()
        self.status.setProperty("role", "muted")
        self._build_layout()
        self._connect()
        self.view.set_bookmarks(set(service.bookmarks.lines(self.key)))
        self._unsubscribe = doc.subscribe(self.document_changed.emit)
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._poll_jobs)
        # Index the rest once the head is on screen: the first paint never waits for the job.
        self.view.first_painted.connect(self._start_loading)
        QTimer.singleShot(250, self, self._start_loading)  # a tab not shown still loads
        self._loading_started = False
        self.set_follow(follow)
        self.update_status()

    def _start_loading(self) -> None:
        if self._loading_started or self.doc.closed:
            return
        self._loading_started = True
        self.load_job = self.service.load(self.doc)
        self._poll_jobs()

    # -- layout --------------------------------------------------------------------------
    def _build_layout(self) -> None:
        progress_row = QWidget()
        progress_layout = QHBoxLayout(progress_row)
        progress_layout.setContentsMargins(6, 0, 6, 0)
        progress_layout.addWidget(self.progress, 1)
        progress_layout.addWidget(self.progress_label)
        progress_layout.addWidget(self.cancel)
        self.progress_row = progress_row
        progress_row.hide()
        self.filter_pane = QWidget()
        filter_layout = QVBoxLayout(self.filter_pane)
        filter_layout.setContentsMargins(0, 0, 0, 0)
        filter_layout.setSpacing(0)
        self.filter_header.setContentsMargins(6, 2, 6, 2)
        filter_layout.addWidget(self.filter_header)
        filter_layout.addWidget(self.filter_view, 1)
        self.filter_pane.hide()
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.filter_pane)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        status_row = QWidget()
        status_layout = QHBoxLayout(status_row)
        status_layout.setContentsMargins(6, 0, 6, 2)
        status_layout.addWidget(self.status, 1)
        status_layout.addWidget(self.follow_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        for widget in (self.search, self.info, progress_row):
            layout.addWidget(widget)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(status_row)

    def _connect(self) -> None:
        self.document_changed.connect(self._on_document_changed)
        self.search.query_changed.connect(self.run_search)
        self.search.step.connect(self.step_match)
        self.search.filter_toggled.connect(self.show_filter)
        self.follow_button.toggled.connect(self.set_follow)
        self.cancel.clicked.connect(self.cancel_jobs)
        self.filter_view.line_activated.connect(self.view.go_to_line)
        self.view.bookmark_clicked.connect(self.toggle_bookmark)
        self.filter_view.bookmark_clicked.connect(self.toggle_bookmark)
        for view in (self.view, self.filter_view):
            view.expand_requested.connect(lambda line: dialogs.show_whole_line(self, line))
        self.view.scrolled.connect(self._user_scrolled)
        shortcuts = {
            "Ctrl+F": self.focus_search, "F3": lambda: self.step_match(1),
            "Shift+F3": lambda: self.step_match(-1), "Ctrl+G": self.go_to_line_dialog,
            "Ctrl+T": self.go_to_time_dialog, "Ctrl+B": self.toggle_bookmark,
            "F2": lambda: self.step_bookmark(1), "Shift+F2": lambda: self.step_bookmark(-1),
            "End": lambda: self.set_follow(True),
        }
        for keys, slot in shortcuts.items():
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    @property
    def key(self) -> str:
        """The bookmark / recent-files key of this log."""
        return str(self.doc.path)

    def title(self) -> str:
        return self.doc.path.name

    # -- document changes ----------------------------------------------------------------
    def _on_document_changed(self, change: DocumentChanged) -> None:
        if change.kind == "restarted":
            event = self.doc.events[-1] if self.doc.events else None
            if event is not None:
                stamp = time.strftime("%H:%M:%S", time.localtime(event.at))
                self.show_info(f"{stamp}: {event.description} ({event.lines_before:,} lines "
                               "before)")
            self.view.refresh()
            self.result = None
            self.run_search(self.query)
            if self.follow:
                self.view.scroll_to_end()
        elif change.kind == "gone":
            event = self.doc.events[-1]
            stamp = time.strftime("%H:%M:%S", time.localtime(event.at))
            self.show_info(f"{stamp}: {event.description}")
        else:
            self.view.refresh(keep_bottom=True)
            if change.kind == "appended":
                self._extend_search()
        self.update_status()

    def _extend_search(self) -> None:
        result = self.result
        if result is None or not result.complete or self.search_job is not None:
            return
        if result.generation != self.doc.generation:
            self.run_search(self.query)
            return
        try:
            search_document(self.doc, self.query, NULL_CONTEXT, result)
        except SearchError:
            return
        self._show_result()

    # -- search --------------------------------------------------------------------------
    def run_search(self, query: SearchQuery) -> None:
        """Start searching for ``query`` (cancelling a running search)."""
        if self.doc.closed:
            return
        self.query = query
        if self.search_job is not None:
            self.search_job.cancel()
            self.search_job = None
        if query.empty:
            self.result = None
            self.view.set_search(None)
            self._show_result()
            return
        try:
            searcher = query.compile()
        except SearchError as exc:
            self.result = None
            self.view.set_search(None)
            self.show_info(str(exc), error=True)
            self._show_result()
            return
        self.info.hide()
        self.view.set_search(searcher)
        self.filter_view.set_search(searcher)
        result = SearchResult(query, self.doc.generation)
        self.result = result

        def work(ctx: Any) -> SearchResult:
            return search_document(self.doc, query, ctx, result)

        self.search_job = self.studio.jobs.submit(
            f"Searching {self.doc.path.name} for {query.describe()}", work)
        self._timer.start()
        self._show_result()

    def step_match(self, direction: int) -> None:
        result = self.result
        current = self.view.current_line or 0
        if result is None:
            return
        line = result.next_after(current) if direction > 0 else result.previous_before(current)
        if line is not None:
            self.view.current_match = line
            self.filter_view.current_match = line
            self.view.go_to_line(line)
            self.filter_view.go_to_line(line, center=False)
            self._show_result()

    def show_filter(self, shown: bool) -> None:
        self.filter_pane.setVisible(shown)
        self._show_result()

    def _show_result(self) -> None:
        result = self.result
        if result is None:
            self.search.count.setText("")
            self.filter_header.setText("Search or pick levels to list the matching lines here")
            self.filter_view.set_rows(MatchRows())
            return
        total = result.count
        running = "…" if not result.complete else ""
        current = self.view.current_match
        if current is not None and total:
            rank = result.rank_of(current) + 1
            self.search.count.setText(f"{rank:,} of {total:,}{running}")
        else:
            self.search.count.setText(f"{total:,} match{'es' if total != 1 else ''}{running}")
        self.filter_header.setText(
            f"{total:,} matching line{'s' if total != 1 else ''} for {result.query.describe()}"
            f"{' (searching…)' if running else ''} · click one to show it in the log above")
        self.filter_view.set_rows(MatchRows(result.lines))
        self.filter_view.refresh(keep_bottom=True)

    # -- jobs ----------------------------------------------------------------------------
    def _poll_jobs(self) -> None:
        jobs = [job for job in (self.load_job, self.search_job) if job is not None]
        running = [job for job in jobs if not job.state.finished]
        for job in jobs:
            if job.state.finished:
                self._job_finished(job)
        if running:
            job = running[-1]
            self.progress.setValue(round((job.fraction or 0) * 1000))
            self.progress_label.setText(f"{job.title} · {job.message}")
            self.progress_row.show()
            self._timer.start()
            self.view.refresh(keep_bottom=self.follow)
            if self.result is not None:
                self._show_result()
        else:
            self.progress_row.hide()
            self._timer.stop()
        self.update_status()

    def _job_finished(self, job: Job) -> None:
        if job is self.load_job:
            self.load_job = None
            if job.error:
                self.show_info(f"Indexing failed: {job.error}", error=True)
            self.view.refresh(keep_bottom=self.follow)
        elif job is self.search_job:
            self.search_job = None
            if job.error:
                self.show_info(f"Search failed: {job.error}", error=True)
            self._show_result()

    def cancel_jobs(self) -> None:
        for job in (self.search_job, self.load_job):
            if job is not None:
                job.cancel()

    # -- follow, bookmarks, navigation ---------------------------------------------------
    def set_follow(self, follow: bool) -> None:
        follow = bool(follow)
        changed = follow != self.follow or self._watch is None
        self.follow = follow
        if self.follow_button.isChecked() != follow:
            self.follow_button.setChecked(follow)
        if changed:
            if self._watch is not None:
                self._watch.cancel()
            self._watch = self.service.watch(self.doc, follow=follow)
        if follow:
            self.view.scroll_to_end()
        self.update_status()

    def _user_scrolled(self) -> None:
        self.update_status()

    def toggle_bookmark(self, line: int | None = None) -> None:
        line = self.view.current_line if line is None else line
        if line is None:
            return
        self.service.bookmarks.toggle(self.key, line)
        self.reload_bookmarks()
        self.studio.bus.publish(BookmarksChanged(path=self.key))

    def reload_bookmarks(self) -> None:
        marks = set(self.service.bookmarks.lines(self.key))
        self.view.set_bookmarks(marks)
        self.filter_view.set_bookmarks(marks)

    def step_bookmark(self, direction: int) -> None:
        marks = sorted(self.view.bookmarks)
        current = self.view.current_line or 0
        following = [m for m in marks if (m > current if direction > 0 else m < current)]
        if following:
            self.view.go_to_line(following[0] if direction > 0 else following[-1])

    def focus_search(self) -> None:
        self.search.focus()

    def go_to_line_dialog(self) -> None:
        dialogs.go_to_line(self)

    def go_to_time_dialog(self) -> None:
        dialogs.go_to_time(self)

    # -- status --------------------------------------------------------------------------
    def show_info(self, text: str, *, error: bool = False) -> None:
        self.info.show_message(text, error=error)

    def update_status(self) -> None:
        self.status.setText(status_text(self.doc, following=self.follow,
                                        at_bottom=self.view.at_bottom()))

    def close_document(self) -> None:
        self.search.stop()
        self._timer.stop()
        self.cancel_jobs()
        for view in (self.view, self.filter_view):
            view.set_search(None)  # the compiled pattern goes with the tab
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        self._unsubscribe()
        self.doc.close()
        self.service.document_closed(self.doc.path)  # a remote log's mirror stops
