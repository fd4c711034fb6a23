"""llama.cpp's convert_hf_to_gguf.py as the alternative converter, run for real.

A temp "checkout" holds a stand-in script (fake_convert_hf_to_gguf.py) that behaves like the
real one: same arguments, same log lines and tqdm bar, a real GGUF written with ``gguf``; so
the subprocess, progress parsing, cancel (process killed) and failure paths all really run.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from tiny_models import make_checkpoint

from studio.core.jobs import JobCancelled, JobContext
from studio.plugins.models.api import ModelsService
from studio.plugins.models.gguf_info import read_gguf_info
from studio.plugins.models.hf_to_gguf import ConversionError
from studio.plugins.models.llama_cpp_convert import (
    convert_with_llama_cpp,
    find_from_settings,
    find_llama_cpp_converter,
)

FAKE_SCRIPT = Path(__file__).with_name("fake_convert_hf_to_gguf.py")


def make_checkout(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(FAKE_SCRIPT, folder / "convert_hf_to_gguf.py")
    return folder


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hf") / "tiny-llama"
    make_checkpoint(folder, "llama")
    return folder


@pytest.fixture
def no_default_checkout(tmp_path: Path, monkeypatch) -> Path:
    """A home without ~/Code/llama.cpp and a PATH without the script."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    return home


def recorder() -> tuple[JobContext, list[tuple[float | None, str]]]:
    reports: list[tuple[float | None, str]] = []
    return JobContext(on_progress=lambda f, m: reports.append((f, m)), min_interval=0), reports


def test_converts_in_a_subprocess_with_progress(model_dir: Path, tmp_path: Path,
                                                no_default_checkout: Path):
    checkout = make_checkout(tmp_path / "llama.cpp")
    converter = find_llama_cpp_converter(checkout, python=sys.executable)
    assert converter is not None and converter.found_by == "setting"
    assert converter.python == sys.executable  # no .venv in the checkout
    out = tmp_path / "out" / "tiny-F16.gguf"
    context, reports = recorder()
    result = ModelsService(tmp_path / "context").convert(
        model_dir, outtype="f16", out=out, converter="llama.cpp", llama_cpp=converter,
        ctx=context)
    assert result.path == out and result.architecture == "llama"
    info = read_gguf_info(out)
    assert len(info.tensors) == result.n_tensors > 10
    assert {t.type for t in info.tensors if len(t.shape) == 2} == {"F16"}
    assert sorted(p.name for p in out.parent.iterdir()) == ["tiny-F16.gguf"]  # no temp file
    messages = [m for _, m in reports]
    assert any("blk.0.self_attn.q_proj.weight → F16" in m for m in messages)  # tensor lines
    assert any("writing 50%" in m for m in messages)  # tqdm's \r-redrawn bar
    fractions = [f for f, _ in reports if f is not None]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_checkout_venv_interpreter_is_preferred(tmp_path: Path, no_default_checkout: Path):
    checkout = make_checkout(tmp_path / "llama.cpp")
    venv_python = checkout / ".venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.write_text("")
    converter = find_llama_cpp_converter(checkout, python="/opt/other/python")
    assert converter is not None and converter.python == str(venv_python)


def test_default_hafs_location_and_settings(tmp_path: Path, no_default_checkout: Path):
    class Settings:
        def __init__(self, values: dict[tuple[str, str], str]) -> None:
            self.values = values

        def get(self, section: str, key: str) -> str:
            return self.values[(section, key)]  # KeyError: section absent, as in plugin tests

    assert find_from_settings(Settings({})) is None
    make_checkout(no_default_checkout / "Code" / "llama.cpp")
    found = find_from_settings(Settings({("models", "llama_cpp_python"): "/usr/bin/python3"}))
    assert found is not None and found.found_by == "search path"
    assert found.python == "/usr/bin/python3"


def test_not_offered_without_a_checkout(no_default_checkout: Path, tmp_path: Path):
    assert find_llama_cpp_converter() is None
    assert find_llama_cpp_converter(tmp_path / "missing") is None
    with pytest.raises(ConversionError, match=r"convert_hf_to_gguf\.py was not found"):
        ModelsService(tmp_path / "context").convert(tmp_path, converter="llama.cpp")


def test_failure_shows_the_scripts_error(model_dir: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("FAKE_CONVERT_MODE", "fail")
    converter = find_llama_cpp_converter(make_checkout(tmp_path / "llama.cpp"), sys.executable)
    assert converter is not None
    out = tmp_path / "out" / "x.gguf"
    with pytest.raises(ConversionError) as failure:
        convert_with_llama_cpp(converter, model_dir, out)
    message = str(failure.value)
    assert "exit code 1" in message and "No module named 'torch'" in message
    assert "models.llama_cpp_python" in message  # what to do about it
    assert list(out.parent.iterdir()) == []


def test_cancel_kills_the_script_and_leaves_nothing(model_dir: Path, tmp_path: Path,
                                                    monkeypatch):
    pidfile = tmp_path / "script.pid"
    monkeypatch.setenv("FAKE_CONVERT_MODE", "hang")
    monkeypatch.setenv("FAKE_CONVERT_PIDFILE", str(pidfile))
    converter = find_llama_cpp_converter(make_checkout(tmp_path / "llama.cpp"), sys.executable)
    assert converter is not None
    out_dir = tmp_path / "out"

    def cancel_once_writing(fraction: float | None, message: str) -> None:
        if "writing" in message:  # the script is now blocked with a partial file on disk
            context.cancel()

    context = JobContext(on_progress=cancel_once_writing, min_interval=0)
    with pytest.raises(JobCancelled):
        convert_with_llama_cpp(converter, model_dir, out_dir / "x.gguf", ctx=context)
    assert list(out_dir.iterdir()) == []  # neither output nor temp file
    pid = int(pidfile.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # killed and reaped
