"""A small client for Ollama's HTTP API (the endpoints the Deploy plugin uses).

Endpoints (Ollama's docs/api.md): ``GET /api/version``, ``HEAD``/``POST /api/blobs/:digest``,
``POST /api/create`` (``files`` name → ``sha256:<hex>``, ``template``, ``parameters``),
``GET /api/tags``, ``POST /api/show``, ``DELETE /api/delete``, ``GET /api/ps``,
``POST /api/generate`` (streamed NDJSON; the last object has ``done: true`` and the
``eval_count``/``eval_duration`` counters). Errors come as ``{"error": "…"}`` with a 4xx/5xx
status, or, once a stream has started, as an NDJSON line with only an ``error`` key: both
become :class:`OllamaError` with Ollama's own message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from studio.api import NULL_CONTEXT, JobCancelled, JobContext
from studio.plugins.deploy.backend import DeployError

if TYPE_CHECKING:
    import httpx

__all__ = ["DEFAULT_URL", "OllamaClient", "OllamaError", "installed_name",
           "ollama_model_name"]

DEFAULT_URL = "http://127.0.0.1:11434"
CHUNK = 1 << 20
_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]*(/[a-zA-Z0-9][a-zA-Z0-9._-]*)?"
                   r"(:[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127})?$")


class OllamaError(DeployError):
    """Ollama refused or failed a request; ``status`` is the HTTP status (0: no answer)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


def ollama_model_name(value: str) -> str:
    """Check an Ollama model name (``name[:tag]``, optional ``namespace/``)."""
    if not _NAME.match(value or "") or len(value) > 200:
        raise DeployError(f"invalid Ollama model name {value!r}: use letters, digits, '.', "
                          "'_' and '-', optionally namespace/ and :tag")
    return value


