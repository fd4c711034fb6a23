"""studio.api and studio.shell.api: every exported name resolves, and importing them is cheap."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module_name", ["studio.api", "studio.shell.api"])
def test_every_exported_name_resolves(module_name):
    import importlib

    module = importlib.import_module(module_name)
    missing = [name for name in module.__all__ if getattr(module, name, None) is None]
    assert missing == []
    assert sorted(dir(module)) == sorted(module.__all__)


def test_importing_the_public_apis_loads_neither_qt_nor_the_heavy_services():
    # What a plugin's plugin.py pays at start-up: no Qt, no SSH, no CLI framework.
    code = ("import sys, studio.api, studio.shell.api; "
            "print(sorted(m for m in ('PySide6', 'asyncssh', 'typer', 'rich', 'numpy') "
            "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"
