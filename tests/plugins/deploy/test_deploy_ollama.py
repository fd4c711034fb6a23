"""Backend 3, Ollama: deploy, list/show/delete, streaming generate, registry, failures.

Against ``ollama_server.FakeOllama`` (Ollama's documented API, generation by llama.cpp) and,
when an ``ollama`` binary is on PATH, against the real server.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from deploy_helpers import MODEL_ID, CancelWhen

from studio.core.jobs import JobCancelled, JobContext
from studio.plugins.deploy.backend import (
    DeployError,
    DeployOptions,
    GenerationError,
    GenerationParams,
    GenerationRequest,
)
from studio.plugins.deploy.backends.ollama_client import OllamaClient, OllamaError
from studio.plugins.models.api import ModelsService

CHAT = GenerationRequest.chat([{"role": "user", "content": "hello world"}])
GREEDY = GenerationParams(max_tokens=12, temperature=0.0, seed=1)


def _entry(context: Path) -> dict:
    return ModelsService(context).info(MODEL_ID)


def _deploy(manager, **options):
    ctx = JobContext()
    return manager.deploy(ctx, MODEL_ID, "ollama", DeployOptions(**options))


def test_deploy_uploads_blob_creates_chatml_model_and_records_registry(manager, fake_ollama,
                                                                        context):
    before = _entry(context)
    assert before["deployed_backends"] == [] and before["ollama_model_name"] is None
    deployment = _deploy(manager, quant="Q8_0")

    model = fake_ollama.models[f"{MODEL_ID}:latest"]
    assert fake_ollama.uploads == 1
    assert model["template"].startswith("{{- range .Messages }}<|im_start|>{{ .Role }}")
    assert model["parameters"] == {"stop": ["<|im_end|>", "<|im_start|>"]}  # ChatML, as hafs
    entry = _entry(context)
    assert entry["deployed_backends"] == ["ollama"]
    assert entry["ollama_model_name"] == MODEL_ID
    assert [d.id for d in manager.deployments()] == [deployment.id]
    assert deployment.data["model_name"] == MODEL_ID and deployment.quant == "Q8_0"
    assert deployment.endpoint == f"{fake_ollama.url} (model {MODEL_ID})"

    # The same GGUF again under another name: Ollama has the blob, nothing is re-uploaded.
    again = _deploy(manager, quant="Q8_0", name="second")
    assert fake_ollama.uploads == 1 and again.data["digest"] == deployment.data["digest"]
    assert {m["name"] for m in manager.backend("ollama").list()} == {
        f"{MODEL_ID}:latest", "second:latest"}


def test_streaming_generate_reports_ollamas_own_eval_rate(manager, fake_ollama):
    deployment = _deploy(manager)
    stream = manager.generate(deployment, CHAT, GREEDY)
    pieces = list(stream)
    result = stream.result
    stats = result.stats
    assert result.text == "".join(pieces) and len(pieces) >= 1
    assert stats.measured_by == "server" and stats.completion_tokens >= 1
    final = fake_ollama.last_done
    assert stats.completion_tokens == final["eval_count"]
    assert stats.tokens_per_second == final["eval_count"] / (final["eval_duration"] / 1e9)
    assert stats.prompt_tokens == final["prompt_eval_count"]
    assert stats.time_to_first_token_ms is not None
    # Greedy and seeded: the same answer twice.
    assert manager.generate(deployment, CHAT, GREEDY).run().text == result.text


def test_generation_uses_the_same_prompt_text_as_the_in_process_backend(manager, fake_ollama):
    deployment = _deploy(manager)
    local = manager.deploy(JobContext(), MODEL_ID, "llama.cpp", DeployOptions(), record=False)
    assert local.artifact == deployment.artifact  # the same GGUF file
    remote_text = manager.generate(deployment, CHAT, GREEDY).run().text
    local_text = manager.generate(local, CHAT, GREEDY).run().text
    assert remote_text == local_text


def test_status_stop_and_remove(manager, fake_ollama, context):
    deployment = _deploy(manager)
    assert manager.status(deployment).state == "idle"  # installed, not loaded yet
    manager.generate(deployment, CHAT, GREEDY).run()
    assert manager.status(deployment).state == "ready"
    manager.stop(deployment.id)
    assert manager.status(deployment).state == "idle"  # unloaded, still installed
    manager.remove(deployment.id)
    assert fake_ollama.models == {} and manager.deployments() == []
    entry = _entry(context)
    assert entry["deployed_backends"] == [] and entry["ollama_model_name"] is None


def test_model_deleted_behind_the_studios_back_shows_down(manager, fake_ollama):
    deployment = _deploy(manager)
    with OllamaClient(fake_ollama.url) as client:
        assert client.delete(MODEL_ID)
        with pytest.raises(OllamaError, match=f"model '{MODEL_ID}:latest' not found") as info:
            client.delete(MODEL_ID)
        assert info.value.status == 404
        with pytest.raises(OllamaError, match=r"not found"):
            client.show(MODEL_ID)
    status = manager.status(deployment)
    assert status.state == "down" and MODEL_ID in status.detail
    with pytest.raises(GenerationError, match=r"not found"):
        manager.generate(deployment, CHAT, GREEDY).run()


def _assert_nothing_recorded(manager, context, fake_ollama=None):
    entry = _entry(context)
    assert entry["deployed_backends"] == [] and entry["ollama_model_name"] is None
    assert manager.deployments() == []
    if fake_ollama is not None:
        assert fake_ollama.models == {}


def test_server_down_fails_clearly_and_records_nothing(manager, studio, context):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    studio.settings.set("deploy", "ollama_url", f"http://127.0.0.1:{port}")
    assert not manager.backend("ollama").available()
    with pytest.raises(DeployError, match=f"no Ollama server answers at http://127.0.0.1:{port}"):
        _deploy(manager)
    _assert_nothing_recorded(manager, context)


def test_create_error_inside_the_stream_fails_and_leaves_no_model(manager, fake_ollama,
                                                                  context):
    fake_ollama.fail_create = "unsupported architecture"
    with pytest.raises(DeployError, match=r"unsupported architecture"):
        _deploy(manager)
    _assert_nothing_recorded(manager, context, fake_ollama)


def test_digest_mismatch_is_reported_with_ollamas_message(manager, fake_ollama, context):
    fake_ollama.corrupt_uploads = True
    with pytest.raises(DeployError, match=r"\(400\): digest mismatch"):
        _deploy(manager)
    _assert_nothing_recorded(manager, context, fake_ollama)


def test_registry_failure_after_create_removes_the_model_again(manager, fake_ollama, context,
                                                               monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(manager, "_registry_add", refuse)  # after Ollama created the model
    with pytest.raises(DeployError, match=r"registry could not record it.*disk full"):
        _deploy(manager)
    monkeypatch.undo()
    _assert_nothing_recorded(manager, context, fake_ollama)


def test_damaged_registry_stops_the_deploy_before_anything_is_created(manager, fake_ollama,
                                                                      context):
    registry = context / "models" / "registry.json"
    registry.write_text(registry.read_text()[:-20])  # torn, as mid-save
    with pytest.raises(DeployError, match=r"registry"):
        _deploy(manager)
    assert fake_ollama.models == {} and fake_ollama.uploads == 0


@pytest.mark.parametrize("stage", ["Uploading", "Ollama: using existing layer"])
def test_cancel_during_upload_or_create_leaves_nothing(manager, fake_ollama, context, stage):
    with pytest.raises(JobCancelled):
        manager.deploy(CancelWhen(stage), MODEL_ID, "ollama", DeployOptions())
    _assert_nothing_recorded(manager, context, fake_ollama)


def test_error_line_mid_generation_keeps_the_partial_answer(manager, fake_ollama):
    deployment = _deploy(manager)
    fake_ollama.fail_after_tokens = 3
    stream = manager.generate(deployment, CHAT, GREEDY)
    seen = []
    with pytest.raises(GenerationError, match=r"an error was encountered while running") as info:
        for piece in stream:
            seen.append(piece)
    assert len(seen) == 3 and info.value.partial_text == "".join(seen)
    assert stream.result is not None and stream.result.stats.finish_reason == "error"


def test_server_crash_mid_generation_is_a_clear_error(manager, fake_ollama):
    deployment = _deploy(manager)
    fake_ollama.drop_after_tokens = 2
    with pytest.raises(GenerationError, match=r"connection broke during /api/generate"):
        manager.generate(deployment, CHAT, GREEDY).run()


def test_invalid_model_name_is_refused_before_uploading(manager, fake_ollama, context):
    with pytest.raises(DeployError, match=r"invalid Ollama model name '../evil'"):
        _deploy(manager, name="../evil")
    assert fake_ollama.uploads == 0
    _assert_nothing_recorded(manager, context, fake_ollama)


# -- the real thing --------------------------------------------------------------------------
@pytest.fixture
def real_ollama(tmp_path: Path, studio):
    binary = shutil.which("ollama")
    if binary is None:
        pytest.skip("ollama is not on PATH (no package for this machine); the client is "
                    "tested against the documented API above")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "OLLAMA_HOST": f"127.0.0.1:{port}",
           "OLLAMA_MODELS": str(tmp_path / "ollama-models")}
    process = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    with OllamaClient(url, timeout=2) as client:
        while True:
            try:
                client.version()
                break
            except OllamaError:
                if time.monotonic() > deadline or process.poll() is not None:
                    process.kill()
                    pytest.fail("ollama serve did not answer within 30 s")
                time.sleep(0.1)
    studio.settings.set("deploy", "ollama_url", url)
    yield url
    process.terminate()
    process.wait(timeout=10)


def test_against_a_real_ollama(manager, real_ollama, context):
    deployment = _deploy(manager)
    assert _entry(context)["ollama_model_name"] == MODEL_ID
    result = manager.generate(deployment, CHAT, GREEDY).run()
    assert result.stats.measured_by == "server" and result.stats.completion_tokens >= 1
    manager.remove(deployment.id)
    with OllamaClient(real_ollama) as client:
        assert all(m["name"] != f"{MODEL_ID}:latest" for m in client.tags())