class OllamaClient:
    """Synchronous client for one Ollama server (``base_url``, default 127.0.0.1:11434)."""

    def __init__(self, base_url: str = DEFAULT_URL, timeout: float = 600.0) -> None:
        import httpx  # ~0.1 s: only when Ollama is actually talked to

        self.base_url = base_url.rstrip("/")
        self._transport_error = httpx.TransportError
        self._http = httpx.Client(base_url=self.base_url, timeout=httpx.Timeout(
            timeout, connect=3.0))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> OllamaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing ------------------------------------------------------------------------
    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except self._transport_error as exc:
            raise self._unreachable(exc) from exc
        if response.status_code >= 400:
            raise self._error(response, f"{method} {path}")
        return response

    def _unreachable(self, exc: Exception) -> OllamaError:
        return OllamaError(f"no Ollama server answers at {self.base_url} ({exc}); start it "
                           "with `ollama serve` or change the Ollama URL in Preferences ▸ Deploy")

    def _error(self, response: httpx.Response, what: str) -> OllamaError:
        try:
            response.read()
            message = response.json().get("error") or response.text
        except (ValueError, AttributeError, self._transport_error):
            message = response.text if response.is_stream_consumed else ""
        return OllamaError(f"Ollama at {self.base_url}: {what} failed "
                           f"({response.status_code}): {message or response.reason_phrase}",
                           response.status_code)

    def _stream_lines(self, method: str, path: str, body: dict[str, Any]
                      ) -> Iterator[dict[str, Any]]:
        """POST ``body`` and yield each NDJSON object; an ``error`` line raises."""
        started = False
        try:
            with self._http.stream(method, path, json=body) as response:
                started = True
                if response.status_code >= 400:
                    raise self._error(response, f"{method} {path}")
                for line in response.iter_lines():
                    if not line.strip():
                        continue
                    try:
                        item = orjson.loads(line)
                    except orjson.JSONDecodeError as exc:
                        raise OllamaError(f"Ollama at {self.base_url}: {path} sent a line that "
                                          f"is not JSON: {line[:120]!r}") from exc
                    if isinstance(item, dict) and "error" in item:
                        raise OllamaError(f"Ollama at {self.base_url}: {item['error']}",
                                          response.status_code)
                    yield item
        except self._transport_error as exc:
            if started:  # the server went away while answering (crash, restart)
                raise OllamaError(f"Ollama at {self.base_url}: the connection broke during "
                                  f"{path} ({type(exc).__name__}: {exc})") from exc
            raise self._unreachable(exc) from exc

    # -- endpoints -----------------------------------------------------------------------
    def version(self) -> str:
        return str(self._request("GET", "/api/version").json().get("version", "?"))

    def has_blob(self, digest: str) -> bool:
        try:
            response = self._http.head(f"/api/blobs/sha256:{digest}")
        except self._transport_error as exc:
            raise self._unreachable(exc) from exc
        if response.status_code == 404:
            return False
        if response.status_code >= 400:
            raise self._error(response, "HEAD /api/blobs")
        return True

    def push_blob(self, path: Path, digest: str, ctx: JobContext = NULL_CONTEXT,
                  share: tuple[float, float] = (0, 1)) -> None:
        """Upload ``path`` as blob ``sha256:<digest>``; Ollama checks the digest itself."""
        size = max(path.stat().st_size, 1)

        def body() -> Iterator[bytes]:
            sent = 0
            with open(path, "rb") as handle:
                while chunk := handle.read(CHUNK):
                    if ctx.cancelled:  # aborts the upload: Ollama discards a partial blob
                        raise JobCancelled()
                    sent += len(chunk)
                    ctx.report(share[0] + (share[1] - share[0]) * sent / size,
                               f"Uploading {path.name} to Ollama")
                    yield chunk

        self._request("POST", f"/api/blobs/sha256:{digest}", content=body(),
                      headers={"Content-Length": str(path.stat().st_size)})

    def create(self, name: str, files: dict[str, str], *, template: str | None = None,
               parameters: dict[str, Any] | None = None, system: str | None = None,
               ctx: JobContext = NULL_CONTEXT) -> list[str]:
        """Create model ``name`` from uploaded blobs; return Ollama's status lines."""
        body: dict[str, Any] = {"model": ollama_model_name(name), "files": files,
                                "stream": True}
        if template is not None:
            body["template"] = template
        if parameters:
            body["parameters"] = parameters
        if system:
            body["system"] = system
        statuses = []
        for item in self._stream_lines("POST", "/api/create", body):
            status = str(item.get("status", ""))
            statuses.append(status)
            ctx.report(None if ctx.fraction is None else ctx.fraction, f"Ollama: {status}")
        if not statuses or statuses[-1] != "success":
            raise OllamaError(f"Ollama at {self.base_url}: create {name!r} ended without "
                              f"success (last status: {statuses[-1] if statuses else 'none'})")
        return statuses

    def tags(self) -> list[dict[str, Any]]:
        return list(self._request("GET", "/api/tags").json().get("models") or [])

    def running(self) -> list[dict[str, Any]]:
        return list(self._request("GET", "/api/ps").json().get("models") or [])

    def show(self, name: str) -> dict[str, Any]:
        return dict(self._request("POST", "/api/show", json={"model": name}).json())

    def delete(self, name: str, missing_ok: bool = False) -> bool:
        try:
            self._request("DELETE", "/api/delete", json={"model": name})
        except OllamaError as exc:
            if missing_ok and exc.status == 404:
                return False
            raise
        return True

    def unload(self, name: str) -> None:
        """Free the model's memory now (``keep_alive: 0``); it stays installed."""
        self._request("POST", "/api/generate", json={"model": name, "keep_alive": 0,
                                                     "stream": False})

    def generate(self, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Stream ``/api/generate``; the caller closes the iterator to stop early."""
        return self._stream_lines("POST", "/api/generate", {**body, "stream": True})


def installed_name(name: str) -> str:
    """Ollama lists names with their tag (``qwen`` is ``qwen:latest``)."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"
