"""``hafs-studio deploy | deployments | serve | test`` as real subprocesses."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from deploy_helpers import MODEL_ID

from studio.plugins.models.api import ModelsService

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def cli(tmp_path: Path, context: Path):
    home = tmp_path / "home"
    home.mkdir()

    def env() -> dict[str, str]:
        environ = dict(os.environ, HAFS_STUDIO_HOME=str(home / "studio"), HOME=str(home),
                       COLUMNS="200", PYTHONPATH=str(ROOT))
        environ.pop("DISPLAY", None)
        environ.pop("QT_QPA_PLATFORM", None)
        return environ

    def command(*args: str) -> list[str]:
        return [sys.executable, "-m", "studio", "--context", str(context), *args]

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(command(*args), check=False, capture_output=True, text=True,
                              env=env(), timeout=300)

    run.command, run.env, run.home = command, env, home
    return run


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_deploy_list_test_stop_remove(cli, context):
    deployed = cli("deploy", MODEL_ID, "--backend", "llama.cpp", "--quant", "Q8_0", "--json")
    assert deployed.returncode == 0, deployed.stderr
    record = json.loads(deployed.stdout)
    assert record["backend"] == "llama.cpp" and record["quant"] == "Q8_0"
    assert record["artifact"].endswith(f"{MODEL_ID}-Q8_0.gguf")

    listed = json.loads(cli("deployments", "list", "--json").stdout)
    assert listed["total"] == 1 and listed["deployments"][0]["status"] == "idle"

    tested = cli("test", MODEL_ID, "--prompt", "hello world", "--max-tokens", "8",
                 "--temperature", "0", "--json")
    assert tested.returncode == 0, tested.stderr
    data = json.loads(tested.stdout)
    assert {"tokens_per_second", "time_to_first_token_ms", "completion_tokens"} <= set(data)
    assert 1 <= data["completion_tokens"] <= 8 and data["deployment"] == record["id"]
    assert data["time_to_first_token_ms"] > 0

    text = cli("test", MODEL_ID, "--max-tokens", "4")
    assert text.returncode == 0 and "tok/s" in text.stderr and "TTFT" in text.stderr

    stopped = cli("deployments", "stop", record["id"])
    assert stopped.returncode == 0 and record["id"] in stopped.stdout
    removed = cli("deployments", "remove", record["id"])
    assert removed.returncode == 0
    assert json.loads(cli("deployments", "list", "--json").stdout)["total"] == 0
    missing = cli("deployments", "stop", record["id"])
    assert missing.returncode == 1 and f"no deployment {record['id']!r}" in missing.stderr


def test_test_without_a_deployment_loads_a_temporary_one(cli):
    result = cli("test", MODEL_ID, "--backend", "ct2", "--max-tokens", "6", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["backend"] == "ct2" and data["completion_tokens"] >= 1
    assert json.loads(cli("deployments", "list", "--json").stdout)["total"] == 0  # not recorded


def test_test_with_a_prompt_set(cli, tmp_path):
    good = tmp_path / "set.yaml"
    good.write_text("params: {temperature: 0, max_tokens: 6}\nprompts:\n"
                    "  - {id: any, prompt: hello, expect_regex: ['(?s).']}\n"
                    "  - {id: never, prompt: hello, expect: [never-produced-text]}\n")
    result = cli("test", MODEL_ID, "--prompts", str(good), "--json")
    assert result.returncode == 1  # one prompt fails its expectation
    data = json.loads(result.stdout)
    assert data["summary"]["passed"] == 1 and data["summary"]["failed"] == 1
    bad = tmp_path / "bad.yaml"
    bad.write_text("prompts:\n  - {prompt: x, expect_regex: ['(']}\n")
    result = cli("test", MODEL_ID, "--prompts", str(bad))
    assert result.returncode == 2 and "prompts[0].expect_regex[0]: invalid regex" in result.stderr


def test_bad_backends_and_bad_input(cli, context):
    nowhere = cli("deploy", MODEL_ID, "--backend", "node:nowhere")  # no hosts configured
    assert nowhere.returncode == 1 and "no hosts configured" in nowhere.stderr
    assert "[hosts.<name>]" in nowhere.stderr and "[[nodes]]" in nowhere.stderr  # not markup
    bare = cli("deploy", MODEL_ID, "--backend", "node")
    assert bare.returncode == 2 and "node:NAME" in bare.stderr
    unknown = cli("deploy", MODEL_ID, "--backend", "vllm")
    assert unknown.returncode == 2 and "unknown backend 'vllm'" in unknown.stderr
    missing = cli("deploy", "no-such-model")
    assert missing.returncode == 1 and "neither a registered model" in missing.stderr
    down = cli("test", MODEL_ID, "--backend", "ollama")
    assert down.returncode == 1 and "not deployed on ollama" in down.stderr
    assert ModelsService(context).info(MODEL_ID)["deployed_backends"] == []


def test_serve_runs_an_openai_compatible_server_until_interrupted(cli):
    port = _free_port()
    process = subprocess.Popen(cli.command("serve", MODEL_ID, "--port", str(port)),
                               env=cli.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:  # a real server in another process: poll until it answers
            try:
                models = httpx.get(f"{url}/v1/models", timeout=2).json()
                break
            except httpx.TransportError:
                assert process.poll() is None, process.communicate()[1]
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert models["data"][0]["id"] == MODEL_ID
        reply = httpx.post(f"{url}/v1/chat/completions", timeout=60, json={
            "model": MODEL_ID, "max_tokens": 5, "temperature": 0,
            "messages": [{"role": "user", "content": "hello"}]}).json()
        assert reply["usage"]["completion_tokens"] >= 1
        # Port taken: a second server says so instead of failing obscurely.
        second = cli("serve", MODEL_ID, "--port", str(port))
        assert second.returncode == 1 and f"port {port} on 127.0.0.1 is already in use" in \
            second.stderr
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))  # free again: nothing left running
