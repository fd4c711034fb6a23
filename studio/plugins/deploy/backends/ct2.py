"""Backend 4: CTranslate2, from the Hugging Face checkpoint, in the studio process.

Deploy converts the checkpoint (``ct2_convert``) with the chosen compute type and loads it with
``ctranslate2.Generator``; prompts are tokenized with the checkpoint's own ``tokenizer.json``
and the conversation rendered with its chat template, so the token ids fed to the model are
the ones llama.cpp gets from the GGUF made from the same checkpoint.
"""

from __future__ import annotations

import json
import threading
import time
import weakref
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
from studio.plugins.deploy.backends.ct2_convert import (
    COMPUTE_TYPES,
    convert_to_ct2,
    ct2_model_dir,
)
from studio.plugins.deploy.store import Deployment
from studio.plugins.deploy.textstream import IncrementalDecode, StopStrings

__all__ = ["COMPUTE_TYPES", "CTranslate2Backend", "load_ct2"]


@dataclass
class _Engine:
    generator: Any
    tokenizer: Any
    vocabulary: list[str]
    lock: threading.Lock
    loaded_at: float
    compute_type: str


def _runtime_compute_type(requested: str) -> str:
    """The compute type to load with: the requested one if this CPU supports it."""
    import ctranslate2

    supported = ctranslate2.get_supported_compute_types("cpu")
    return requested if requested in supported else "default"


def load_ct2(folder: Path, compute_type: str, threads: int = 0) -> _Engine:
    import ctranslate2
    from tokenizers import Tokenizer

    if not (folder / "model.bin").is_file():
        raise DeployError(f"{folder}: not a CTranslate2 model (no model.bin)")
    runtime = _runtime_compute_type(compute_type)
    try:
        generator = ctranslate2.Generator(str(folder), device="cpu", compute_type=runtime,
                                          intra_threads=threads)
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        vocabulary = json.loads((folder / "vocabulary.json").read_text(encoding="utf-8"))
    except (RuntimeError, ValueError, OSError) as exc:
        raise DeployError(f"{folder}: CTranslate2 could not load the model ({exc})") from exc
    return _Engine(generator, tokenizer, vocabulary, threading.Lock(), time.time(),
                   compute_type if runtime != "default" else f"{compute_type} (stored; "
                   "this CPU computes it in float32)")


