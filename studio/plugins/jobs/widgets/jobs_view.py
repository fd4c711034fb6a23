"""The Jobs view: running and finished background jobs with progress, cancel and error details.

Rows follow ``jobs.updated`` events. Job threads publish them, so the subscription coalesces
(``batch``) and hops to the GUI thread through a Qt signal: with the shell's dispatcher the
batch already arrives on the GUI thread; without one (tests, embedding) the signal queues it.
Every job names the plugin it works for; the toolbar's owner filter shows one plugin's jobs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFontDatabase, QGuiApplication, QPainter, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStackedLayout,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.api import JobState, JobUpdated, format_duration
from studio.shell.api import current_theme, icon, setup_record_table, subscribe_widget

if TYPE_CHECKING:
    from studio.api import Studio

__all__ = ["JobErrorDialog", "JobRow", "JobsModel", "JobsView", "format_elapsed"]

COLUMNS = ("Job", "Progress", "Message", "Elapsed", "")
TITLE, PROGRESS, MESSAGE, ELAPSED, CANCEL = range(len(COLUMNS))
ROW_ROLE = Qt.ItemDataRole.UserRole + 1

_STATE_LOOK = {
    # state: (icon, theme colour token, label)
    JobState.QUEUED: ("mdi6.timer-sand", "text.muted", "Queued"),
    JobState.RUNNING: ("mdi6.progress-clock", "info", "Running"),
    JobState.SUCCEEDED: ("mdi6.check-circle", "success", "Done"),
    JobState.FAILED: ("mdi6.alert-circle", "error", "Failed"),
    JobState.CANCELLED: ("mdi6.cancel", "warning", "Cancelled"),
}


def format_elapsed(seconds: float | None) -> str:
    """The studio's duration style, with tenths under ten seconds (most jobs are short)."""
    if seconds is not None and 0 <= seconds < 10:
        return f"{seconds:.1f} s"
    return format_duration(seconds)


@dataclass
class JobRow:
    """What the view knows about one job, from its latest event."""

    job_id: int
    title: str
    state: JobState
    fraction: float | None = None
    message: str = ""
    details: str = ""  # the traceback of a failed job
    owner: str = ""  # the plugin the job works for
    started_at: float | None = None
    finished_at: float | None = None

    @property
    def elapsed(self) -> float | None:
        if self.started_at is None:
            return None
        return (self.finished_at or time.monotonic()) - self.started_at


class JobsModel(QAbstractTableModel):
    """Jobs, newest first."""

    def __init__(self, studio: Studio, parent: Any = None) -> None:
        super().__init__(parent)
        self.studio = studio
        self.rows: list[JobRow] = []
        for job in reversed(studio.jobs.jobs()):
            self.rows.append(JobRow(
                job.id, job.title, job.state, job.fraction, job.message, job.error or "",
                job.owner, job.started_at, job.finished_at,
            ))

    # -- Qt model API ----------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role == ROW_ROLE:
            return row
        icon_name, colour, label = _STATE_LOOK[row.state]
        if role == Qt.ItemDataRole.DisplayRole:
            return {
                TITLE: row.title,
                MESSAGE: row.message,
                ELAPSED: format_elapsed(row.elapsed),
            }.get(column)
        if role == Qt.ItemDataRole.DecorationRole and column == TITLE:
            return icon(icon_name, color=current_theme()[colour])
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == CANCEL and not row.state.finished:
                return "Cancel this job"
            owner = f"\nFor plugin {row.owner}" if row.owner else ""
            if row.state is JobState.FAILED:
                return f"{label}: {row.message}{owner}\nDouble-click for the details"
            return f"{label}{': ' + row.message if row.message else ''}{owner}"
        if role == Qt.ItemDataRole.TextAlignmentRole and column == ELAPSED:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.ForegroundRole and column == MESSAGE:
            if row.state is JobState.FAILED:
                return QColor(current_theme()["error"])
            if row.state.finished:
                return QApplication.palette().brush(QPalette.ColorRole.PlaceholderText)
        return None

    # -- updates ------------------------------------------------------------------------------
    def apply(self, event: JobUpdated) -> None:
        """Add or update the row of the event's job."""
        job = self.studio.jobs.get(event.job_id)
        number = self.row_of(event.job_id)
        if number < 0:
            self.beginInsertRows(QModelIndex(), 0, 0)
            self.rows.insert(0, JobRow(event.job_id, event.title, event.state))
            self.endInsertRows()
            number = 0
        row = self.rows[number]
        row.title = event.title
        row.state = event.state
        row.fraction = event.fraction
        row.message = event.message
        row.details = event.error or row.details
        row.owner = event.owner or row.owner
        if job is not None:
            row.started_at, row.finished_at = job.started_at, job.finished_at
        self.dataChanged.emit(self.index(number, 0), self.index(number, len(COLUMNS) - 1))

    def clear_finished(self) -> int:
        """Drop finished jobs from the list and from the runner's history."""
        self.studio.jobs.clear_finished()
        keep = [row for row in self.rows if not row.state.finished]
        removed = len(self.rows) - len(keep)
        if removed:
            self.beginResetModel()
            self.rows = keep
            self.endResetModel()
        return removed

    def tick(self) -> bool:
        """Refresh the elapsed column of running jobs; return whether any is running."""
        running = [n for n, row in enumerate(self.rows) if row.state is JobState.RUNNING]
        for number in running:
            self.dataChanged.emit(self.index(number, ELAPSED), self.index(number, ELAPSED))
        return bool(running)

    def row_of(self, job_id: int) -> int:
        return next((n for n, row in enumerate(self.rows) if row.job_id == job_id), -1)


