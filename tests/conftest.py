"""Test-wide setup: Qt renders offscreen (before any QApplication exists), the user's real
config is never touched, and a slow-but-deterministic hypothesis profile is used."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Anything that forgets the studio_home fixture still never writes the developer's config.
os.environ.setdefault("HAFS_STUDIO_HOME", tempfile.mkdtemp(prefix="hafs-studio-tests-"))
os.environ.setdefault("QT_QUICK_BACKEND", "software")

from hypothesis import HealthCheck, settings

settings.register_profile(
    "studio", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=100
)
settings.load_profile("studio")


def pytest_configure(config) -> None:
    # The fixtures ship as a pytest11 entry point of the installed package; when the tests run
    # from a plain checkout (PYTHONPATH) that entry point does not exist, so load them here.
    if not config.pluginmanager.has_plugin("hafs_studio"):
        config.pluginmanager.import_plugin("studio.testing.pytest_plugin")
