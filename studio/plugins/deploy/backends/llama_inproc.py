"""Backend 1: llama.cpp inside the studio process (llama-cpp-python). Always there; for tests.

Deploy loads the GGUF (after checking its header, so a corrupt file fails with the file's
name); generation runs token by token on the caller's worker thread, so a stop request takes
effect before the next token. An engine serves one generation at a time (a llama.cpp context is
not thread-safe); a deployment recorded by another run loads again on first use.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.api import JobCancelled, JobContext
from studio.plugins.deploy.backend import (
    Availability,
    Backend,
    DeployArtifact,
    DeployError,
    DeploymentStatus,
    DeployOptions,
    GenerationError,
    GenerationParams,
    GenerationRequest,
    Piece,
)
from studio.plugins.deploy.store import Deployment
from studio.plugins.deploy.textstream import StopStrings, Utf8Pieces

__all__ = ["LlamaCppBackend", "load_llama"]

INSTALL_HINT = "install it with: pip install 'hafs-studio[deploy]' (compiles llama.cpp once)"


@dataclass
class _Engine:
    llm: Any
    lock: threading.Lock
    loaded_at: float
    memory_bytes: int | None


def load_llama(path: Path, n_ctx: int = 2048, n_threads: int = 0, f32_kv: bool = False
               ) -> Any:
    """``llama_cpp.Llama`` for ``path`` with a clear error for a missing or corrupt file."""
    from studio.plugins.models.api import GGUFFormatError, read_gguf_info

    if not path.is_file():
        raise DeployError(f"{path}: GGUF file not found")
    try:
        info = read_gguf_info(path)  # header check: a clear message instead of llama.cpp's
    except GGUFFormatError as exc:
        raise DeployError(f"{path}: not a usable GGUF file ({exc})") from exc
    trained = int(info.arch_value("context_length", 0) or 0)
    if trained:  # more than the model was trained on only makes llama.cpp warn
        n_ctx = min(n_ctx, max(trained, 256))
    try:
        import llama_cpp
    except ImportError as exc:
        raise DeployError(f"llama-cpp-python is not installed; {INSTALL_HINT}") from exc
    options: dict[str, Any] = {"n_ctx": n_ctx, "verbose": False}
    if n_threads:
        options["n_threads"] = n_threads
    if f32_kv:  # exact comparisons: llama.cpp's default F16 KV cache moves logits slightly
        options.update(type_k=0, type_v=0)
    try:
        llm = llama_cpp.Llama(model_path=str(path), **options)
    except (ValueError, RuntimeError, OSError) as exc:
        raise DeployError(f"{path}: llama.cpp could not load the model ({exc})") from exc
    # Warm up (as llama-server does at start): the first decode allocates compute buffers and
    # starts threads, which would otherwise land in the first answer's time to first token.
    llm.eval(llm.tokenize(b"warm", add_bos=True, special=False)[:2])
    llm.reset()
    return llm


class LlamaCppBackend(Backend):
    id = "llama.cpp"
    name = "llama.cpp (in-process)"
    description = ("llama-cpp-python inside the studio: nothing to install or start; the model "
                   "lives as long as the studio process.")
    artifact = "gguf"
    registry_backend = None  # gone with the process: not a hafs deployment

    def __init__(self) -> None:
        self._engines: dict[str, _Engine] = {}
        self._loading: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def available(self) -> Availability:
        try:
            import llama_cpp
        except ImportError:
            return Availability(False, f"llama-cpp-python is not installed; {INSTALL_HINT}")
        return Availability(True, f"llama-cpp-python {llama_cpp.__version__} in this process")

    # -- engines -------------------------------------------------------------------------
    def _load(self, deployment_id: str, path: Path, options: dict[str, Any]) -> _Engine:
        with self._lock:
            loading = self._loading.setdefault(deployment_id, threading.Lock())
        with loading:  # one load per deployment even when two chats start at once
            engine = self._engines.get(deployment_id)
            if engine is not None:
                return engine
            llm = load_llama(path, int(options.get("n_ctx") or 2048),
                             int(options.get("n_threads") or 0),
                             bool(options.get("f32_kv_cache")))
            engine = _Engine(llm, threading.Lock(), time.time(), _memory_estimate(path, llm))
            with self._lock:
                self._engines[deployment_id] = engine
            return engine

    def _engine(self, deployment: Deployment) -> _Engine:
        engine = self._engines.get(deployment.id)
        if engine is None:
            engine = self._load(deployment.id, Path(deployment.artifact), deployment.options)
        return engine

    def loaded(self) -> list[str]:
        with self._lock:
            return list(self._engines)

    # -- Backend -------------------------------------------------------------------------
    def deploy(self, artifact: DeployArtifact, options: DeployOptions, deployment_id: str,
               ctx: JobContext) -> dict[str, Any]:
        ctx.report(None, f"Loading {artifact.path.name} into llama.cpp")
        record = {"n_ctx": options.n_ctx, "n_threads": options.n_threads,
                  "f32_kv_cache": bool(options.extra.get("f32_kv_cache"))}
        self._load(deployment_id, artifact.path, record)
        if ctx.cancelled:
            self._unload(deployment_id)
            raise JobCancelled()
        return {"endpoint": "in-process", "options": record}

    def _unload(self, deployment_id: str) -> None:
        with self._lock:
            engine = self._engines.pop(deployment_id, None)
            self._loading.pop(deployment_id, None)
        if engine is not None:
            with engine.lock:  # wait for a running generation to notice and finish
                engine.llm.close()

    def prepare(self, deployment: Deployment) -> None:
        self._engine(deployment)

    def status(self, deployment: Deployment) -> DeploymentStatus:
        engine = self._engines.get(deployment.id)
        if engine is not None:
            return DeploymentStatus("ready", "loaded in this studio process",
                                    engine.memory_bytes, engine.loaded_at)
        if not Path(deployment.artifact).is_file():
            return DeploymentStatus("down", f"{deployment.artifact}: GGUF file not found")
        return DeploymentStatus("idle", "loads on first use")

    def list(self) -> list[dict[str, Any]]:
        return [{"deployment": key, "loaded_at": engine.loaded_at}
                for key, engine in list(self._engines.items())]

    def stop(self, deployment: Deployment) -> None:
        self._unload(deployment.id)

    def close(self) -> None:
        for deployment_id in self.loaded():
            self._unload(deployment_id)

    def stream(self, deployment: Deployment, request: GenerationRequest,
               params: GenerationParams) -> Iterator[Piece | int | str]:
        engine = self._engine(deployment)
        template = deployment.template
        with engine.lock:
            llm = engine.llm
            if request.prompt is not None:
                text, add_bos = request.prompt, True
            else:
                text = template.render(request.messages)
                add_bos = template.needs_bos(text)
            tokens = llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True)
            room = llm.n_ctx() - len(tokens)
            if room <= 0:
                raise GenerationError(f"the prompt has {len(tokens)} tokens; the context of "
                                      f"{deployment.id} holds {llm.n_ctx()}")
            yield len(tokens)
            yield from _decode(llm, tokens, params, min(params.max_tokens, room))


def _decode(llm: Any, tokens: list[int], params: GenerationParams, limit: int
            ) -> Iterator[Piece | str]:
    """Sample up to ``limit`` tokens; the caller stops early by closing the iterator."""
    import llama_cpp

    llm.set_seed(params.seed if params.seed is not None else llama_cpp.LLAMA_DEFAULT_SEED)
    vocab = llm._model.vocab  # llama-cpp-python exposes end-of-generation only this way
    utf8, stops = Utf8Pieces(), StopStrings(params.stop)
    sampled = llm.generate(tokens, top_k=params.top_k, top_p=params.top_p, min_p=0.0,
                           temp=params.temperature, repeat_penalty=1.0)
    for produced, token in enumerate(sampled, start=1):
        if llama_cpp.llama_vocab_is_eog(vocab, token):
            yield Piece(stops.feed(utf8.flush())[0] + stops.flush(), tokens=0)
            yield "stop"
            return
        text, stopped = stops.feed(utf8.feed(llm.detokenize([token])))
        yield Piece(text, token_id=token)
        if stopped:
            yield "stop"
            return
        if produced >= limit:
            yield Piece(stops.feed(utf8.flush())[0] + stops.flush(), tokens=0)
            yield "length"
            return


def _memory_estimate(path: Path, llm: Any) -> int | None:
    from studio.plugins.models.api import read_gguf_info

    try:
        return int(read_gguf_info(path).estimated_ram_bytes(llm.n_ctx()))
    except Exception:  # only a display figure
        return None
