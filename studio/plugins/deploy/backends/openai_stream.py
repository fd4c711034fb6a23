"""Streaming from an OpenAI-compatible ``/v1/completions`` endpoint (llama.cpp's servers).

Shared by the llama.cpp server backend and the remote-node backend (a server on another
machine, reached through a port forward). The prompt is rendered by the studio with the
model's own template and sent as a plain completion, so every backend formats a conversation
the same way; the answer arrives as server-sent events (``data: {...}`` lines, ``[DONE]``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from studio.plugins.deploy.backend import (
    DeployError,
    GenerationError,
    GenerationParams,
    GenerationRequest,
    Piece,
)
from studio.plugins.deploy.store import Deployment

__all__ = ["completion_body", "stream_completions", "wait_until_ready"]


def completion_body(deployment: Deployment, request: GenerationRequest,
                    params: GenerationParams, model: str) -> dict[str, Any]:
    template = deployment.template
    prompt = request.prompt if request.prompt is not None else template.render(request.messages)
    body: dict[str, Any] = {"model": model, "prompt": prompt, "stream": True,
                            "max_tokens": params.max_tokens, "temperature": params.temperature,
                            "top_p": params.top_p, "top_k": params.top_k,
                            # llama-cpp-python's server defaults to 1.1; the in-process backend
                            # and llama-server use 1.0: the same parameters, the same answer.
                            "repeat_penalty": 1.0}
    if params.temperature <= 0:
        # Greedy: only the most likely token can be picked, so ask for that one alone. The
        # same answer, but the server's sampler chain (penalties, top-k, top-p, min-p, ...)
        # then works on one candidate instead of the whole vocabulary on every token.
        body["top_k"] = 1
    if params.seed is not None:
        body["seed"] = params.seed
    stop = [*params.stop, *template.ollama().stop]
    if stop:
        body["stop"] = stop
    return body


def stream_completions(base_url: str, body: dict[str, Any], where: str
                       ) -> Iterator[Piece | str]:
    """POST ``body`` to ``<base_url>/completions``; yield pieces, then the finish reason.

    ``where`` is added to error messages (the server's log file, the host).
    """
    import httpx

    finish = "length"
    started = False
    try:
        with httpx.stream("POST", f"{base_url}/completions", json=body,
                          timeout=httpx.Timeout(600.0, connect=5.0)) as response:
            started = True
            if response.status_code >= 400:
                response.read()
                raise GenerationError(f"{base_url}: {response.status_code} "
                                      f"{_error_text(response.content)} ({where})")
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    yield finish
                    return
                try:
                    choice = orjson.loads(data)["choices"][0]
                except (orjson.JSONDecodeError, KeyError, IndexError) as exc:
                    raise GenerationError(f"{base_url}: unexpected event {data[:120]!r} "
                                          f"({where})") from exc
                text = choice.get("text") or ""
                # One event per generated token; an empty one is a token whose bytes end
                # inside a UTF-8 character (sent with the next): still counted. The last
                # event may only carry the finish reason.
                if text or not choice.get("finish_reason"):
                    yield Piece(text)
                if choice.get("finish_reason"):
                    finish = "length" if choice["finish_reason"] == "length" else "stop"
    except httpx.TransportError as exc:
        what = "the connection broke while answering" if started else "no server answers"
        raise GenerationError(f"{base_url}: {what} ({type(exc).__name__}: {exc}); {where}"
                              ) from exc
    raise GenerationError(f"{base_url}: the stream ended without [DONE] ({where})")


def _error_text(content: bytes) -> str:
    try:
        error = orjson.loads(content).get("error")
    except (orjson.JSONDecodeError, AttributeError):
        return content[:200].decode("utf-8", "replace")
    if isinstance(error, dict):
        return str(error.get("message") or error)
    return str(error or content[:200].decode("utf-8", "replace"))


def wait_until_ready(base_url: str, alive: Any, ctx: Any, timeout_s: float = 120.0) -> None:
    """Poll ``<base_url>/models`` until it answers; ``alive()`` False or a timeout raises.

    ``alive()`` returns None while the server runs, else a message (it exited: why). Between
    polls the job can be cancelled (``ctx.wait``).
    """
    import time

    import httpx

    deadline = time.monotonic() + timeout_s
    while True:
        problem = alive()
        if problem is not None:
            raise DeployError(problem)
        try:
            if httpx.get(f"{base_url}/models", timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise DeployError(f"{base_url}: the server did not answer within "
                                  f"{timeout_s:.0f} s")
        if ctx.wait(0.1):
            ctx.raise_if_cancelled()
