"""The window's first frame imports no plugin and none of the heavy libraries plugins use.

Start-up stays within its budget (issue 8: first paint <= 1.3x a bare QMainWindow) only while
the first frame comes from the plugin index and the shell alone. Every built-in plugin listed in
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

# What hafs-studio does up to its first frame: the studio from the plugin index, the shell, the
# window shown. At the first Paint event (plus one loop turn) the modules are recorded; then the
# plugins load as usual, to show they did arrive after the frame.
CHILD = r"""
import json, os, sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication
from studio.core.app import Studio
from studio.core.context import resolve_context_root
from studio.shell.app import StudioShell
from studio.shell.launch import prepare_qt_environment

prepare_qt_environment()
app = QApplication([sys.argv[0]])
studio = Studio(context=resolve_context_root(None))
indexed = studio.start_first_frame()
if not indexed:
    studio.start()
shell = StudioShell(studio, restore_session=False)  # interactive, as hafs-studio
window = shell.start()
result = {"indexed": indexed}

def after_plugins():
    if not studio.started:
        QTimer.singleShot(5, after_plugins)
        return
    result["after_start"] = sorted(sys.modules)
    print(json.dumps(result), flush=True)
    os._exit(0)

def first_frame():
    result["first_frame"] = sorted(sys.modules)
    after_plugins()

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and "first_frame" not in result:
            result["first_frame"] = None
            QTimer.singleShot(0, first_frame)
        return False

watcher = FirstPaint()
app.installEventFilter(watcher)
QTimer.singleShot(60_000, lambda: os._exit(3))
window.show()
app.exec()
"""


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
    first = _start(tmp_path)  # the very first start: no index yet, every plugin starts first
    assert not first["indexed"]
    assert "studio.plugins.models.plugin" in first["first_frame"]

    usual = _start(tmp_path)  # every later start paints from the index
    assert usual["indexed"]
    assert _offenders(usual["first_frame"]) == []
    # ...and the plugins (and what they need) still come, right after the frame.
    from studio.core.plugins import BUILTIN_PLUGINS

    for _name, module in BUILTIN_PLUGINS:
        assert module in usual["after_start"]
    assert "pluggy" in usual["after_start"]
