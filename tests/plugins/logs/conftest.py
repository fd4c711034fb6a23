"""Shared fixtures and helpers of the Logs plugin tests."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

@pytest.fixture
def registry():
    from studio.plugins.logs.builtin_formats import register_builtin_formats
    from studio.plugins.logs.formats import FormatRegistry

    return register_builtin_formats(FormatRegistry())


@pytest.fixture
def open_doc(registry, tmp_path):
    """``open_doc(path)`` → a LogDocument closed after the test."""
    from studio.plugins.logs.document import LogDocument

    docs = []

    def factory(path, **kwargs):
        doc = LogDocument(path, registry, cache_dir=tmp_path / "cache", **kwargs)
        docs.append(doc)
        return doc

    yield factory
    for doc in docs:
        doc.close()


# Root reads any file whatever its mode, so chmod 000 denies nothing when the tests run as root.
# A write-only sysctl file is refused to root too (EACCES), by the kernel's own check.
_ROOT_DENIED = Path("/proc/sys/vm/compact_memory")


@pytest.fixture
def denied_file(tmp_path):
    """A path whose open() fails with EACCES for the user running the tests."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        if not _ROOT_DENIED.exists():
            pytest.skip("running as root and no file refuses root here (chmod 000 does not)")
        yield _ROOT_DENIED
        return
    path = tmp_path / "secret.log"
    path.write_text("x\n")
    path.chmod(0)
    yield path
    path.chmod(0o600)