class CTranslate2Backend(Backend):
    id = "ct2"
    name = "CTranslate2"
    description = ("Converts the Hugging Face checkpoint (int8, int8_float32, float16, float32) "
                   "and runs it with ctranslate2.Generator in the studio process.")
    artifact = "hf"
    registry_backend = None  # not in hafs's deployed_backends vocabulary

    def __init__(self) -> None:
        self._engines: dict[str, _Engine] = {}
        self._lock = threading.Lock()
        # A Generator that ran with a step callback and is still alive when the interpreter
        # shuts down aborts the process ("terminate called without an active exception"):
        # drop every engine before that, even when nobody called close().
        weakref.finalize(self, self._engines.clear)

    def available(self) -> Availability:
        try:
            import ctranslate2
            import tokenizers  # noqa: F401
        except ImportError as exc:
            return Availability(False, f"{exc.name} is not installed; install it with: "
                                "pip install 'hafs-studio[deploy]'")
        types = ", ".join(sorted(ctranslate2.get_supported_compute_types("cpu")))
        return Availability(True, f"CTranslate2 {ctranslate2.__version__} (CPU: {types})")

    def deploy(self, artifact: DeployArtifact, options: DeployOptions, deployment_id: str,
               ctx: JobContext) -> dict[str, Any]:
        compute_type = options.compute_type
        target = ct2_model_dir(artifact.path, artifact.model_id, compute_type)
        folder, template = convert_to_ct2(artifact.path, target, compute_type, ctx)
        ctx.raise_if_cancelled()
        ctx.report(0.95, f"Loading {folder.name}")
        engine = load_ct2(folder, compute_type, options.n_threads)
        if ctx.cancelled:
            raise JobCancelled()
        with self._lock:
            self._engines[deployment_id] = engine
        return {"endpoint": "in-process", "artifact": str(folder), "artifact_kind": "ct2",
                "template": template, "quant": compute_type,
                "options": {"compute_type": compute_type, "n_threads": options.n_threads}}

    def _engine(self, deployment: Deployment) -> _Engine:
        with self._lock:
            engine = self._engines.get(deployment.id)
        if engine is None:
            engine = load_ct2(Path(deployment.artifact),
                              str(deployment.options.get("compute_type") or "default"),
                              int(deployment.options.get("n_threads") or 0))
            with self._lock:
                engine = self._engines.setdefault(deployment.id, engine)
        return engine

    def prepare(self, deployment: Deployment) -> None:
        self._engine(deployment)

    def status(self, deployment: Deployment) -> DeploymentStatus:
        engine = self._engines.get(deployment.id)
        if engine is not None:
            return DeploymentStatus("ready", f"loaded, {engine.compute_type}",
                                    _folder_size(Path(deployment.artifact)), engine.loaded_at)
        if not (Path(deployment.artifact) / "model.bin").is_file():
            return DeploymentStatus("down", f"{deployment.artifact}: model folder missing")
        return DeploymentStatus("idle", "loads on first use")

    def list(self) -> list[dict[str, Any]]:
        return [{"deployment": key, "compute_type": e.compute_type}
                for key, e in list(self._engines.items())]

    def stop(self, deployment: Deployment) -> None:
        with self._lock:
            engine = self._engines.pop(deployment.id, None)
        if engine is not None:
            with engine.lock:  # wait for a running generation to notice and finish
                engine.generator = None  # the last reference: frees the model now

    def close(self) -> None:
        with self._lock:
            engines = list(self._engines.values())
            self._engines.clear()
        for engine in engines:
            with engine.lock:
                engine.generator = None

    def prompt_ids(self, deployment: Deployment, request: GenerationRequest) -> list[int]:
        """Token ids of the request's prompt, as they are fed to the model."""
        engine = self._engine(deployment)
        template = deployment.template
        if request.prompt is not None:
            text, add_bos = request.prompt, template.add_bos
        else:
            text = template.render(request.messages)
            add_bos = template.needs_bos(text)
        ids = engine.tokenizer.encode(text, add_special_tokens=False).ids
        bos = engine.tokenizer.token_to_id(template.bos_token) if template.bos_token else None
        return ([bos] if add_bos and bos is not None else []) + list(ids)

    def stream(self, deployment: Deployment, request: GenerationRequest,
               params: GenerationParams) -> Iterator[Piece | int | str]:
        import ctranslate2

        engine = self._engine(deployment)
        ids = self.prompt_ids(deployment, request)
        vocabulary = engine.vocabulary
        if not ids:
            raise GenerationError("the prompt is empty")
        yield len(ids)
        end_tokens = [t for t in {deployment.template.eos_token,
                                  *deployment.template.ollama().stop} if t in vocabulary]
        with engine.lock:
            if params.seed is not None:
                ctranslate2.set_random_seed(params.seed)
            steps = engine.generator.generate_tokens(
                [vocabulary[i] for i in ids], max_length=params.max_tokens,
                sampling_topk=1 if params.greedy else (params.top_k or 0),
                sampling_topp=params.top_p, sampling_temperature=params.temperature or 1.0,
                end_token=end_tokens or None)
            tokenizer = engine.tokenizer
            decoder = IncrementalDecode(lambda part: tokenizer.decode(
                part, skip_special_tokens=True))
            stops = StopStrings(params.stop)
            produced = 0
            try:
                for step in steps:
                    if step.token in end_tokens:
                        yield Piece(stops.feed(decoder.flush())[0] + stops.flush(), tokens=0)
                        yield "stop"
                        return
                    text, stopped = stops.feed(decoder.step(step.token_id))
                    produced += 1
                    yield Piece(text, token_id=step.token_id)
                    if stopped:
                        yield "stop"
                        return
            finally:
                steps.close()
            yield Piece(stops.feed(decoder.flush())[0] + stops.flush(), tokens=0)
            yield "length" if produced >= params.max_tokens else "stop"


def _folder_size(folder: Path) -> int | None:
    try:
        return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    except OSError:
        return None
