"""The Agents view: every agent in one sortable table, with counts, filter and actions.

With nothing to show it says where it looked (each file, found or missing) and how any agent
can report, instead of an empty grid.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QModelIndex, QPoint, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QScrollArea,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.plugins.agents.api import (
    AgentRow,
    AgentsSnapshot,
    AgentStatus,
    agents,
)
from studio.plugins.agents.present import STATUS_TOKEN, how_to_report
from studio.plugins.agents.widgets import actions
from studio.plugins.agents.widgets.common import (
    SnapshotListener,
    muted,
)
from studio.plugins.agents.widgets.table_model import (
    LAST_ERROR,
    NAME,
    ROW_ROLE,
    SORT_ROLE,
    AgentsTableModel,
)
from studio.shell.api import ViewContext, current_theme, icon, setup_record_table

__all__ = ["AgentsTableView", "empty_state_html", "summary_html"]


def summary_html(snapshot: AgentsSnapshot) -> str:
    theme = current_theme()
    parts = []
    for status in AgentStatus:
        count = snapshot.count(status)
        colour = theme[STATUS_TOKEN[status]] if count else theme["text.muted"]
        parts.append(f"<span style='color:{colour}'><b>{count}</b> {status.value.lower()}"
                     "</span>")
    parts.append(f"queue <b>{snapshot.queue_depth:,}</b>")
    parts.append(f"{snapshot.events_total:,} events")
    return " &nbsp;·&nbsp; ".join(parts)


def empty_state_html(snapshot: AgentsSnapshot) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(what)}</td><td><code>{html.escape(path)}</code>"
        f"{'' if exists is not False else ' <i>(missing)</i>'}</td></tr>"
        for what, path, exists in snapshot.looked_at)
    first, *code, last = how_to_report(snapshot.events_path).splitlines()
    report = (f"<p>{html.escape(first)}</p><pre>{html.escape(chr(10).join(code))}</pre>"
              f"<p>{html.escape(last)}</p>")
    return ("<h3>No agents yet</h3>"
            "<p>Nothing has reported here: no hafs daemon status, no campaign, no line in the "
            "agent events file. The Agents workspace looks at:</p>"
            f"<table cellspacing='6'>{rows}</table>{report}")


class _Filter(QSortFilterProxyModel):
    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex) -> bool:
        text = self.filterRegularExpression().pattern().lower()
        if not text:
            return True
        row: AgentRow = self.sourceModel().rows[source_row]
        haystack = " ".join((row.name, row.kind, row.status.value, row.host, row.last_error))
        return text in haystack.lower()


class AgentsTableView(QWidget):
    def __init__(self, context: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("agentsTable")
        self.context = context
        self.studio = context.studio
        self.snapshot = AgentsSnapshot()
        self._sized = False
        self.model = AgentsTableModel()
        self.proxy = _Filter(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setObjectName("agentsTableGrid")
        self.table.setModel(self.proxy)
        header = setup_record_table(self.table)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(NAME, Qt.SortOrder.AscendingOrder)
        header.setStretchLastSection(True)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        self.table.doubleClicked.connect(lambda _i: context.show_view("agents.details"))

        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter by name, kind, status, host or error…")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._apply_filter)
        bar = QHBoxLayout()
        bar.addWidget(self.filter, 1)
        self.buttons = {}
        for key, text, glyph, slot in (
                ("stop", "Stop…", "mdi6.stop-circle-outline", actions.stop_row),
                ("start", "Start", "mdi6.play-circle-outline", actions.start_row),
                ("restart", "Restart…", "mdi6.restart", actions.restart_row),
                ("log", "Log", "mdi6.text-box-outline", None)):
            button = QToolButton()
            button.setText(text)
            button.setIcon(icon(glyph))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            if slot is None:
                button.clicked.connect(lambda _c=False: actions.open_log(self.studio,
                                                                         self.current_row()))
            else:
                button.clicked.connect(lambda _c=False, act=slot: self._act(act))
            bar.addWidget(button)
            self.buttons[key] = button

        self.problems = muted()
        self.problems.setObjectName("agentsProblems")
        self.problems.hide()
        self.empty = QLabel()
        self.empty.setObjectName("agentsEmpty")
        self.empty.setTextFormat(Qt.TextFormat.RichText)
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.empty.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.empty.setContentsMargins(12, 12, 12, 12)
        empty_scroll = QScrollArea()
        empty_scroll.setWidgetResizable(True)
        empty_scroll.setWidget(self.empty)
        # The first read of a large agents.jsonl is one native pass with no steps to count
        # (~1.5 s for 1M events): a busy bar until a read that can count reports a share.
        self.loading_label = QLabel("Reading agent events…")
        self.loading = QProgressBar()
        self.loading.setRange(0, 0)
        loading_page = QWidget()
        loading_layout = QVBoxLayout(loading_page)
        loading_layout.addWidget(self.loading_label)
        loading_layout.addWidget(self.loading)
        loading_layout.addStretch(1)
        self.pages = QStackedWidget()
        for page in (loading_page, self.table, empty_scroll):
            self.pages.addWidget(page)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addLayout(bar)
        layout.addWidget(self.problems)
        layout.addWidget(self.pages, 1)

        self.listener = SnapshotListener.follow(self.studio, self, self.show_snapshot)

    # -- rendering ------------------------------------------------------------------------
    def show_snapshot(self, snapshot: AgentsSnapshot) -> None:
        if not snapshot.loaded:
            if snapshot.loading:
                done, total = snapshot.loading
                self.loading.setRange(0, 100 if done else 0)
                self.loading.setValue(int(100 * done / max(total, 1)))
            if not self.snapshot.loaded:
                self.pages.setCurrentIndex(0)
            return
        self.snapshot = snapshot
        current = self.current_row()
        self.model.set_snapshot(snapshot)
        self.summary.setText(summary_html(snapshot))
        if snapshot.problems:
            self.problems.setText("⚠ " + "<br>⚠ ".join(html.escape(p)
                                                      for p in snapshot.problems[:5]))
            self.problems.show()
        else:
            self.problems.hide()
        if snapshot.rows:
            self.pages.setCurrentIndex(1)
            if not self._sized:  # fit the columns to the first agents, once
                self._sized = True
                self.table.resizeColumnsToContents()
                for column in range(LAST_ERROR):
                    self.table.setColumnWidth(
                        column, min(self.table.columnWidth(column) + 10, 220))
        else:
            self.empty.setText(empty_state_html(snapshot))
            self.pages.setCurrentIndex(2)
        if current is not None and self.current_row() is None:
            self.select(current.name)
        self._update_buttons()

    def select(self, name: str) -> bool:
        row = self.model.row_index(name)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        self.table.setCurrentIndex(index)
        return True

    def current_row(self) -> AgentRow | None:
        index = self.table.currentIndex()
        return index.data(ROW_ROLE) if index.isValid() else None

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = current.data(ROW_ROLE) if current.isValid() else None
        agents(self.studio).select(row.name if row is not None else None)
        self._update_buttons()

    def _update_buttons(self) -> None:
        row = self.current_row()
        alive = row is not None and row.stoppable
        self.buttons["stop"].setEnabled(alive)
        for key in ("start", "restart"):
            self.buttons[key].setEnabled(row is not None)
        self.buttons["log"].setEnabled(row is not None and bool(row.log_file))

    def _apply_filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())

    def _act(self, action: object) -> None:
        row = self.current_row()
        if row is not None:
            action(self.studio, row, self)  # type: ignore[operator]

    def _context_menu(self, position: QPoint) -> None:
        row = self.current_row()
        if row is None:
            return
        menu = QMenu(self)
        menu.addAction(icon("mdi6.stop-circle-outline"), "Stop…",
                       lambda: actions.stop_row(self.studio, row, self)).setEnabled(
            row.stoppable)
        menu.addAction(icon("mdi6.play-circle-outline"), "Start",
                       lambda: actions.start_row(self.studio, row, self))
        menu.addAction(icon("mdi6.restart"), "Restart…",
                       lambda: actions.restart_row(self.studio, row, self))
        menu.addAction(icon("mdi6.text-box-outline"), "Open log",
                       lambda: actions.open_log(self.studio, row)).setEnabled(bool(row.log_file))
        menu.addAction(icon("mdi6.chart-timeline-variant"), "Details",
                       lambda: self.context.show_view("agents.details"))
        menu.exec(self.table.viewport().mapToGlobal(position))