class _ProgressDelegate(QStyledItemDelegate):
    """A progress bar for running jobs; the outcome in words for the others."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        row: JobRow = index.data(ROW_ROLE)
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(6, 6, -6, -6)
        bar.palette = option.palette
        bar.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Horizontal
        bar.minimum, bar.maximum = 0, 1000
        bar.textVisible = True
        bar.textAlignment = Qt.AlignmentFlag.AlignCenter
        if row.state is JobState.RUNNING:
            if row.fraction is None:
                bar.progress, bar.text = 0, "working…"
            else:
                bar.progress = round(row.fraction * 1000)
                bar.text = f"{row.fraction:.0%}"
        elif row.state is JobState.SUCCEEDED:
            bar.progress, bar.text = 1000, "done"
        else:
            bar.progress = round((row.fraction or 0) * 1000)
            bar.text = _STATE_LOOK[row.state][2].lower()
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, widget)

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        return QSize(160, option.fontMetrics.height() + 14)


class _CancelDelegate(QStyledItemDelegate):
    """A small cancel button on running and queued jobs (clicks go to the view)."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        super().paint(painter, option, index)
        row: JobRow = index.data(ROW_ROLE)
        if row.state.finished:
            return
        size = min(option.rect.height() - 8, 18)
        target = option.rect.adjusted(0, 0, 0, 0)
        target.setSize(QSize(size, size))
        target.moveCenter(option.rect.center())
        icon("mdi6.close-circle-outline").paint(painter, target)


