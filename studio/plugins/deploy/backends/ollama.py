"""Backend 3: an Ollama server, driven through its HTTP API.

Deploy = upload the GGUF as a blob (skipped when Ollama already has that sha256), then
``/api/create`` with the Go template and stop tokens equivalent to the model's chat template,
then ``/api/show`` to confirm. hafs records this as ``deployed_backends`` + ``ollama`` and
``ollama_model_name`` (hafs-formats §1.5), which the deploy pipeline does after success.

Generation sends the prompt already rendered with the model's Jinja template in ``raw`` mode,
so a conversation is formatted exactly as llama.cpp and CTranslate2 see it; tokens/s is
Ollama's own ``eval_count / eval_duration``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from studio.api import JobCancelled, JobContext, sha256_file
from studio.plugins.deploy.backend import (
    Availability,
    Backend,
    DeployArtifact,
    DeploymentStatus,
    DeployOptions,
    GenerationError,
    GenerationParams,
    GenerationRequest,
    Piece,
    ServerEval,
)
from studio.plugins.deploy.backends.ollama_client import (
    DEFAULT_URL,
    OllamaClient,
    OllamaError,
    installed_name,
    ollama_model_name,
)
from studio.plugins.deploy.store import Deployment

__all__ = ["OllamaBackend", "default_model_name"]


def default_model_name(model_id: str | None, artifact_name: str) -> str:
    """The model id (hafs: ``ollama create <id>``), or the file's stem, lower-cased."""
    base = (model_id or artifact_name.rsplit(".", 1)[0]).lower()
    cleaned = "".join(c if c.isalnum() or c in "._-" else "-" for c in base).strip("-._")
    return cleaned or "model"


class OllamaBackend(Backend):
    id = "ollama"
    name = "Ollama"
    description = "An Ollama server (default http://127.0.0.1:11434); survives studio restarts."
    artifact = "gguf"
    registry_backend = "ollama"

    def __init__(self, url: Callable[[], str] = lambda: DEFAULT_URL) -> None:
        self._url = url

    def client(self, deployment: Deployment | None = None) -> OllamaClient:
        url = (deployment.data.get("url") if deployment else None) or self._url()
        return OllamaClient(url)

    def available(self) -> Availability:
        with OllamaClient(self._url(), timeout=3.0) as client:
            try:
                return Availability(True, f"Ollama {client.version()} at {client.base_url}")
            except OllamaError as exc:
                return Availability(False, str(exc))

    def deploy(self, artifact: DeployArtifact, options: DeployOptions, deployment_id: str,
               ctx: JobContext) -> dict[str, Any]:
        name = ollama_model_name(options.name or default_model_name(
            artifact.model_id, artifact.path.name))
        template = artifact.template.ollama()
        with self.client() as client:
            client.version()  # fail fast, before hashing a large file, when nobody answers
            digest = sha256_file(artifact.path, ctx, (0.0, 0.3))
            if client.has_blob(digest):
                ctx.report(0.8, "Ollama already has this GGUF")
            else:
                client.push_blob(artifact.path, digest, ctx, (0.3, 0.8))
            ctx.raise_if_cancelled()
            ctx.report(0.85, f"Creating Ollama model {name}")
            try:
                client.create(name, {artifact.path.name: f"sha256:{digest}"},
                              template=template.template,
                              parameters={"stop": list(template.stop)} if template.stop else None,
                              ctx=ctx)
                ctx.raise_if_cancelled()
                client.show(name)
            except (JobCancelled, OllamaError):
                client.delete(name, missing_ok=True)  # never leave a half-made model behind
                raise
        note = ("" if template.family != "unknown" else
                "the chat template is not one Ollama's Go templates are known for; `ollama run` "
                "sends prompts unformatted (the studio's chat formats them itself)")
        return {"endpoint": f"{client.base_url} (model {name})",
                "data": {"url": client.base_url, "model_name": name, "digest": digest,
                         "template_family": template.family, "note": note},
                "registry": {"ollama_model_name": name}}

    def _name(self, deployment: Deployment) -> str:
        return str(deployment.data.get("model_name") or "")

    def status(self, deployment: Deployment) -> DeploymentStatus:
        name = installed_name(self._name(deployment))
        with self.client(deployment) as client:
            try:
                installed = {m.get("name") or m.get("model") for m in client.tags()}
                if name not in installed:
                    return DeploymentStatus("down", f"Ollama at {client.base_url} no longer "
                                            f"has model {name}")
                running = {(m.get("name") or m.get("model")): m for m in client.running()}
            except OllamaError as exc:
                return DeploymentStatus("down", str(exc))
        loaded = running.get(name)
        if loaded is None:
            return DeploymentStatus("idle", "installed; Ollama loads it on the first request")
        return DeploymentStatus("ready", f"loaded until {loaded.get('expires_at', '?')}",
                                memory_bytes=loaded.get("size"))

    def list(self) -> list[dict[str, Any]]:
        with self.client() as client:
            return client.tags()

    def stop(self, deployment: Deployment) -> None:
        with self.client(deployment) as client:
            try:
                client.unload(self._name(deployment))
            except OllamaError as exc:
                if exc.status != 404:
                    raise

    def undeploy(self, deployment: Deployment) -> None:
        with self.client(deployment) as client:
            client.delete(self._name(deployment), missing_ok=True)

    def stream(self, deployment: Deployment, request: GenerationRequest,
               params: GenerationParams) -> Iterator[Piece | ServerEval | int | str]:
        prompt = (request.prompt if request.prompt is not None
                  else deployment.template.render(request.messages))
        options: dict[str, Any] = {"temperature": params.temperature, "top_p": params.top_p,
                                   "top_k": params.top_k, "num_predict": params.max_tokens}
        if params.seed is not None:
            options["seed"] = params.seed
        stop = [*params.stop, *deployment.template.ollama().stop]
        if stop:
            options["stop"] = stop
        body = {"model": self._name(deployment), "prompt": prompt, "raw": True,
                "options": options}
        client = self.client(deployment)
        chunks = client.generate(body)
        try:
            for chunk in chunks:
                if chunk.get("done"):
                    reason = "length" if chunk.get("done_reason") == "length" else "stop"
                    yield ServerEval(int(chunk.get("eval_count") or 0),
                                     float(chunk.get("eval_duration") or 0) / 1e9,
                                     chunk.get("prompt_eval_count"), reason)
                    return
                yield Piece(str(chunk.get("response") or ""))
            raise GenerationError(f"Ollama at {client.base_url}: the stream ended before "
                                  "its final (done) object")
        except OllamaError as exc:
            raise GenerationError(str(exc)) from exc
        finally:
            chunks.close()
            client.close()

