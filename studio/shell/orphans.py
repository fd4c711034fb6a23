"""At start-up, offer to stop the managed processes an earlier session left running.

The pid files are read on a background thread (they may sit on a slow disk); only when some
process really is an orphan (:meth:`studio.core.process.ProcessManager.orphans` checks creation
time and command line) does a question appear: stop them all, or keep them running and stop
asking about them.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox

if TYPE_CHECKING:
    from studio.core.process import OrphanProcess
    from studio.shell.app import StudioShell

__all__ = ["OrphanPrompt"]


class OrphanPrompt(QObject):
    """Looks for orphans once and, if there are any, asks the user what to do with them."""

    found = Signal(object)  # list[OrphanProcess], queued onto the GUI thread
    stopped = Signal(int)  # how many were stopped

    def __init__(self, shell: StudioShell) -> None:
        super().__init__(shell)
        self.shell = shell
        self.box: QMessageBox | None = None
        self.orphans: list[OrphanProcess] = []
        self.found.connect(self._ask)
        self.stopped.connect(self._report)

    def check(self) -> None:
        """Read the pid files off the GUI thread; :attr:`found` fires with the result."""
        processes = self.shell.studio.services.process
        threading.Thread(target=lambda: self.found.emit(processes.orphans()),
                         name="orphan-check", daemon=True).start()

    def _ask(self, orphans: list[OrphanProcess]) -> None:
        import html  # here, not at start-up: most starts find no orphans

        self.orphans = orphans
        if not orphans or self.shell.quitting:
            return
        listed = "".join(
            f"<li><b>{html.escape(o.name)}</b> of plugin {html.escape(o.owner)} (pid {o.pid}, "
            f"since {html.escape(_when(o.started_at))})</li>" for o in orphans)
        box = QMessageBox(self.shell.main_window)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Processes still running")
        box.setText(f"{len(orphans)} process{'es' if len(orphans) > 1 else ''} started by an "
                    "earlier session of the studio "
                    f"{'are' if len(orphans) > 1 else 'is'} still running:<ul>{listed}</ul>")
        box.setInformativeText("The session ended without stopping them (it crashed or was "
                               "killed). Stop them now?")
        self.stop_button = box.addButton("Stop them", QMessageBox.ButtonRole.AcceptRole)
        self.keep_button = box.addButton("Keep running", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(self.stop_button)
        box.finished.connect(lambda _result: self._answered(box))
        box.open()
        self.box = box

    def _answered(self, box: QMessageBox) -> None:
        orphans = self.orphans
        if box.clickedButton() is self.stop_button:
            def stop() -> None:
                self.stopped.emit(sum(orphan.terminate() for orphan in orphans))

            threading.Thread(target=stop, name="orphan-stop", daemon=True).start()
        else:
            for orphan in orphans:
                orphan.forget()  # the user keeps them on purpose: do not ask again
            self.shell.post_message(f"Kept {len(orphans)} earlier process(es) running")

    def _report(self, count: int) -> None:
        self.shell.post_message(f"Stopped {count} process(es) left running by an earlier "
                                "session")


def _when(started_at: str) -> str:
    """``2025-12-22T19:02:11`` → ``2025-12-22 19:02``."""
    return started_at.replace("T", " ")[:16] if started_at else "an unknown time"
