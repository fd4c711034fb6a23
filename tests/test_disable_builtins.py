"""Every non-essential built-in can be switched off: the CLI and the window still work.

``HAFS_STUDIO_DISABLE_PLUGINS=<plugin>`` for each built-in plugin that is not essential, in a
real ``hafs-studio`` subprocess and with the shell shown offscreen in this process: nothing
errors, nothing fails on the bus, every workspace and dialog opens.
"""

from __future__ import annotations

import os
import subprocess
import sys

import orjson
import pytest

from studio.core.contributions import WORKSPACES
from studio.core.plugins import ESSENTIAL_PLUGINS, PluginState
from studio.testing import BUILTIN_PLUGINS, BusSpy, make_studio, shown_shell

OPTIONAL_BUILTINS = [name for name, _ in BUILTIN_PLUGINS if name not in ESSENTIAL_PLUGINS]


def test_every_builtin_but_the_essential_ones_is_covered():
    assert set(OPTIONAL_BUILTINS) == {"themes", "dashboard", "jobs", "models", "logs", "deploy",
                                      "agents", "data", "context", "training"}


def _cli(home, *args, disabled: str):
    env = {**os.environ, "HAFS_STUDIO_HOME": str(home), "HOME": str(home),
           "HAFS_STUDIO_DISABLE_PLUGINS": disabled}
    env.pop("DISPLAY", None)
    return subprocess.run([sys.executable, "-m", "studio", *args], capture_output=True,
                          text=True, timeout=120, env=env, check=False)


@pytest.mark.parametrize("disabled", OPTIONAL_BUILTINS)
def test_the_cli_starts_cleanly_without(tmp_path, disabled):
    listed = _cli(tmp_path, "plugins", "list", "--json", disabled=disabled)
    assert listed.returncode == 0, listed.stderr
    plugins = {p["name"]: p for p in orjson.loads(listed.stdout)["plugins"]}
    assert plugins[disabled]["state"] == "disabled"
    assert plugins[disabled]["reason"] == "listed in HAFS_STUDIO_DISABLE_PLUGINS"
    assert not [p for p in plugins.values() if p["state"] == "errored"]
    assert "Traceback" not in listed.stderr
    doctor = _cli(tmp_path, "--help", disabled=disabled)
    assert doctor.returncode == 0, doctor.stderr


@pytest.mark.parametrize("disabled", OPTIONAL_BUILTINS)
def test_the_window_works_without(qtbot, tmp_path, disabled):
    studio = make_studio(tmp_path, builtins=BUILTIN_PLUGINS,
                         environ={"HAFS_STUDIO_DISABLE_PLUGINS": disabled})
    failures = [BusSpy(studio.bus, "errors"), BusSpy(studio.bus, "errors.*")]
    try:
        records = studio.plugins.records
        assert records[disabled].state is PluginState.DISABLED
        assert not [r.name for r in records.values() if r.state is PluginState.ERRORED]
        with shown_shell(qtbot, studio, (1200, 800)) as shell:
            window = shell.main_window
            for workspace in WORKSPACES:
                window.switch_workspace(workspace.id)
                for view_id in window.visible_views():
                    assert window.show_view(view_id) is not None, view_id
            shell.open_preferences()
            shell.open_plugins_dialog()
            shell.open_cheatsheet()
            shell.open_palette()
            shell.run_command("workbench.theme.next")  # a failure is published on errors.*
            qtbot.wait_until(lambda: studio.bus.pending_count() == 0)
            assert not [r.name for r in records.values() if r.state is PluginState.ERRORED]
        assert [topic for spy in failures for topic in spy.topics()] == []
    finally:
        for spy in failures:
            spy.close()
        studio.shutdown()