class JobsView(QWidget):
    """The Jobs dock's widget. ``details_requested(job_id)`` is emitted before the error popup."""

    details_requested = Signal(int)

    def __init__(self, studio: Studio, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        self.setObjectName("jobsView")
        self.model = JobsModel(studio, self)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(PROGRESS, _ProgressDelegate(self.table))
        self.table.setItemDelegateForColumn(CANCEL, _CancelDelegate(self.table))
        header = setup_record_table(self.table, row_height=30)
        header.setSectionResizeMode(TITLE, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(MESSAGE, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(TITLE, 240)
        header.resizeSection(PROGRESS, 160)
        header.resizeSection(ELAPSED, 72)
        header.setSectionResizeMode(CANCEL, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(CANCEL, 32)
        self.table.clicked.connect(self._on_clicked)
        self.table.doubleClicked.connect(self._on_double_clicked)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)

        self.cancel_button = self._tool("mdi6.stop-circle-outline", "Cancel", self.cancel_selected)
        self.cancel_all_button = self._tool("mdi6.cancel", "Cancel all", self.cancel_all)
        self.clear_button = self._tool("mdi6.broom", "Clear finished", self.clear_finished)
        self.details_button = self._tool("mdi6.text-box-search-outline", "Error details…",
                                         self.show_selected_details)
        self.owner_filter = QComboBox()
        self.owner_filter.setToolTip("Show the jobs of one plugin")
        self.owner_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.owner_filter.addItem("All plugins", None)
        self.owner_filter.currentIndexChanged.connect(lambda _index: self._refresh_chrome())
        self.summary = QLabel()
        self.summary.setProperty("role", "muted")
        toolbar = QHBoxLayout()
        toolbar.setContentsMargins(6, 4, 6, 0)
        toolbar.setSpacing(2)
        for button in (self.cancel_button, self.cancel_all_button, self.clear_button,
                       self.details_button):
            toolbar.addWidget(button)
        toolbar.addStretch(1)
        owner_label = QLabel("Plugin")
        owner_label.setProperty("role", "muted")
        owner_label.setBuddy(self.owner_filter)
        toolbar.addWidget(owner_label)
        toolbar.addWidget(self.owner_filter)
        toolbar.addSpacing(8)
        toolbar.addWidget(self.summary)

        self._empty_text = ("No jobs yet.\nConversions, quantization, indexing and other long "
                            "operations appear here while they run.")
        self.empty_label = QLabel(self._empty_text)
        self.empty_label.setProperty("role", "muted")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.stack = QStackedLayout()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty_label)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(toolbar)
        layout.addLayout(self.stack, 1)

        # Elapsed times of running jobs tick once a second, only while something runs.
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._tick)

        subscribe_widget(self, studio.bus, JobUpdated.topic, self._apply_events, owner="jobs",
                         batch=True)
        self._refresh_chrome()

    def _tool(self, icon_name: str, text: str, slot: Any) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon(icon_name))
        button.setText(text)
        button.setToolTip(text)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.clicked.connect(slot)
        return button

    # -- events ------------------------------------------------------------------------------
    def _apply_events(self, events: list[JobUpdated] | JobUpdated) -> None:
        for event in events if isinstance(events, list) else [events]:
            self.model.apply(event)
        self._refresh_chrome()

    def _tick(self) -> None:
        if not self.model.tick():
            self._ticker.stop()

    def owner_shown(self) -> str | None:
        """The plugin whose jobs are shown, None for all."""
        return self.owner_filter.currentData()

    def set_owner_filter(self, owner: str | None) -> None:
        """Show only ``owner``'s jobs (None: every job)."""
        self._update_owner_choices(extra=owner)
        index = self.owner_filter.findData(owner)
        self.owner_filter.setCurrentIndex(max(0, index))

    def visible_rows(self) -> list[JobRow]:
        return [row for number, row in enumerate(self.model.rows)
                if not self.table.isRowHidden(number)]

    def _update_owner_choices(self, extra: str | None = None) -> None:
        owners = sorted({row.owner for row in self.model.rows if row.owner} | (
            {extra} if extra else set()))
        known = {self.owner_filter.itemData(i) for i in range(1, self.owner_filter.count())}
        for owner in owners:
            if owner not in known:
                self.owner_filter.addItem(owner, owner)

    def _refresh_chrome(self) -> None:
        self._update_owner_choices()
        owner = self.owner_shown()
        rows = [row for row in self.model.rows if owner is None or row.owner == owner]
        for number, row in enumerate(self.model.rows):  # rows move as new ones arrive on top
            hidden = owner is not None and row.owner != owner
            if self.table.isRowHidden(number) != hidden:
                self.table.setRowHidden(number, hidden)
        self.empty_label.setText(self._empty_text if owner is None
                                 else f"No jobs of plugin {owner}.")
        running = sum(not row.state.finished for row in rows)
        failed = sum(row.state is JobState.FAILED for row in rows)
        finished = len(rows) - running
        parts = [f"{running} running", f"{finished} finished"]
        if failed:
            parts.append(f"{failed} failed")
        self.summary.setText(" · ".join(parts) if rows else "")
        self.stack.setCurrentWidget(self.table if rows else self.empty_label)
        self.cancel_all_button.setEnabled(running > 0)
        self.clear_button.setEnabled(finished > 0)
        if running and not self._ticker.isActive():
            self._ticker.start()
        self._update_buttons()

    def _update_buttons(self, *_: Any) -> None:
        row = self.selected_row()
        self.cancel_button.setEnabled(row is not None and not row.state.finished)
        self.details_button.setEnabled(row is not None and row.state is JobState.FAILED)

    # -- actions -----------------------------------------------------------------------------
    def selected_row(self) -> JobRow | None:
        index = self.table.currentIndex()
        return self.model.rows[index.row()] if index.isValid() else None

    def select_job(self, job_id: int) -> bool:
        number = self.model.row_of(job_id)
        if number >= 0:
            self.table.selectRow(number)
        return number >= 0

    def cancel_job(self, job_id: int) -> None:
        job = self.studio.jobs.get(job_id)
        if job is not None and not job.state.finished:
            job.cancel()

    def cancel_selected(self) -> None:
        row = self.selected_row()
        if row is not None:
            self.cancel_job(row.job_id)

    def cancel_all(self) -> None:
        """Cancel every running job shown (only the filtered plugin's when filtering)."""
        owner = self.owner_shown()
        if owner is None:
            self.studio.jobs.cancel_all()
        else:
            self.studio.jobs.cancel_owned(owner)

    def clear_finished(self) -> None:
        self.model.clear_finished()
        self._refresh_chrome()

    def show_selected_details(self) -> None:
        row = self.selected_row()
        if row is not None and row.state is JobState.FAILED:
            self.show_details(row.job_id)

    def show_details(self, job_id: int) -> JobErrorDialog | None:
        """Open the error popup of a failed job (non-modal; returned for tests)."""
        number = self.model.row_of(job_id)
        if number < 0:
            return None
        self.details_requested.emit(job_id)
        dialog = JobErrorDialog(self.model.rows[number], self)
        dialog.show()
        return dialog

    def _on_clicked(self, index: QModelIndex) -> None:
        if index.column() == CANCEL:
            self.cancel_job(self.model.rows[index.row()].job_id)

    def _on_double_clicked(self, index: QModelIndex) -> None:
        row = self.model.rows[index.row()]
        if row.state is JobState.FAILED:
            self.show_details(row.job_id)


