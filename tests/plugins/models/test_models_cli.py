"""``hafs-studio models …`` as real subprocesses with a private home and context."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from entries import sample_entries

from studio.plugins.models.gguf_info import read_gguf_info
from studio.plugins.models.registry import RegistryStore, registry_path
from studio.plugins.models.sample import make_sample_checkpoint
from studio.plugins.models.schema import FIELDS
from studio.testing.real_parts import import_real_part


@pytest.fixture
def cli(tmp_path: Path):
    home = tmp_path / "home"
    context = tmp_path / "context"
    home.mkdir()
    store = RegistryStore(registry_path(context))
    for entry in sample_entries():
        store.add(entry)

    def run(*args: str, input_text: str | None = None) -> subprocess.CompletedProcess:
        env = dict(os.environ, HAFS_STUDIO_HOME=str(home / "studio"), HOME=str(home),
                   COLUMNS="200")
        env.pop("DISPLAY", None)
        env.pop("QT_QPA_PLATFORM", None)
        env["PYTHONPATH"] = str(Path(__file__).resolve().parents[3])
        command = [sys.executable, "-m", "studio", "--context", str(context), "models", *args]
        return subprocess.run(command, check=False, capture_output=True, text=True, env=env,
                              input=input_text, timeout=120)

    run.context = context
    run.state = home / "studio" / "state"
    return run


def test_list_json_matches_hafs_and_filters(cli):
    result = cli("list", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["total"] == 4 and len(data["models"]) == 4
    assert all(list(entry) == list(FIELDS) for entry in data["models"])
    asm = json.loads(cli("list", "--role", "asm", "--json").stdout)
    assert [m["model_id"] for m in asm["models"]] == ["oracle-rauru-asm"]
    deployed = json.loads(cli("list", "-b", "ollama", "--json").stdout)
    assert deployed["total"] == 1
    table = cli("list", "--location", "windows")
    assert "oracle-rauru-asm" in table.stdout and "yaze-helper" not in table.stdout


def test_info_and_unknown_id(cli):
    result = cli("info", "oracle-rauru-asm")
    assert result.returncode == 0
    assert "windows (primary)" in result.stdout and "acceptance_rate: 81.0%" in result.stdout
    assert json.loads(cli("info", "oracle-rauru-asm", "--json").stdout)["role"] == "asm"
    missing = cli("info", "no-such-model")
    assert missing.returncode == 1 and "no-such-model" in missing.stderr


def test_register_convert_inspect_quantize_compare_remove(cli, tmp_path):
    folder = tmp_path / "checkpoints" / "tiny-cli"
    make_sample_checkpoint(folder)
    registered = cli("register", str(folder), "--role", "debug", "--name", "Tiny CLI",
                     "--json")
    assert registered.returncode == 0, registered.stderr
    assert json.loads(registered.stdout)["locations"] == {"mac": str(folder)}
    bad_id = cli("register", str(folder), "--id", " ")
    assert bad_id.returncode == 2 and "model id is empty" in bad_id.stderr

    converted = cli("convert", "tiny-cli", "--to", "gguf", "--outtype", "f16")
    assert converted.returncode == 0, converted.stderr
    gguf = folder / "tiny-cli-f16.gguf"  # inside the model folder, named as hafs names it
    assert gguf.is_file()
    info = json.loads(cli("info", "tiny-cli", "--json").stdout)
    assert "gguf" in info["formats"] and info["_studio"]["artifacts"][0]["type"] == "F16"

    before = gguf.stat()
    again = cli("convert", "tiny-cli", "--to", "gguf", "--outtype", "f16")
    assert again.returncode == 1 and "exists already" in again.stderr
    assert "--overwrite" in again.stderr
    assert gguf.stat().st_mtime_ns == before.st_mtime_ns  # never replaced silently
    replaced = cli("convert", "tiny-cli", "--to", "gguf", "--outtype", "f16", "--overwrite")
    assert replaced.returncode == 0, replaced.stderr
    assert gguf.is_file() and not list(folder.glob("*.partial"))

    inspected = json.loads(cli("inspect", str(gguf), "--json").stdout)
    assert inspected["architecture"] == "qwen2" and inspected["parameter_count"] > 0
    assert inspected["metadata"]["tokenizer.ggml.tokens"]["count"] > 256

    import_real_part("llama_cpp", "llama-cpp-python (the test extra) is not installed")
    quantized = cli("quantize", str(gguf), "--type", "Q8_0", "--model", "tiny-cli")
    assert quantized.returncode == 0, quantized.stderr
    assert (folder / "tiny-cli-Q8_0.gguf").is_file()
    assert "8.5 bits/weight" in quantized.stderr
    # The quantizer ran as a managed process of the models plugin, with a log to open.
    (log,) = (cli.state / "logs" / "models").glob("llama-quantize-*.log")
    assert "exited with status 0" in log.read_text() and "blk.0." in log.read_text()

    compared = cli("compare", "tiny-cli", "oracle-debugger", "--json")
    rows = json.loads(compared.stdout)
    assert len(rows) == 36 and any(r["field"] == "display_name" and r["differs"] for r in rows)

    refused = cli("remove", "tiny-cli")  # no terminal to confirm on
    assert refused.returncode == 1 and "--yes" in refused.stderr
    removed = cli("remove", "tiny-cli", "--yes")
    assert removed.returncode == 0 and folder.is_dir() and gguf.is_file()
    assert cli("info", "tiny-cli").returncode == 1


def test_bad_input_exit_codes(cli):
    assert cli("quantize", "missing.gguf", "--type", "Q9_X").returncode == 2
    assert cli("convert", "not-a-model").returncode == 1
    registry_path(cli.context).write_text('{"version": "1.0", "models": {')
    damaged = cli("list")
    assert damaged.returncode == 3 and "registry.json:1:" in damaged.stderr


def test_cli_never_imports_qt(cli):
    script = ("import sys; from studio.cli.main import run_cli; "
              "from studio.__main__ import parse_common; "
              "options, rest = parse_common(sys.argv[1:]); code = run_cli(sys.argv[1:], options);"
              " bad = [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph'))];"
              " print('QT', bad); sys.exit(code)")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[3]))
    command = [sys.executable, "-c", script, "--context", str(cli.context), "models", "list",
               "--json"]
    result = subprocess.run(command, check=False, capture_output=True, text=True, env=env,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("QT []")


def test_convert_with_llama_cpp_checkout(cli, tmp_path):
    from tiny_models import make_checkpoint

    folder = tmp_path / "tiny-llama"
    make_checkpoint(folder, "llama")
    out = tmp_path / "out.gguf"
    missing = cli("convert", str(folder), "--converter", "llama.cpp", "--out", str(out))
    assert missing.returncode == 1 and "convert_hf_to_gguf.py was not found" in missing.stderr
    assert cli("convert", str(folder), "--converter", "torch").returncode == 2
    # hafs' default location, ~/Code/llama.cpp (the fixture's HOME), found without settings.
    checkout = tmp_path / "home" / "Code" / "llama.cpp"
    checkout.mkdir(parents=True)
    shutil.copy(Path(__file__).with_name("fake_convert_hf_to_gguf.py"),
                checkout / "convert_hf_to_gguf.py")
    result = cli("convert", str(folder), "--converter", "llama.cpp", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert read_gguf_info(out).architecture == "llama"
