"""Test-wide setup: Qt renders offscreen (before any QApplication exists), the user's real
config is never touched, and hypothesis runs without deadlines (CI machines are slow).

Hypothesis profiles (HAFS_STUDIO_HYPOTHESIS): "explore" (the default when pytest is run by hand)
draws new examples every run; "gate" (what `make test`, and so CI, uses) is derandomized, so a
merge is judged on the same examples every time and a red run always reproduces; "fuzz"
(`make fuzz`) explores ten times longer."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Anything that forgets the studio_home fixture still never writes the developer's config.
os.environ.setdefault("HAFS_STUDIO_HOME", tempfile.mkdtemp(prefix="hafs-studio-tests-"))
os.environ.setdefault("QT_QUICK_BACKEND", "software")

from hypothesis import HealthCheck, settings

_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("explore", max_examples=100, **_COMMON)
settings.register_profile("gate", max_examples=100, derandomize=True, **_COMMON)
settings.register_profile("fuzz", max_examples=1000, **_COMMON)
settings.load_profile(os.environ.get("HAFS_STUDIO_HYPOTHESIS", "explore"))


def pytest_configure(config) -> None:
    # The fixtures ship as a pytest11 entry point of the installed package; when the tests run
    # from a plain checkout (PYTHONPATH) that entry point does not exist, so load them here.
    if not config.pluginmanager.has_plugin("hafs_studio"):
        config.pluginmanager.import_plugin("studio.testing.pytest_plugin")
