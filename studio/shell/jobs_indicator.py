"""A compact status-bar indicator of background jobs.

Shows a slim progress bar and "2 jobs running" while jobs run, and "1 job failed" after a
failure until the user clicks it; hidden otherwise. Clicking emits ``clicked``; the shell
shows the Jobs view. Job threads publish ``jobs.updated``, so events hop to the GUI thread
through a Qt signal (queued when they arrive on another thread).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QSizePolicy, QWidget

from studio.core.jobs import JobState, JobUpdated
from studio.shell.icons import icon
from studio.shell.subscriptions import subscribe_widget
from studio.shell.theming import current_theme

if TYPE_CHECKING:
    from studio.core.app import Studio

__all__ = ["JobsIndicator"]


class JobsIndicator(QFrame):
    """Status-bar widget: progress of running jobs, failures since the last click."""

    clicked = Signal()

    def __init__(self, studio: Studio, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        self.setObjectName("jobsIndicator")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        self._jobs: dict[int, JobUpdated] = {}
        self._unseen_failures: set[int] = set()

        self.icon_label = QLabel()
        self.bar = QProgressBar()
        self.bar.setProperty("role", "slim")
        self.bar.setTextVisible(False)
        self.bar.setFixedWidth(90)
        self.bar.setRange(0, 1000)
        self.text_label = QLabel()
        self.text_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.setSpacing(6)
        layout.addWidget(self.icon_label)
        layout.addWidget(self.bar, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.text_label)

        for job in studio.jobs.jobs():
            if not job.state.finished:
                self._jobs[job.id] = JobUpdated(
                    job_id=job.id, title=job.title, state=job.state, fraction=job.fraction,
                    message=job.message,
                )
        subscribe_widget(self, studio.bus, JobUpdated.topic, self._apply_events, owner="studio",
                         batch=True)
        self._render()

    # -- state ---------------------------------------------------------------------------------
    def running_count(self) -> int:
        return len(self._jobs)

    def failure_count(self) -> int:
        return len(self._unseen_failures)

    def _apply_events(self, events: list[JobUpdated] | JobUpdated) -> None:
        for event in events if isinstance(events, list) else [events]:
            if event.state.finished:
                self._jobs.pop(event.job_id, None)
                if event.state is JobState.FAILED:
                    self._unseen_failures.add(event.job_id)
            else:
                self._jobs[event.job_id] = event
        self._render()

    def _render(self) -> None:
        running = list(self._jobs.values())
        failures = len(self._unseen_failures)
        self.setVisible(bool(running or failures))
        if running:
            known = [job.fraction for job in running if job.fraction is not None]
            if known and len(known) == len(running):
                self.bar.setRange(0, 1000)
                self.bar.setValue(round(sum(known) / len(known) * 1000))
            else:
                self.bar.setRange(0, 0)  # busy: some job cannot say how far it is
            noun = "job" if len(running) == 1 else "jobs"
            text = f"{len(running)} {noun} running"
            if failures:
                text += f" · {failures} failed"
            self.text_label.setText(text)
            self.icon_label.setPixmap(icon("mdi6.progress-clock").pixmap(QSize(14, 14)))
            self.bar.show()
        elif failures:
            noun = "job" if failures == 1 else "jobs"
            self.text_label.setText(f"{failures} {noun} failed")
            colour = current_theme()["error"]
            self.icon_label.setPixmap(icon("mdi6.alert-circle", color=colour).pixmap(QSize(14, 14)))
            self.bar.hide()
        self.setToolTip(self._tooltip(running, failures))
        self.updateGeometry()  # the text's width changes with the counts

    @staticmethod
    def _tooltip(running: list[JobUpdated], failures: int) -> str:
        lines = []
        for job in running:
            progress = f" ({job.fraction:.0%})" if job.fraction is not None else ""
            lines.append(f"{job.title}{progress}{' — ' + job.message if job.message else ''}")
        if failures:
            lines.append(f"{failures} failed since you last looked")
        lines.append("Click to show the Jobs view")
        return "\n".join(lines)

    # -- interaction ---------------------------------------------------------------------------
    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(
            event.position().toPoint()
        ):
            self._unseen_failures.clear()  # the user is going to look at them now
            self._render()
            self.clicked.emit()
            event.accept()
            return
        super().mouseReleaseEvent(event)
