"""The Logs view: open logs as tabs; drag and drop; requests from other plugins.

When no log is open it shows how to open one and the recent logs. A log that cannot be opened
(missing, permission denied, a folder) is reported in a banner naming the file and the reason;
no tab is left half-made.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.api import JobState, JobUpdated
from studio.plugins.logs.api import logs_service
from studio.plugins.logs.service import LogFocused, LogOpenRequested
from studio.plugins.logs.source import LogOpenError
from studio.plugins.logs.widgets.log_tab import LogTab
from studio.shell.api import ViewContext, current_shell, icon

__all__ = ["LogsView", "run_on_active_view"]

def run_on_active_view(studio: Any, method: str) -> Any:
    """Run a Logs command on the Logs view of the active window (shown first if needed)."""
    shell = current_shell()
    window = shell.active_window() if shell is not None else None
    views = [view for view in logs_service(studio).views if view.window() is window]
    view = views[0] if views else None
    if view is None and window is not None:
        window.switch_workspace("logs")
        view = window.show_view("logs.viewer")
    if view is None:
        return None
    return getattr(view, method)()


class LogsView(QWidget):
    opened = Signal(object)  # LogTab

    def __init__(self, context: ViewContext) -> None:
        super().__init__()
        self.context = context
        self.studio = context.studio
        self.service = logs_service(self.studio)
        self.service.views.add(self)
        self.setAcceptDrops(True)
        self.tabs = QTabWidget()
        self.tabs.setTabsClosable(True)
        self.tabs.setMovable(True)
        self.tabs.setDocumentMode(True)
        self.tabs.tabCloseRequested.connect(self.close_tab)
        self.tabs.currentChanged.connect(self._current_changed)
        open_button = QToolButton()
        open_button.setIcon(icon("mdi6.folder-open-outline"))
        open_button.setToolTip("Open a log (Ctrl+Shift+L)")
        open_button.clicked.connect(self.open_file_dialog)
        self.tabs.setCornerWidget(open_button, Qt.Corner.TopRightCorner)
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setProperty("role", "error")
        self.banner.hide()
        self.pages = QStackedWidget()
        self.pages.addWidget(self._empty_page())
        self.pages.addWidget(self.tabs)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.banner)
        layout.addWidget(self.pages, 1)
        # Ended by the view's destruction or the plugin's teardown (ViewContext.subscribe).
        context.subscribe("logs.open", self._on_request)
        context.subscribe("theme.changed", self._apply_theme)
        self._remote_jobs: set[int] = set()  # remote logs being opened from this view
        context.subscribe("jobs.updated", self._on_job)
        for request in self.service.take_pending():
            self._on_request(request)

    def _empty_page(self) -> QWidget:
        page = QWidget()
        title = QLabel("No log open")
        title.setProperty("role", "heading")
        hint = QLabel("Open a log with Ctrl+Shift+L or the button below, drop files here, or "
                      "run <code>hafs-studio logs view FILE</code>. Logs of any size open at "
                      "once; search, filter by level and follow them as they grow.")
        hint.setWordWrap(True)
        hint.setProperty("role", "muted")
        button = QPushButton(icon("mdi6.folder-open-outline"), "Open Log…")
        button.setProperty("primary", True)
        button.clicked.connect(self.open_file_dialog)
        self.recent_list = QListWidget()
        self.recent_list.itemActivated.connect(
            lambda item: self.open_path(item.data(Qt.ItemDataRole.UserRole)))
        recent_title = QLabel("Recent logs")
        recent_title.setProperty("role", "subheading")
        row = QHBoxLayout()
        row.addWidget(button)
        row.addStretch(1)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.addWidget(title)
        layout.addWidget(hint)
        layout.addLayout(row)
        layout.addWidget(recent_title)
        layout.addWidget(self.recent_list, 1)
        self._fill_recent()
        return page

    def _fill_recent(self) -> None:
        self.recent_list.clear()
        for path in self.service.recent.items():
            item = QListWidgetItem(icon("mdi6.file-document-outline"), path)
            item.setData(Qt.ItemDataRole.UserRole, path)
            self.recent_list.addItem(item)

    # -- opening -------------------------------------------------------------------------
    def tab_for(self, path: str | Path) -> LogTab | None:
        target = Path(path).expanduser().absolute()
        for index in range(self.tabs.count()):
            tab = self.tabs.widget(index)
            if isinstance(tab, LogTab) and tab.doc.path == target:
                return tab
        return None

    def open_path(self, path: str | Path, line: int | None = None,
                  follow: bool | None = None) -> LogTab | None:
        """Show ``path`` (0-based ``line``); an existing tab is reused. None if it failed."""
        tab = self.tab_for(path)
        if tab is None:
            try:
                doc = self.service.open_document(path)
            except LogOpenError as exc:
                self.show_problem(exc.strerror or str(exc))
                return None
            if follow is None:
                follow = bool(self.studio.settings.get("logs", "follow_new"))
            font_size = int(self.studio.settings.get("logs", "font_size") or 10)
            tab = LogTab(self.service, doc, follow=follow, font_size=font_size)
            remote = self.service.remote_label(doc.path)
            self.tabs.addTab(tab, icon("mdi6.server-network" if remote else
                                       "mdi6.text-box-outline"), tab.title())
            self.tabs.setTabToolTip(self.tabs.indexOf(tab), remote or str(doc.path))
            self.opened.emit(tab)
        elif follow:
            tab.set_follow(True)
        self.banner.hide()
        self.pages.setCurrentWidget(self.tabs)
        self.tabs.setCurrentWidget(tab)
        if line is not None:
            tab.view.go_to_line(line)
        tab.view.setFocus()
        return tab

    def _on_request(self, request: LogOpenRequested) -> None:
        self.open_path(request.path, request.line, request.follow or None)

    def open_file_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open Log", str(Path.home()),
                                                "Logs (*.log *.txt *.out *.err);;All files (*)")
        for path in paths:
            self.open_path(path)

    def open_remote_dialog(self) -> QDialog:
        """Ask for a host and a path, then mirror and follow that log (a job; its failure is
        shown in the banner, naming host and path)."""
        from studio.plugins.logs.widgets.dialogs import RemoteLogDialog

        remote = self.studio.services.remote
        dialog = RemoteLogDialog(self, sorted(remote.hosts()), [str(p) for p in remote.problems])

        def accepted() -> None:
            host, path, follow = dialog.choice()
            try:
                job = self.service.open_remote(host, path, follow=follow)
            except ValueError as exc:
                self.show_problem(str(exc))
                return
            if job is not None:
                self._remote_jobs.add(job.id)

        dialog.accepted.connect(accepted)
        dialog.open()
        return dialog

    def _on_job(self, event: JobUpdated) -> None:
        if event.job_id not in self._remote_jobs or not event.state.finished:
            return
        self._remote_jobs.discard(event.job_id)
        if event.state is JobState.FAILED:
            self.show_problem(f"{event.title} failed: {event.error}")

    def show_problem(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.show()

    def close_tab(self, index: int) -> None:
        tab = self.tabs.widget(index)
        self.tabs.removeTab(index)
        if isinstance(tab, LogTab):
            tab.close_document()
            tab.deleteLater()
        if not self.tabs.count():
            self._fill_recent()
            self.pages.setCurrentIndex(0)

    def current_tab(self) -> LogTab | None:
        tab = self.tabs.currentWidget()
        return tab if isinstance(tab, LogTab) else None

    def _current_changed(self, _index: int) -> None:
        tab = self.current_tab()
        self.studio.bus.publish(LogFocused(path=str(tab.doc.path) if tab else ""))

    def _apply_theme(self, _event: object = None) -> None:
        for index in range(self.tabs.count()):
            tab = self.tabs.widget(index)
            if isinstance(tab, LogTab):
                tab.view.apply_theme()
                tab.filter_view.apply_theme()

    # -- commands (see plugin.py) --------------------------------------------------------
    def _on_tab(self, method: str) -> Any:
        tab = self.current_tab()
        return getattr(tab, method)() if tab is not None else None

    def focus_search(self) -> Any:
        return self._on_tab("focus_search")

    def go_to_line_dialog(self) -> Any:
        return self._on_tab("go_to_line_dialog")

    def go_to_time_dialog(self) -> Any:
        return self._on_tab("go_to_time_dialog")

    def toggle_follow(self) -> Any:
        tab = self.current_tab()
        if tab is not None:
            tab.set_follow(not tab.follow)

    def toggle_bookmark(self) -> Any:
        return self._on_tab("toggle_bookmark")

    # -- drag and drop -------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.open_path(url.toLocalFile())
        event.acceptProposedAction()

    def close_all(self) -> None:
        while self.tabs.count():
            self.close_tab(0)
