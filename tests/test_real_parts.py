"""A missing real part (sshd, llama-cpp-python) skips a developer's test and fails CI's."""

from __future__ import annotations

import pytest

from studio.testing.real_parts import REQUIRE_REAL_PARTS, import_real_part, missing_real_part


def test_a_missing_part_skips_without_the_switch(monkeypatch):
    monkeypatch.delenv(REQUIRE_REAL_PARTS, raising=False)
    with pytest.raises(pytest.skip.Exception, match="no sshd here"):
        missing_real_part("no sshd here")
    with pytest.raises(pytest.skip.Exception, match="no_such_module_xyz"):
        import_real_part("no_such_module_xyz", "an extra")


def test_a_missing_part_fails_when_ci_requires_real_parts(monkeypatch):
    monkeypatch.setenv(REQUIRE_REAL_PARTS, "1")
    with pytest.raises(pytest.fail.Exception, match=r"no sshd here.*must be installed"):
        missing_real_part("no sshd here")
    with pytest.raises(pytest.fail.Exception, match="no_such_module_xyz"):
        import_real_part("no_such_module_xyz", "an extra")
    assert import_real_part("json", "stdlib").dumps([]) == "[]"


def test_make_test_requires_real_parts():
    from pathlib import Path

    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    test_target = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert f"{REQUIRE_REAL_PARTS}=1" in test_target
