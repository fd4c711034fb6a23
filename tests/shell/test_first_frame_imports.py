"""The window's first frames import no plugin and none of the heavy libraries plugins use.

Start-up stays within its budget (issue 8: first paint <= 1.3x a bare QMainWindow) only while
the first frame needs the launcher, the window's class and a few readers, and the shell's frame
after it comes from the plugin index and the shell alone. Every built-in plugin listed in
``BUILTIN_PLUGINS`` is covered, including the ones added later: a plugin module, or a library
only plugins and background services need, on the way to the first frame fails this test.
Each start is a fresh interpreter, so nothing imported by other tests hides an import.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Imported after the first frame, never before it: plugins, and what plugins or the services
# they start need (charts, icon fonts, arrays, SSH, subprocess groups, pluggy, entry points).
NOT_BEFORE_FIRST_FRAME = (
    "studio.plugins",
    "pluggy",
    "importlib.metadata",
    "qtawesome",
    "qtpy",
    "pyqtgraph",
    "numpy",
    "orjson",
    "asyncssh",
    "concurrent.futures",
    "studio.core.process",
    "studio.core.remote_manager",
    "studio.core.tools",
)

# What hafs-studio does (studio.shell.launch.start_gui): a returning user's window is painted
# before the core is imported, then the shell builds into it from the plugin index. The modules
# are recorded at the window's first Paint event, and again when the shell's frame is on screen
# (its first_frame_shown); then the plugins load as usual, to show they did arrive after it.
CHILD = r"""
import json, os, sys
from PySide6.QtCore import QEvent, QObject, QTimer
from studio.__main__ import parse_common
from studio.shell.launch import start_gui

options, _ = parse_common([])
start = start_gui(options)
window = start.window
result = {"early": start.frame is not None}
frames = []

def after_plugins():
    if not (start.ready and start.studio.started):
        QTimer.singleShot(5, after_plugins)
        return
    result["indexed"] = indexed[0]
    result["after_start"] = sorted(sys.modules)
    print(json.dumps(result), flush=True)
    os._exit(0)

indexed = [None]

def frame_shown():  # the first frame, then (after an early one) the shell's
    frames.append(True)
    if len(frames) == (2 if result["early"] else 1):
        result["shell_frame"] = sorted(sys.modules)
        indexed[0] = start.studio.first_frame  # the plugins are still to come
        after_plugins()

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and "first_frame" not in result:
            result["first_frame"] = sorted(sys.modules)
        return False

window.first_frame_shown.connect(frame_shown)
watcher = FirstPaint()
window.installEventFilter(watcher)
QTimer.singleShot(60_000, lambda: os._exit(3))
start.app.exec()
"""

# What the early frame may import of the studio: the launcher, the window's class and what it
# reads (paths, the saved session, the first-frame cache). Not the core's registries, settings
# or plugin machinery, and not the shell's other modules.
EARLY_FRAME_MODULES = {
    "studio", "studio.__main__", "studio.core", "studio.core.atomic", "studio.core.paths",
    "studio.core.small_json", "studio.shell", "studio.shell.first_frame", "studio.shell.icons",
    "studio.shell.launch", "studio.shell.layouts", "studio.shell.window",
    "studio.shell.window_sync",
}


def _start(home: Path) -> dict:
    env = {**os.environ, "HAFS_STUDIO_HOME": str(home), "HOME": str(home),
           "HAFS_CONTEXT_ROOT": str(home / "context"), "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH"))
                                         if p)}
    for switch in ("HAFS_STUDIO_PLUGINS", "HAFS_STUDIO_DISABLE_PLUGINS"):
        env.pop(switch, None)
    done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _offenders(modules: list[str]) -> list[str]:
    return [m for m in modules
            if any(m == name or m.startswith(name + ".") for name in NOT_BEFORE_FIRST_FRAME)]


def test_the_first_frame_from_the_index_imports_no_plugin(tmp_path):
    first = _start(tmp_path)  # the very first start: the default theme early, then no index:
    assert first["early"] and not first["indexed"]  # every plugin before the shell's frame
    assert _offenders(first["first_frame"]) == []
    assert "studio.plugins.models.plugin" in first["shell_frame"]

    usual = _start(tmp_path)  # every later start: the window first, then the shell, the index
    assert usual["early"] and usual["indexed"]
    early = {m for m in usual["first_frame"] if m == "studio" or m.startswith("studio.")}
    assert early <= EARLY_FRAME_MODULES, sorted(early - EARLY_FRAME_MODULES)
    assert _offenders(usual["first_frame"]) == []
    assert "studio.shell.app" in usual["shell_frame"]
    assert _offenders(usual["shell_frame"]) == []
    # ...and the plugins (and what they need) still come, right after the frame.
    from studio.core.plugins import BUILTIN_PLUGINS

    for _name, module in BUILTIN_PLUGINS:
        assert module in usual["after_start"]
    assert "pluggy" in usual["after_start"]
