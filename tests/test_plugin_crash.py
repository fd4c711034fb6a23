"""A plugin that kills the process while it is imported is named at the next start.

The plugin is installed for real (a distribution with a ``hafs_studio.plugins`` entry point on
PYTHONPATH) and calls ``os.abort()`` at import, as a crashing C extension would: nothing in the
process can catch it, only the crash guard's file survives.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NEXT_START = """
import json
from studio.core.app import Studio
crash = Studio().plugins.crash_report
print(json.dumps(None if crash is None else [crash.plugin, crash.phase]))
"""


def _install_aborting_plugin(site: Path) -> None:
    site.mkdir(parents=True)
    (site / "aborts_on_import.py").write_text("import os\nos.abort()\n")
    dist_info = site / "hafs_studio_aborts-0.1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: hafs-studio-aborts\nVersion: 0.1.0\n")
    (dist_info / "entry_points.txt").write_text(
        "[hafs_studio.plugins]\naborts_on_import = aborts_on_import\n")


def _run(home: Path, site: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("HAFS_STUDIO_PLUGINS", "HAFS_STUDIO_DISABLE_PLUGINS")}
    env.update(PYTHONPATH=os.pathsep.join([str(site), str(REPO)]),
               HAFS_STUDIO_HOME=str(home / "studio-home"),
               HAFS_CONTEXT_ROOT=str(home / "context"), QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, *args], check=False, cwd=home, env=env,
                          capture_output=True, text=True, timeout=180)


def test_a_plugin_that_aborts_at_import_is_reported_at_the_next_start(tmp_path: Path):
    site = tmp_path / "site"
    _install_aborting_plugin(site)
    first = _run(tmp_path, site, "-m", "studio", "plugins", "list", "--json")
    assert first.returncode == -signal.SIGABRT, first.stderr  # the process really died
    guard = tmp_path / "studio-home" / "state" / "plugin-guard.json"
    assert guard.is_file()

    second = _run(tmp_path, site, "-c", NEXT_START)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout) == ["aborts_on_import", "load"]
    # Reported once: the start that read it removed it.
    third = _run(tmp_path, site, "-c", NEXT_START)
    assert json.loads(third.stdout) is None
