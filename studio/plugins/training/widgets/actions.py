"""What the Training commands do in the GUI. Dialogs open with ``open()`` (never ``exec()``);
finding and stopping a process runs as a studio job, so nothing blocks the event loop.

Each function takes the core ``studio`` and returns what it opened or submitted, so tests can
drive it like a user.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from studio.plugins.training.api import training
from studio.shell.api import current_shell

if TYPE_CHECKING:
    from studio.api import Job, Studio

__all__ = ["add_folder", "confirm_stop", "open_folder", "refresh", "start_demo", "stop_run"]


def _window() -> QWidget | None:
    shell = current_shell()
    return shell.active_window() if shell is not None else None


def _message(text: str) -> None:
    shell = current_shell()
    if shell is not None:
        shell.post_message(text)


def refresh(studio: Studio) -> None:
    training(studio).monitor.poke()


def start_demo(studio: Studio) -> Path:
    out = training(studio).start_demo_run()
    _message(f"Demo training run started in {out}")
    return out


def _selected_run(studio: Studio) -> Any:
    service = training(studio)
    for run_id in service.selected:
        run = service.monitor.run(run_id)
        if run is not None:
            return run
    return None


def open_folder(studio: Studio) -> Path | None:
    run = _selected_run(studio)
    if run is None:
        return None
    folder = run.source.folder or (run.source.log_files[0].parent if run.source.log_files
                                   else None)
    if folder is not None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
    return folder


def add_folder(studio: Studio) -> QFileDialog:
    dialog = QFileDialog(_window(), "Watch a training output folder")
    dialog.setFileMode(QFileDialog.FileMode.Directory)

    def chosen(path: str) -> None:
        current = str(studio.settings.get("training", "run_folders") or "")
        folders = [p.strip() for p in current.split(";") if p.strip()]
        if path not in folders:
            folders.append(path)
            studio.settings.set("training", "run_folders", ";".join(folders))
        _message(f"Watching {path}")

    dialog.fileSelected.connect(chosen)
    dialog.open()
    return dialog


def stop_run(studio: Studio) -> Job | None:
    """Find the selected run's verified process (a job), then ask before signalling it."""
    run = _selected_run(studio)
    if run is None:
        return None

    def find(ctx: Any) -> Any:
        ctx.report(None, f"Looking for the process of {run.source.name}")
        return training(studio).find_target(run)

    job = studio.jobs.submit(f"Find the process of {run.source.name}", find)
    service = training(studio)

    def done(future: Any) -> None:
        target = future.result() if not future.cancelled() else None
        # Back to the GUI thread through the bus (delivered by the shell's dispatcher).
        from studio.api import Message

        studio.bus.publish(Message(name="stop-target", payload=(run, target)),
                           topic="training.stop-target")

    if not service.stop_subscribed:
        service.stop_subscribed = True
        studio.bus.subscribe("training.stop-target",
                             lambda message: confirm_stop(studio, *message.payload),
                             owner="training")
    assert job.future is not None
    job.future.add_done_callback(done)
    return job


def confirm_stop(studio: Studio, run: Any, target: Any) -> QMessageBox | None:
    """Ask, then stop in a job (SIGTERM, SIGKILL after 10 s)."""
    from studio.api import RemoteError
    from studio.plugins.training.stop import StopError

    if target is None:
        _message(f"No running process found for {run.source.name} ({run.source.origin}); "
                 "nothing was signalled")
        return None
    where = getattr(target, "host", "this machine")
    box = QMessageBox(QMessageBox.Icon.Warning, "Stop training run",
                      f"Stop {run.source.name}?\n\npid {target.pid} on {where} ({target.why}):\n"
                      f"{target.command[:400]}\n\nSIGTERM now, SIGKILL if it is still running "
                      "after 10 s.", QMessageBox.StandardButton.Cancel, _window())
    stop_button = box.addButton("Stop Run", QMessageBox.ButtonRole.DestructiveRole)

    def answered(*_: Any) -> None:
        if box.clickedButton() is not stop_button:
            return

        def work(ctx: Any) -> str:
            try:
                return training(studio).stop_target(
                    target, grace_s=10.0, on_progress=lambda text: ctx.report(None, text))
            except (StopError, RemoteError) as exc:
                raise RuntimeError(str(exc)) from None

        studio.jobs.submit(f"Stop {run.source.name}", work)

    box.finished.connect(answered)
    box.open()
    return box