class JobErrorDialog(QDialog):
    """Why a job failed: its message, and the traceback (selectable, copyable)."""

    def __init__(self, row: JobRow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Job failed: {row.title}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(680, 380)
        badge = QLabel()
        badge.setPixmap(
            icon("mdi6.alert-circle", color=current_theme()["error"]).pixmap(QSize(28, 28))
        )
        title = QLabel(f"{_html(row.title)} failed")
        title.setProperty("role", "subheading")
        self.message = QLabel(row.message or "No error message.", wordWrap=True)
        self.message.setProperty("role", "error")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.traceback = QPlainTextEdit(row.details or "No traceback was recorded.")
        self.traceback.setReadOnly(True)
        self.traceback.setProperty("role", "mono")
        self.traceback.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.traceback.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        copy = QPushButton(icon("mdi6.content-copy"), "Copy")
        report = f"{row.title}\n{row.message}\n\n{row.details}"
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(report))
        close = QPushButton("Close")
        close.setDefault(True)
        close.clicked.connect(self.close)

        heading = QHBoxLayout()
        heading.setSpacing(10)
        heading.addWidget(badge, 0, Qt.AlignmentFlag.AlignTop)
        text = QVBoxLayout()
        text.setSpacing(4)
        text.addWidget(title)
        text.addWidget(self.message)
        heading.addLayout(text, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(copy)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 12)
        layout.setSpacing(10)
        layout.addLayout(heading)
        layout.addWidget(self.traceback, 1)
        layout.addLayout(buttons)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
