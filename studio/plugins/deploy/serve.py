"""``hafs-studio serve``: llama.cpp's OpenAI-compatible server, in the foreground.

llama-cpp-python's ``[server]`` extra (FastAPI + uvicorn) serves ``/v1/models``,
``/v1/completions`` and ``/v1/chat/completions`` (streaming too, with the GGUF's own chat
template). It runs in this process until Ctrl+C; it binds to 127.0.0.1 unless asked.
"""

from __future__ import annotations

import errno
import socket
from pathlib import Path

__all__ = ["ServeError", "check_port", "serve_gguf"]

INSTALL_HINT = "install it with: pip install 'hafs-studio[deploy]'"


class ServeError(Exception):
    """The server cannot start; the message says why (port taken, package missing)."""


def check_port(host: str, port: int) -> None:
    """Fail early and clearly when ``host:port`` is taken (uvicorn would only log it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ServeError(f"port {port} on {host} is already in use; choose another "
                                 "with --port") from None
            raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}"
                             ) from None


def serve_gguf(path: Path, host: str, port: int, *, n_ctx: int = 2048, n_threads: int = 0,
               alias: str | None = None) -> None:
    """Run the server until interrupted (blocks)."""
    try:
        import uvicorn
        from llama_cpp.server.app import create_app
        from llama_cpp.server.settings import ModelSettings, ServerSettings
    except ImportError as exc:
        raise ServeError(f"the llama.cpp server needs llama-cpp-python[server]; "
                         f"{INSTALL_HINT} ({exc})") from exc
    model = {"model": str(path), "n_ctx": n_ctx, "verbose": False}
    if n_threads:
        model["n_threads"] = n_threads
    if alias:
        model["model_alias"] = alias
    app = create_app(server_settings=ServerSettings(host=host, port=port),
                     model_settings=[ModelSettings(**model)])
    uvicorn.run(app, host=host, port=port, log_level="warning")
