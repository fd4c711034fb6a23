"""Backends 1 and 4 in the studio process: llama.cpp and CTranslate2, on real tiny models."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from deploy_helpers import CancelWhen

from studio.core.jobs import JobCancelled, JobContext
from studio.plugins.deploy.backend import (
    DeployArtifact,
    DeployError,
    DeployOptions,
    GenerationParams,
    GenerationRequest,
)
from studio.plugins.deploy.backends.ct2 import CTranslate2Backend
from studio.plugins.deploy.backends.ct2_convert import convert_to_ct2, ct2_model_dir
from studio.plugins.deploy.backends.llama_inproc import LlamaCppBackend
from studio.plugins.deploy.store import Deployment
from studio.plugins.deploy.templates import ChatTemplate, template_from_gguf
from studio.plugins.models.api import ModelsService, read_gguf_info

CHAT = GenerationRequest.chat([{"role": "system", "content": "You write 65816 assembly."},
                               {"role": "user", "content": "hello world def class"}])
GREEDY = GenerationParams(max_tokens=24, temperature=0.0)


def _llama(backend: LlamaCppBackend, gguf: Path, deployment_id: str = "l", **extra
           ) -> Deployment:
    template = template_from_gguf(read_gguf_info(gguf))
    result = backend.deploy(DeployArtifact("gguf", gguf, None, template),
                            DeployOptions(n_ctx=256, extra=extra), deployment_id, JobContext())
    return Deployment(deployment_id, "llama.cpp", None, str(gguf), "gguf", "in-process",
                      template=template, options=result["options"])


def _ct2(backend: CTranslate2Backend, folder: Path, compute_type: str) -> Deployment:
    result = backend.deploy(DeployArtifact("hf", folder, "tiny", ChatTemplate(None)),
                            DeployOptions(compute_type=compute_type), f"c-{compute_type}",
                            JobContext())
    return Deployment(f"c-{compute_type}", "ct2", "tiny", result["artifact"], "ct2",
                      "in-process", quant=compute_type, template=result["template"],
                      options=result["options"])


@pytest.fixture
def llama_backend():
    backend = LlamaCppBackend()
    yield backend
    backend.close()


@pytest.fixture
def ct2_backend():
    backend = CTranslate2Backend()
    yield backend
    backend.close()


def test_llama_chat_streams_tokens_with_timings(llama_backend, tiny_gguf):
    deployment = _llama(llama_backend, tiny_gguf)
    stream = llama_backend.generate(deployment, CHAT, GREEDY)
    pieces = list(stream)
    result = stream.result
    assert result.text == "".join(pieces)
    stats = result.stats
    assert stats.completion_tokens == len(result.token_ids) >= 1
    assert stats.finish_reason in ("stop", "length")
    prompt = deployment.template.render(CHAT.messages)
    assert prompt.startswith("<|im_start|>system\nYou write 65816 assembly.<|im_end|>")
    llm = llama_backend._engines["l"].llm
    assert stats.prompt_tokens == len(llm.tokenize(prompt.encode(), add_bos=False,
                                                   special=True))
    assert stats.time_to_first_token_ms is not None and stats.total_s > 0
    # Greedy decoding is deterministic; sampling with a seed is reproducible.
    assert llama_backend.generate(deployment, CHAT, GREEDY).run().token_ids == result.token_ids
    sampled = GenerationParams(max_tokens=16, temperature=1.0, top_k=0, top_p=1.0, seed=7)
    first = llama_backend.generate(deployment, CHAT, sampled).run().token_ids
    assert llama_backend.generate(deployment, CHAT, sampled).run().token_ids == first


def test_llama_stop_button_stops_between_tokens(llama_backend, tiny_gguf):
    deployment = _llama(llama_backend, tiny_gguf)
    stream = llama_backend.generate(deployment, CHAT, GenerationParams(max_tokens=200,
                                                                       temperature=0.0))
    received = []
    for piece in stream:
        received.append(piece)
        if len(stream._ids) == 3:  # the user presses Stop after the third token
            stream.cancel()
    result = stream.result
    assert result.stats.finish_reason == "cancelled"
    assert result.stats.completion_tokens == 3 == len(result.token_ids)
    # The engine is free again at once.
    assert llama_backend.generate(deployment, CHAT, GREEDY).run().stats.completion_tokens


def test_llama_cancel_from_another_thread(llama_backend, tiny_gguf):
    deployment = _llama(llama_backend, tiny_gguf)
    stream = llama_backend.generate(deployment, CHAT, GenerationParams(max_tokens=250,
                                                                       temperature=0.0))
    first = threading.Event()

    def consume() -> None:
        for _ in stream:
            first.set()

    worker = threading.Thread(target=consume)
    worker.start()
    assert first.wait(30)
    stream.cancel()
    worker.join(30)
    assert not worker.is_alive()
    assert stream.result.stats.finish_reason == "cancelled"


def test_llama_stop_strings_end_the_answer_before_them(llama_backend, tiny_gguf):
    deployment = _llama(llama_backend, tiny_gguf)
    full = llama_backend.generate(deployment, CHAT, GREEDY).run().text
    assert len(full) > 4
    stop = full[2:4]
    cut = llama_backend.generate(deployment, CHAT, GenerationParams(
        max_tokens=24, temperature=0.0, stop=(stop,))).run()
    assert cut.text == full[:full.index(stop)] and cut.stats.finish_reason == "stop"


def test_llama_missing_and_corrupt_gguf_fail_clearly(llama_backend, tiny_gguf, tmp_path):
    template = template_from_gguf(read_gguf_info(tiny_gguf))
    missing = tmp_path / "gone.gguf"
    with pytest.raises(DeployError, match=f"{missing}: GGUF file not found"):
        llama_backend.deploy(DeployArtifact("gguf", missing, None, template), DeployOptions(),
                             "x", JobContext())
    corrupt = tmp_path / "corrupt.gguf"
    data = tiny_gguf.read_bytes()
    corrupt.write_bytes(data[: len(data) // 3])  # truncated inside the tensor data
    with pytest.raises(DeployError, match=str(corrupt)):
        llama_backend.deploy(DeployArtifact("gguf", corrupt, None, template), DeployOptions(),
                             "y", JobContext())
    not_gguf = tmp_path / "notes.gguf"
    not_gguf.write_text("hello")
    with pytest.raises(DeployError, match=r"not a usable GGUF"):
        llama_backend.deploy(DeployArtifact("gguf", not_gguf, None, template), DeployOptions(),
                             "z", JobContext())
    assert llama_backend.loaded() == []


def test_llama_status_stop_and_lazy_reload(llama_backend, tiny_gguf):
    deployment = _llama(llama_backend, tiny_gguf)
    status = llama_backend.status(deployment)
    assert status.state == "ready" and status.memory_bytes and status.since
    llama_backend.stop(deployment)
    assert llama_backend.status(deployment).state == "idle"
    # A recorded deployment loads again on first use (a new studio process).
    assert llama_backend.generate(deployment, CHAT, GREEDY).run().stats.completion_tokens
    assert llama_backend.status(deployment).state == "ready"


# -- CTranslate2 ---------------------------------------------------------------------------
@pytest.mark.parametrize("arch", ["llama", "qwen2"])
def test_ct2_float32_greedy_tokens_equal_llama_cpp_f32_gguf(arch, tiny_checkpoints, tmp_path,
                                                            llama_backend, ct2_backend):
    folder = tmp_path / arch
    shutil.copytree(tiny_checkpoints[arch], folder)
    gguf = ModelsService(tmp_path / "ctx").convert(folder, outtype="f32",
                                                   out=tmp_path / f"{arch}-F32.gguf").path
    # F32 KV cache: llama.cpp's default F16 cache alone can flip a greedy choice.
    local = _llama(llama_backend, gguf, f32_kv_cache=True)
    converted = _ct2(ct2_backend, folder, "float32")
    assert converted.template.render(CHAT.messages) == local.template.render(CHAT.messages)
    ids = ct2_backend.prompt_ids(converted, CHAT)
    llm = llama_backend._engines["l"].llm
    prompt = local.template.render(CHAT.messages)
    assert ids == llm.tokenize(prompt.encode(), add_bos=local.template.needs_bos(prompt),
                               special=True)
    params = GenerationParams(max_tokens=32, temperature=0.0)
    expected = llama_backend.generate(local, CHAT, params).run()
    got = ct2_backend.generate(converted, CHAT, params).run()
    assert len(expected.token_ids) >= 8
    assert got.token_ids == expected.token_ids
    # (Texts are not compared: random weights emit invalid UTF-8 byte tokens, which
    # llama.cpp and HF tokenizers replace with U+FFFD in slightly different runs.)


@pytest.mark.parametrize("compute_type", ["int8", "int8_float32", "float16", "float32"])
def test_ct2_every_compute_type_converts_loads_and_streams(compute_type, tiny_checkpoints,
                                                           tmp_path, ct2_backend):
    folder = tmp_path / "qwen2"
    shutil.copytree(tiny_checkpoints["qwen2"], folder)
    deployment = _ct2(ct2_backend, folder, compute_type)
    assert Path(deployment.artifact) == ct2_model_dir(folder, "tiny", compute_type)
    assert {"model.bin", "config.json", "tokenizer.json", "studio.json"} <= {
        p.name for p in Path(deployment.artifact).iterdir()}
    result = ct2_backend.generate(deployment, CHAT, GenerationParams(max_tokens=10,
                                                                     temperature=0.0)).run()
    assert 1 <= result.stats.completion_tokens <= 10
    status = ct2_backend.status(deployment)
    assert status.state == "ready" and compute_type in status.detail


def test_ct2_cancel_or_failure_leaves_no_partial_model(tiny_checkpoints, tmp_path,
                                                      monkeypatch):
    folder = tmp_path / "qwen2"
    shutil.copytree(tiny_checkpoints["qwen2"], folder)
    target = ct2_model_dir(folder, "m", "int8")
    with pytest.raises(JobCancelled):
        convert_to_ct2(folder, target, "int8", CancelWhen("Layer 2"))
    assert not target.exists() and _leftovers(tmp_path) == []
    with pytest.raises(JobCancelled):
        convert_to_ct2(folder, target, "int8", CancelWhen("Quantizing and saving"))
    assert not target.exists() and _leftovers(tmp_path) == []
    def disk_full(*args, **kwargs):  # fails after CTranslate2 wrote model.bin
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("studio.plugins.deploy.backends.ct2_convert.shutil.copy2", disk_full)
    with pytest.raises(OSError, match=r"No space left"):
        convert_to_ct2(folder, target, "int8", JobContext())
    assert not target.exists() and _leftovers(tmp_path) == []


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_ct2_reuses_an_up_to_date_model_and_refuses_a_foreign_folder(tiny_checkpoints,
                                                                     tmp_path):
    folder = tmp_path / "qwen2"
    shutil.copytree(tiny_checkpoints["qwen2"], folder)
    target = ct2_model_dir(folder, "m", "int8")
    convert_to_ct2(folder, target, "int8")
    stamp = (target / "model.bin").stat().st_mtime_ns
    messages = []

    class Recording(JobContext):
        def report(self, fraction=None, message=None) -> None:
            messages.append(message)

    convert_to_ct2(folder, target, "int8", Recording())
    assert (target / "model.bin").stat().st_mtime_ns == stamp
    assert f"{target.name} is up to date" in messages
    foreign = ct2_model_dir(folder, "other", "int8")
    foreign.mkdir()
    (foreign / "keep.txt").write_text("user data")
    with pytest.raises(DeployError, match=r"was not written by the studio"):
        convert_to_ct2(folder, foreign, "int8")
    assert (foreign / "keep.txt").read_text() == "user data"


def test_ct2_refuses_unknown_compute_type_and_non_checkpoints(tiny_gguf, tmp_path):
    with pytest.raises(DeployError, match=r"unknown CTranslate2 compute type 'int4'"):
        convert_to_ct2(tmp_path, tmp_path / "out", "int4")
    with pytest.raises(DeployError, match=r"no config.json"):
        convert_to_ct2(tmp_path, tmp_path / "out", "int8")


def test_ct2_process_exits_cleanly_after_an_early_stop(tiny_checkpoints, tmp_path):
    """CTranslate2 aborts the interpreter at exit if a Generator that streamed is still alive
    then; the backend must let go of its engines even when nobody calls close()."""
    import subprocess
    import sys

    folder = tmp_path / "qwen2"
    shutil.copytree(tiny_checkpoints["qwen2"], folder)
    code = f"""
import sys
from pathlib import Path
from studio.core.jobs import JobContext
from studio.plugins.deploy.backend import (DeployArtifact, DeployOptions, GenerationParams,
                                           GenerationRequest)
from studio.plugins.deploy.backends.ct2 import CTranslate2Backend
from studio.plugins.deploy.store import Deployment
from studio.plugins.deploy.templates import ChatTemplate
backend = CTranslate2Backend()
result = backend.deploy(DeployArtifact("hf", Path({str(folder)!r}), "m", ChatTemplate(None)),
                        DeployOptions(compute_type="int8", n_threads=1), "d", JobContext())
deployment = Deployment("d", "ct2", "m", result["artifact"], "ct2", "in-process",
                        template=result["template"], options=result["options"])
request = GenerationRequest.chat([{{"role": "user", "content": "hello"}}])
reasons = [backend.generate(deployment, request, GenerationParams(max_tokens=n)).run()
           .stats.finish_reason for n in (1, 8)]
stream = backend.generate(deployment, request, GenerationParams(max_tokens=50))
for piece in stream:
    stream.cancel()
print(*reasons, stream.result.stats.finish_reason)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-1] == "cancelled"
