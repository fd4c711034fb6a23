"""Backend 2: llama.cpp's HTTP server as a studio-managed process.

``python -m llama_cpp.server`` (llama-cpp-python's ``[server]`` extra) or, when the tools
manifest finds one, a ``llama-server`` binary, on 127.0.0.1 and a free port. The process is
the studio's (``studio.services.process``): its output goes to a log file under the studio's
state folder, it is stopped when the studio exits, and, being long-lived, it leaves a pid file
that the next start offers to clean up if the studio crashed. "Ready" only after the server
answers ``/v1/models``. A deployment whose server is not running (the studio restarted) starts
it again on first use, like the in-process engines load on first use.
"""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from studio.api import NULL_CONTEXT, JobCancelled, JobContext
from studio.plugins.deploy.backend import (
    Availability,
    Backend,
    DeployArtifact,
    DeployError,
    DeploymentStatus,
    DeployOptions,
    GenerationParams,
    GenerationRequest,
    Piece,
)
from studio.plugins.deploy.backends.openai_stream import (
    completion_body,
    stream_completions,
    wait_until_ready,
)
from studio.plugins.deploy.store import Deployment

__all__ = ["LlamaServerBackend", "free_port"]

HOST = "127.0.0.1"


def free_port(host: str = HOST) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _port_taken(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return True
    return False


class LlamaServerBackend(Backend):
    id = "server"
    name = "llama.cpp server"
    description = ("llama.cpp's OpenAI-compatible HTTP server on 127.0.0.1, run by the studio "
                   "(stopped when the studio exits).")
    artifact = "gguf"
    registry_backend = "llama.cpp"

    def __init__(self, processes: Any, locate_binary: Callable[[], Path | None] = lambda: None,
                 ready_timeout_s: float = 120.0) -> None:
        self._processes = processes
        self._locate_binary = locate_binary
        self._ready_timeout_s = ready_timeout_s
        self._servers: dict[str, Any] = {}  # deployment id -> ManagedProcess
        self._lock = threading.Lock()

    def _command(self) -> tuple[str, list[str]] | None:
        binary = self._locate_binary()
        if binary is not None:
            return "binary", [str(binary)]
        try:
            import fastapi  # noqa: F401
            import llama_cpp.server  # noqa: F401
            import uvicorn  # noqa: F401
        except ImportError:
            return None
        return "python", [sys.executable, "-m", "llama_cpp.server"]

    def available(self) -> Availability:
        command = self._command()
        if command is None:
            return Availability(False, "neither llama-cpp-python[server] nor a llama-server "
                                "binary is installed; pip install 'hafs-studio[deploy]'")
        kind, argv = command
        what = argv[0] if kind == "binary" else "python -m llama_cpp.server"
        return Availability(True, f"{what} on 127.0.0.1, a free port")

    # -- starting --------------------------------------------------------------------------
    def _argv(self, command: tuple[str, list[str]], model: Path, port: int,
              options: dict[str, Any], alias: str) -> list[str]:
        kind, argv = command
        n_ctx, threads = int(options.get("n_ctx") or 2048), int(options.get("n_threads") or 0)
        if kind == "binary":
            argv = [*argv, "-m", str(model), "--host", HOST, "--port", str(port), "-c",
                    str(n_ctx), "-a", alias]
            return [*argv, "-t", str(threads)] if threads else argv
        argv = [*argv, "--model", str(model), "--host", HOST, "--port", str(port),
                "--n_ctx", str(n_ctx), "--model_alias", alias]
        return [*argv, "--n_threads", str(threads)] if threads else argv

    def _start(self, deployment_id: str, model: Path, options: dict[str, Any], alias: str, *,
               ctx: JobContext, port: int | None = None) -> tuple[Any, int, str]:
        command = self._command()
        if command is None:
            raise DeployError(self.available().reason)
        if not model.is_file():
            raise DeployError(f"{model}: GGUF file not found")
        if port is None:
            port = free_port()
        elif _port_taken(port):
            raise DeployError(f"port {port} on {HOST} is already in use; choose another")
        process = self._processes.spawn(
            self._argv(command, model, port, options, alias), name=f"llama-server-{port}",
            owner="deploy", long_lived=True)
        base_url = f"http://{HOST}:{port}/v1"

        def alive() -> str | None:
            if process.running:
                return None
            tail = "\n".join(process.stderr_tail[-8:])
            return (f"the llama.cpp server exited with {process.returncode} before it was "
                    f"ready (log: {process.log_file}):\n{tail}")

        try:
            wait_until_ready(base_url, alive, ctx, self._ready_timeout_s)
        except BaseException:
            process.terminate()
            raise
        with self._lock:
            self._servers[deployment_id] = process
        return process, port, command[0]

    def deploy(self, artifact: DeployArtifact, options: DeployOptions, deployment_id: str,
               ctx: JobContext) -> dict[str, Any]:
        record = {"n_ctx": options.n_ctx, "n_threads": options.n_threads}
        alias = artifact.model_id or artifact.path.stem
        ctx.report(0.1, f"Starting the llama.cpp server for {artifact.path.name}")
        process, port, kind = self._start(deployment_id, artifact.path, record, alias, ctx=ctx,
                                          port=options.extra.get("port"))
        if ctx.cancelled:
            self.stop_process(deployment_id)
            raise JobCancelled()
        return {"endpoint": f"http://{HOST}:{port}/v1", "options": record,
                "data": {"port": port, "alias": alias, "kind": kind,
                         "log_file": str(process.log_file)}}

    # -- running ---------------------------------------------------------------------------
    def _process(self, deployment: Deployment) -> Any:
        with self._lock:
            process = self._servers.get(deployment.id)
        return process if process is not None and process.running else None

    def prepare(self, deployment: Deployment) -> None:
        """Start the server again if it is not running (a restarted studio, a crash)."""
        if self._process(deployment) is None:
            self._start(deployment.id, Path(deployment.artifact), deployment.options,
                        str(deployment.data.get("alias") or "model"), ctx=NULL_CONTEXT,
                        port=deployment.data.get("port"))

    def _base_url(self, deployment: Deployment) -> str:
        return f"http://{HOST}:{deployment.data.get('port')}/v1"

    def status(self, deployment: Deployment) -> DeploymentStatus:
        process = self._process(deployment)
        if process is None:
            if not Path(deployment.artifact).is_file():
                return DeploymentStatus("down", f"{deployment.artifact}: GGUF file not found")
            return DeploymentStatus("idle", "not running; starts on first use",
                                    log_file=deployment.data.get("log_file"))
        return DeploymentStatus("ready", f"pid {process.pid}, log {process.log_file}",
                                _rss(process.pid), process.started_at, str(process.log_file))

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{"deployment": key, "pid": p.pid, "running": p.running}
                    for key, p in self._servers.items()]

    def stop_process(self, deployment_id: str) -> None:
        with self._lock:
            process = self._servers.pop(deployment_id, None)
        if process is not None and process.running:
            process.terminate()

    def stop(self, deployment: Deployment) -> None:
        self.stop_process(deployment.id)

    def close(self) -> None:
        with self._lock:
            ids = list(self._servers)
        for deployment_id in ids:
            self.stop_process(deployment_id)

    def stream(self, deployment: Deployment, request: GenerationRequest,
               params: GenerationParams) -> Iterator[Piece | str]:
        process = self._process(deployment)
        log = f"server log: {process.log_file}" if process is not None else "server not running"
        body = completion_body(deployment, request, params,
                               str(deployment.data.get("alias") or "model"))
        yield from stream_completions(self._base_url(deployment), body, log)


def _rss(pid: int) -> int | None:
    try:
        import psutil

        return int(psutil.Process(pid).memory_info().rss)
    except Exception:  # the process just exited, or psutil cannot see it
        return None
