"""Test setup for a studio plugin: no display needed, and the studio's fixtures loaded."""

from __future__ import annotations

import os

# Before any QApplication exists: render offscreen so the tests run on CI without a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def pytest_configure(config) -> None:
    # An installed hafs-studio registers its fixtures as the pytest plugin "hafs_studio"; from a
    # source checkout (PYTHONPATH) that entry point is missing, so load the module directly.
    if not config.pluginmanager.has_plugin("hafs_studio"):
        config.pluginmanager.import_plugin("studio.testing.pytest_plugin")
