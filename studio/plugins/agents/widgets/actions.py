"""Agent actions on the GUI thread: confirm, then run as a job; results in the status bar.

Stop asks first (it sends SIGTERM to a real process), then runs in ``studio.jobs`` because it
waits for the process to exit. Start and Restart run the configured argv commands as jobs
(through the studio's process service). "Open log" shows the file in the Logs workspace when
the Logs plugin is active, else with the desktop's viewer.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QWidget

from studio.api import Message
from studio.plugins.agents.api import AgentRow, ControlError, agents
from studio.plugins.agents.widgets.notify import ACTION_TOPIC

if TYPE_CHECKING:
    from collections.abc import Sequence

    from studio.api import Studio

__all__ = ["confirm", "open_log", "open_log_selected", "refresh", "restart_row",
           "restart_selected", "start_row", "start_selected", "stop_row", "stop_selected"]


def _post(text: str) -> None:
    from studio.shell.api import current_shell

    shell = current_shell()
    if shell is not None:
        shell.post_message(text, 10000)


def _parent() -> QWidget | None:
    from studio.shell.api import current_shell

    shell = current_shell()
    return shell.active_window() if shell is not None else None


def confirm(parent: QWidget | None, title: str, text: str, action: str) -> bool:
    """Ask before acting on a process; tests replace this module attribute."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setText(text)
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.button(QMessageBox.StandardButton.Yes).setText(action)
    return box.exec() == QMessageBox.StandardButton.Yes


def _submit(studio: Studio, title: str, work: Any) -> Any:
    def job(ctx: Any) -> Any:
        try:
            result = work(ctx)
        except ControlError as exc:
            _report(studio, str(exc), error=True)
            raise
        _report(studio, result.message, error=not result.ok)
        return result

    return studio.jobs.submit(title, job)


def _report(studio: Studio, text: str, *, error: bool) -> None:
    # From a job thread: the status bar through the bus (delivered on the GUI thread).
    studio.bus.publish(Message(name="agent-action", payload={"text": text, "ok": not error}),
                       topic=ACTION_TOPIC)
    if error:  # failures are kept in the Messages view too
        studio.bus.publish(Message(name="agent-action", payload={
            "source": "agents", "error": text, "level": "error"}), topic="errors.agents")
    agents(studio).monitor().wake()


def stop_row(studio: Studio, row: AgentRow, parent: QWidget | None = None) -> Any:
    if not row.status.alive or row.pid is None:
        _post(f"{row.name} is not running ({row.status.value})")
        return None
    if not row.local and not row.remote_host:
        _post(f"{row.name} runs on {row.host}, which the studio does not read; stop it there")
        return None
    where = f" on {row.remote_host}" if row.remote_host else ""
    if not confirm(parent or _parent(), "Stop agent",
                   f"Send SIGTERM to <b>{row.name}</b> (pid {row.pid}{where})?<br><br>"
                   f"It was {row.status.value.lower()}: {row.reason}.", "Stop"):
        return None
    return _submit(studio, f"Stop {row.name}",
                   lambda ctx: agents(studio).stop(row.name, row=row, ctx=ctx))


def start_row(studio: Studio, row: AgentRow, parent: QWidget | None = None) -> Any:
    try:
        commands = agents(studio).commands(row.name)
    except ValueError as exc:
        _post(str(exc))
        return None
    if not commands.start:
        _post(f"No start command for {row.name}: set one in Preferences ▸ Agents")
        return None
    return _submit(studio, f"Start {row.name}",
                   lambda ctx: agents(studio).start(row.name, ctx=ctx))


def restart_row(studio: Studio, row: AgentRow, parent: QWidget | None = None) -> Any:
    try:
        commands = agents(studio).commands(row.name)
    except ValueError as exc:
        _post(str(exc))
        return None
    how = (" ".join(commands.restart) if commands.restart else
           "stop it (SIGTERM), then run " + " ".join(commands.start or ["(no start command)"]))
    if not commands.restart and not commands.start:
        _post(f"No restart or start command for {row.name}: set one in Preferences ▸ Agents")
        return None
    if not confirm(parent or _parent(), "Restart agent",
                   f"Restart <b>{row.name}</b>?<br><br>This will {how}.", "Restart"):
        return None
    return _submit(studio, f"Restart {row.name}",
                   lambda ctx: agents(studio).restart(row.name, ctx=ctx))


def _open_in_logs(studio: Studio, path: str, host: str = "") -> bool:
    """Show ``path`` in the Logs workspace, following it (on ``host`` over SSH when given: the
    Logs plugin mirrors it as a job); False when the Logs plugin is not there."""
    try:
        from studio.plugins.logs.api import open_log as open_in_logs
        from studio.plugins.logs.api import open_remote_log
    except ImportError:  # not installed
        return False
    try:
        if host:
            open_remote_log(studio, host, path, follow=True)
        else:
            open_in_logs(studio, path, follow=True)
    except KeyError:  # installed but not active (ServiceUnavailableError is a KeyError)
        return False
    return True


def open_log(studio: Studio, row: AgentRow | None = None) -> bool:
    """Open the agent's log: in the Logs workspace (following it) when the Logs plugin is
    active, else with the desktop's default viewer. A remote agent's log is followed over SSH
    by the Logs plugin; without it the status bar says where the log is."""
    row = row or agents(studio).selected()
    if row is None:
        return False
    if row.remote_host:
        if row.log_file and _open_in_logs(studio, row.log_file, row.remote_host):
            return True
        _post(f"{row.name}: its log is on {row.remote_host} ({row.log_file or 'unknown'})")
        return False
    if not row.log_file or not Path(row.log_file).exists():
        _post(f"{row.name} has no log file" + (f" ({row.log_file} is missing)"
                                               if row.log_file else ""))
        return False
    if _open_in_logs(studio, row.log_file):
        return True
    return QDesktopServices.openUrl(QUrl.fromLocalFile(row.log_file))


# -- command handlers (the selection the command was given) --------------------------------
def _with_selected(studio: Studio, names: Sequence[str], action: Any) -> Any:
    snapshot = agents(studio).monitor().snapshot
    row = next((r for r in map(snapshot.get, names) if r is not None), None)
    if row is None:
        _post("Select an agent first")
        return None
    return action(studio, row)


def stop_selected(studio: Studio, names: Sequence[str]) -> Any:
    return _with_selected(studio, names, stop_row)


def start_selected(studio: Studio, names: Sequence[str]) -> Any:
    return _with_selected(studio, names, start_row)


def restart_selected(studio: Studio, names: Sequence[str]) -> Any:
    return _with_selected(studio, names, restart_row)


def open_log_selected(studio: Studio, names: Sequence[str]) -> Any:
    return _with_selected(studio, names, open_log)


def refresh(studio: Studio) -> None:
    agents(studio).monitor().wake()
