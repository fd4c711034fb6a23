"""The external tools manifest is complete and tools are located for real."""

from __future__ import annotations

import os
import stat

import pytest

from studio.core.tools import ToolsManifestError, load_manifest, locate


def test_every_manifest_entry_is_complete():
    specs = load_manifest()
    names = {spec.name for spec in specs}
    assert {"llama-server", "llama-quantize", "ollama", "nvidia-smi", "ssh"} <= names
    for spec in specs:
        assert spec.description and spec.executables and spec.without
        if spec.version_args:
            assert spec.version_regex, f"{spec.name} has version_args but no version_regex"


def _fake_tool(folder, name, output):
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / name
    script.write_text(f"#!/bin/sh\necho '{output}'\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_locate_prefers_setting_then_search_then_path(tmp_path, monkeypatch):
    spec = next(s for s in load_manifest() if s.name == "ollama")
    on_path = _fake_tool(tmp_path / "bin", "ollama", "ollama version is 0.6.2")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    status = locate(spec)
    if status.found_by != "search path":  # a real ollama in /usr/local/bin would win
        assert status.path == on_path and status.found_by == "PATH"
        assert status.version == "0.6.2"
    explicit = _fake_tool(tmp_path / "custom", "ollama", "ollama version is 0.9.0")
    status = locate(spec, override=str(explicit))
    assert (status.path, status.found_by, status.version) == (explicit, "setting", "0.9.0")
    status = locate(spec, override=str(tmp_path / "nope"))
    assert any("does not exist" in p for p in status.problems)


def test_missing_tool_and_broken_manifest(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    spec = next(s for s in load_manifest() if s.name == "llama-quantize")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert not locate(spec).found
    broken = tmp_path / "tools.toml"
    broken.write_text('[tools.x]\ndescription = "x"\n')
    with pytest.raises(ToolsManifestError, match=r"\[tools.x\] lacks executables, without"):
        load_manifest(broken)
