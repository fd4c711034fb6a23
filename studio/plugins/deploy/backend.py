"""The deployment backend interface and the values that cross it.

A :class:`Backend` turns a model artifact (a GGUF file or a Hugging Face checkpoint folder) into
a running :class:`~studio.plugins.deploy.store.Deployment` and generates from it. Backends are
Qt-free and stateless towards the UI: the deploy pipeline calls :meth:`Backend.deploy` inside a
job (progress and cancel through the :class:`~studio.core.jobs.JobContext`), chat and prompt
sets call :meth:`Backend.generate` on worker threads and read the pieces as they stream.

A third-party plugin adds a backend by subclassing :class:`Backend` and registering an instance
(see ``hookspecs.py``).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from studio.api import JobContext
from studio.plugins.deploy.timings import GenerationStats, GenerationTimer

if TYPE_CHECKING:
    from studio.plugins.deploy.store import Deployment
    from studio.plugins.deploy.templates import ChatTemplate

__all__ = [
    "Availability",
    "Backend",
    "BackendUnavailableError",
    "DeployArtifact",
    "DeployError",
    "DeployOptions",
    "DeploymentStatus",
    "Generation",
    "GenerationError",
    "GenerationParams",
    "GenerationRequest",
    "GenerationStream",
    "Piece",
    "ServerEval",
]

ArtifactKind = Literal["gguf", "hf"]


class DeployError(Exception):
    """Deploying failed; the message says what, naming the file, field, host or URL."""


class BackendUnavailableError(DeployError):
    """The backend cannot be used on this machine now (the message gives the reason)."""


class GenerationError(DeployError):
    """Generation failed mid-way (backend down, server error in the stream)."""

    def __init__(self, message: str, partial_text: str = "") -> None:
        super().__init__(message)
        self.partial_text = partial_text


@dataclass(frozen=True)
class Availability:
    """Whether a backend (or a deployment's health) is usable, and why not."""

    ok: bool
    reason: str = ""  # when ok: what it uses ("llama-cpp-python 0.3.8"); else why not
    # Where the backend can deploy when the user must choose (the node backend: its hosts);
    # the choice travels as DeployOptions.extra["host"].
    hosts: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.ok


@dataclass(frozen=True)
class DeployArtifact:
    """What a backend deploys: a file or folder, the model it belongs to, its chat template."""

    kind: ArtifactKind
    path: Path
    model_id: str | None
    template: ChatTemplate
    quant: str | None = None  # "Q4_K_M", "F16" … for GGUF; None when unknown


@dataclass(frozen=True)
class DeployOptions:
    """User choices for one deploy; a backend reads the fields it understands."""

    quant: str | None = None  # GGUF quantization type to produce/use (None: keep as is)
    name: str | None = None  # name at the backend (Ollama model name)
    compute_type: str = "int8"  # CTranslate2
    n_ctx: int = 2048
    n_threads: int = 0  # 0: let the backend choose
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeploymentStatus:
    """A deployment as the backend sees it now."""

    state: str  # "ready", "idle" (loads on first use), "stopped", "down", "error"
    detail: str = ""
    memory_bytes: int | None = None
    since: float | None = None  # epoch seconds the engine/server has been up since
    log_file: str | None = None  # the server's output (the running one's, else the last run's)

    @property
    def ok(self) -> bool:
        return self.state in ("ready", "idle")


@dataclass(frozen=True)
class GenerationParams:
    """Sampling settings. ``temperature == 0`` means greedy decoding."""

    max_tokens: int = 128
    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = 40
    seed: int | None = None
    stop: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        checks = (
            ("max_tokens", 1 <= self.max_tokens <= 1_000_000, "between 1 and 1000000"),
            ("temperature", 0.0 <= self.temperature <= 10.0, "between 0 and 10"),
            ("top_p", 0.0 < self.top_p <= 1.0, "in (0, 1]"),
            ("top_k", self.top_k >= 0, "0 (off) or more"),
            ("seed", self.seed is None or 0 <= self.seed < 2**32, "empty or 0 … 4294967295"),
        )
        for name, ok, expected in checks:
            if not ok:
                raise ValueError(f"generation parameter {name}={getattr(self, name)!r}: "
                                 f"must be {expected}")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0.0


@dataclass(frozen=True)
class GenerationRequest:
    """Either a chat (``messages``, rendered with the model's template) or a raw ``prompt``."""

    messages: tuple[dict[str, str], ...] = ()
    prompt: str | None = None

    def __post_init__(self) -> None:
        if (self.prompt is None) == (not self.messages):
            raise ValueError("a generation request has either messages or a prompt")

    @classmethod
    def chat(cls, messages: Sequence[dict[str, str]]) -> GenerationRequest:
        return cls(messages=tuple({"role": m["role"], "content": m["content"]}
                                  for m in messages))

    @classmethod
    def text(cls, prompt: str) -> GenerationRequest:
        return cls(prompt=prompt)


@dataclass(frozen=True)
class Piece:
    """A streamed chunk of output: its text and how many tokens it stands for."""

    text: str
    tokens: int = 1
    token_id: int | None = None


@dataclass(frozen=True)
class ServerEval:
    """Yielded last by a backend that measures decode speed itself (Ollama)."""

    eval_count: int
    eval_seconds: float
    prompt_tokens: int | None = None
    finish_reason: str = "stop"


@dataclass
class Generation:
    """A finished generation: the text, the token ids when known, and its timings."""

    text: str
    stats: GenerationStats
    token_ids: list[int] = field(default_factory=list)


class GenerationStream:
    """Iterate to receive text pieces as they are generated; :attr:`result` when done.

    Wraps a backend's piece generator with the shared timer. :meth:`cancel` may be called from
    any thread: generation stops before the next token and ``finish_reason`` is "cancelled".
    A backend error mid-stream raises :class:`GenerationError` carrying the partial text.
    """

    def __init__(self, pieces: Iterator[Piece | ServerEval | int], timer: GenerationTimer
                 ) -> None:
        self._pieces = pieces
        self._timer = timer
        self._cancel = threading.Event()
        self._text: list[str] = []
        self._ids: list[int] = []
        self.result: Generation | None = None

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def __iter__(self) -> Iterator[str]:
        reason = "length"
        try:
            for item in self._pieces:
                if isinstance(item, int):  # the backend reports the prompt's token count
                    self._timer.prompt_tokens = item
                    continue
                if isinstance(item, ServerEval):
                    self._timer.server_eval(item.eval_count, item.eval_seconds,
                                            item.prompt_tokens)
                    reason = item.finish_reason
                    continue
                if isinstance(item, str):  # a backend's end marker: the finish reason
                    reason = item
                    continue
                if item.tokens:
                    self._timer.token(item.tokens)
                if item.token_id is not None:
                    self._ids.append(item.token_id)
                if item.text:
                    self._text.append(item.text)
                    yield item.text
                if self._cancel.is_set():
                    reason = "cancelled"
                    break
        except GenerationError as exc:
            self._finish("error")
            exc.partial_text = "".join(self._text)
            raise
        except Exception as exc:  # a template or backend bug: still a generation error
            self._finish("error")
            raise GenerationError(f"{type(exc).__name__}: {exc}", "".join(self._text)) from exc
        finally:
            close = getattr(self._pieces, "close", None)
            if close is not None:
                close()  # stops the backend's loop (closes an HTTP stream, a CT2 generator)
        if self._cancel.is_set():
            reason = "cancelled"
        self._finish(reason)

    def _finish(self, reason: str) -> None:
        if self.result is None:
            self.result = Generation("".join(self._text), self._timer.finish(reason),
                                     self._ids)

    def run(self) -> Generation:
        """Consume the whole stream (blocking) and return the result."""
        for _ in self:
            pass
        assert self.result is not None
        return self.result


class Backend(ABC):
    """One way to serve a model. Subclasses set the class attributes and implement the methods.

    ``registry_backend`` is the string hafs records in a model's ``deployed_backends`` after a
    successful deploy (``"ollama"``, ``"llama.cpp"``, ``"halext-node"``), or ``None`` when hafs
    has no word for it (the deployment is then recorded only in the studio's own state).
    """

    id: str = ""
    name: str = ""
    description: str = ""
    artifact: ArtifactKind = "gguf"
    registry_backend: str | None = None
    plugin: str = ""  # stamped by the registry

    @abstractmethod
    def available(self) -> Availability:
        """Can it be used here now? Cheap (called when the panel opens); never raises."""

    @abstractmethod
    def deploy(self, artifact: DeployArtifact, options: DeployOptions, deployment_id: str,
               ctx: JobContext) -> dict[str, Any]:
        """Make ``artifact`` servable; return the endpoint and backend data to record.

        Runs inside a job: report progress on ``ctx`` and stop with ``JobCancelled`` when it is
        cancelled, leaving nothing behind. Raise :class:`DeployError` with a clear message on
        failure. The returned dict has ``endpoint`` and optionally ``data`` (kept in the
        deployment record) and ``artifact`` (a converted artifact's path).
        """

    @abstractmethod
    def status(self, deployment: Deployment) -> DeploymentStatus:
        """The deployment's state now (may do I/O; never on the GUI thread)."""

    def list(self) -> list[dict[str, Any]]:
        """What the backend itself holds (Ollama's models, loaded engines); for diagnostics."""
        return []

    @abstractmethod
    def stop(self, deployment: Deployment) -> None:
        """Stop serving (unload, stop the server); the deployment record stays."""

    def undeploy(self, deployment: Deployment) -> None:
        """Remove what :meth:`deploy` created at the backend (rollback and "Remove")."""
        self.stop(deployment)

    def health(self, deployment: Deployment) -> Availability:
        """Does the deployment answer? By default: its status is ready or idle."""
        status = self.status(deployment)
        return Availability(status.ok, status.detail or status.state)

    @abstractmethod
    def stream(self, deployment: Deployment, request: GenerationRequest,
               params: GenerationParams) -> Iterator[Piece | ServerEval | int | str]:
        """Yield the prompt token count (an int, optional), then :class:`Piece` objects, then
        optionally a :class:`ServerEval` or a finish reason string ("stop"/"length")."""

    def prepare(self, deployment: Deployment) -> None:  # noqa: B027 - optional hook
        """Load what generation needs (an in-process engine), before the clock starts.

        Time to first token measures the answer, not a model load on first use.
        """

    def generate(self, deployment: Deployment, request: GenerationRequest,
                 params: GenerationParams) -> GenerationStream:
        """Start generating; iterate the returned stream for the pieces."""
        self.prepare(deployment)
        deployment.template.compile()  # once per template text: not part of any answer
        timer = GenerationTimer()  # started before any tokenization or network round trip
        return GenerationStream(self.stream(deployment, request, params), timer)
