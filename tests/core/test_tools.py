"""The external tools manifest is complete and tools are located for real."""

from __future__ import annotations

import os
import re
import stat
import time

import pytest

from studio.core.tools import (
    ToolRegistry,
    ToolsManifestError,
    ToolSpec,
    load_manifest,
    locate,
)


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


# -- the per-studio registry ---------------------------------------------------------------------
def test_user_overrides_change_and_add_tools_once(tmp_path, monkeypatch):
    overrides = tmp_path / "tools.toml"
    overrides.write_text(
        '[tools.ollama]\nsearch = ["~/opt/ollama/bin"]\n\n'
        '[tools.axolotl]\ndescription = "trainer"\nexecutables = ["axolotl"]\n'
        'without = "training uses the demo trainer"\n')
    registry = ToolRegistry(overrides=overrides)
    ollama = registry.spec("ollama")
    assert ollama.search == ("~/opt/ollama/bin",)
    assert ollama.description == next(s for s in load_manifest() if s.name == "ollama").description
    assert registry.spec("axolotl").without == "training uses the demo trainer"
    overrides.write_text("garbage = [")  # parsed once: a later edit changes nothing live
    assert registry.spec("axolotl").executables == ("axolotl",)
    assert registry.problems == []


@pytest.mark.parametrize(("text", "problem"), [
    ("[tools.x]\ndescription = 1\n", r"\[tools.x\] description must be a string"),
    ('[tools.x]\nexecutabels = ["x"]\n', r"unknown field 'executabels'"),
    ('[tools.x]\ndescription = "x"\n', r"\[tools.x\] lacks executables, without"),
    ("[tools", "tools.toml"),
])
def test_a_bad_override_file_is_a_problem_not_a_crash(tmp_path, text, problem):
    overrides = tmp_path / "tools.toml"
    overrides.write_text(text)
    registry = ToolRegistry(overrides=overrides)
    (message,) = registry.problems
    assert re.search(problem, message) and str(overrides) in message
    assert registry.spec("ollama")  # the bundled tools are still there


def test_plugins_contribute_tools_through_the_hook(studio_factory, tmp_plugin, tmp_path,
                                                   monkeypatch):
    tool = _fake_tool(tmp_path / "bin", "vllm", "vllm 0.6.3")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    spec = ToolSpec(name="vllm", description="serving", executables=("vllm",),
                    without="deploy offers llama.cpp only", version_args=("--version",),
                    version_regex=r"vllm (\S+)")
    plugin = tmp_plugin("deploy_extra", studio_register_tools=lambda register: register(spec))
    clash = tmp_plugin("clash", studio_register_tools=lambda register: register(
        ToolSpec(name="ollama", description="x", executables=("x",), without="x")))
    studio = studio_factory(plugins=[("deploy_extra", plugin), ("clash", clash)])
    tools = studio.services.tools
    assert tools.spec("vllm").plugin == "deploy_extra"
    status = tools.locate("vllm")
    assert (status.path, status.found_by, status.version) == (tool, "PATH", "0.6.3")
    assert studio.plugins.records["clash"].state.value == "errored"
    assert "already defined by the tools manifest" in studio.plugins.records["clash"].error
    with pytest.raises(KeyError, match="no tool 'nope'"):
        tools.spec("nope")


def test_locate_applies_the_users_path_setting(tmp_path):
    explicit = _fake_tool(tmp_path / "custom", "ollama", "ollama version is 0.9.1")
    values = {("tools", "ollama"): str(explicit)}
    registry = ToolRegistry(setting_value=lambda section, key: values[(section, key)])
    status = registry.locate("ollama")
    assert (status.path, status.found_by, status.version) == (explicit, "setting", "0.9.1")


def test_a_hanging_version_probe_is_stopped(tmp_path):
    hang = tmp_path / "bin" / "ollama"
    hang.parent.mkdir()
    hang.write_text("#!/bin/sh\nsleep 30 &\nwait\n")  # a child of its own, too
    hang.chmod(0o755)
    spec = next(s for s in load_manifest() if s.name == "ollama")
    started = time.monotonic()
    status = locate(spec, override=str(hang))
    assert time.monotonic() - started < 15
    assert status.version is None and "could not run" in status.problems[0]
