"""The Logs plugin in the studio: registration, switches, the CLI's view command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from logdata import python_log_lines, write_lines

from studio.plugins.logs.api import SERVICE, logs_service

STUDIO = [sys.executable, "-m", "studio"]


def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*STUDIO, *args], capture_output=True, timeout=180, check=False,
                          **kwargs)


def test_plugin_registers_views_commands_settings_and_service(studio) -> None:
    record = studio.plugins.records["logs"]
    assert record.state.value == "active"
    assert {"logs.viewer", "logs.files"} <= set(studio.contributions.views)
    assert studio.commands.get("logs.open").shortcut == "Ctrl+Shift+L"
    assert studio.settings.get("logs", "follow_new") is False
    assert studio.services.owner_of(SERVICE) == "logs"
    assert logs_service(studio).formats.get("hafs-campaign").title == "hafs campaign"


def test_shutdown_withdraws_the_service(studio_factory) -> None:
    from studio.testing import BUILTIN_PLUGINS

    studio = studio_factory(builtins=BUILTIN_PLUGINS)
    service = logs_service(studio)
    studio.shutdown()
    assert not studio.services.has(SERVICE)
    assert service.subscriptions == []


def test_the_studio_starts_without_the_logs_plugin(tmp_path) -> None:
    env = dict(os.environ, HAFS_STUDIO_DISABLE_PLUGINS="logs")
    listed = run("plugins", "list", "--json", env=env)
    assert listed.returncode == 0
    states = {p["name"]: p["state"] for p in json.loads(listed.stdout)["plugins"]}
    assert states["logs"] == "disabled" and states["models"] == "active"
    gone = run("--context", str(tmp_path), "logs", "--help", env=env)
    assert gone.returncode != 0 and b"No such command" in gone.stderr + gone.stdout


def test_logs_view_refuses_a_missing_file_without_a_window(tmp_path) -> None:
    got = run("logs", "view", str(tmp_path / "nope.log"))
    assert got.returncode == 2 and b"nope.log: no such file" in got.stderr


def test_logs_view_opens_the_gui_at_the_file(tmp_path) -> None:
    log = tmp_path / "run.log"
    write_lines(log, python_log_lines(500))
    shot = tmp_path / "shot.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    got = run("logs", "view", str(log), "--line", "120", "--screenshot", str(shot),
              "--size", "1200x800", env=env)
    assert got.returncode == 0, got.stderr
    assert shot.stat().st_size > 10_000
    home = Path(os.environ["HAFS_STUDIO_HOME"])
    recent = json.loads((home / "state" / "logs" / "recent.json").read_text())
    assert str(log) in recent["files"]


def test_logs_view_opens_the_log_once_plugins_start_after_the_first_frame(tmp_path) -> None:
    """With a plugin index the window paints before the plugins start: the log is opened when
    they have (a --screenshot start does everything first and would not show this)."""
    from studio.core.app import Studio
    from studio.core.context import ContextRoot
    from studio.plugins.logs.view_command import view_options
    from studio.shell.launch import _after_start
    from studio.testing import BUILTIN_PLUGINS

    env = {"HAFS_STUDIO_HOME": str(tmp_path), "HOME": str(tmp_path)}

    def studio() -> Studio:
        return Studio(context=ContextRoot(tmp_path / "context", "test"),
                      builtins=BUILTIN_PLUGINS, load_entry_points=False, environ=env,
                      job_workers=1)

    studio().start().shutdown()  # a complete start writes the plugin index
    log = tmp_path / "run.log"
    write_lines(log, python_log_lines(50))
    options = view_options([str(log), "--line", "7"])
    painted = studio()
    try:
        assert painted.start_first_frame() and not painted.started
        _after_start(painted, options.after_start)  # nothing to open the log with yet
        painted.finish_start()  # the plugins start; the request goes to the Logs service
        pending = logs_service(painted).take_pending()
        assert [(p.path, p.line) for p in pending] == [(str(log), 6)]
    finally:
        painted.shutdown()
