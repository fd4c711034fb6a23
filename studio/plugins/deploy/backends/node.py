"""Backend 5: a llama.cpp server on a remote node, over SSH (hafs's "halext" nodes).

Hosts come from hafs's ``sync.toml`` ``[hosts]`` and ``~/.config/hafs/nodes.toml`` through the
studio's shared connections (``studio.services.remote``; host keys checked against
known_hosts, never accepted blindly: a mismatch fails with the fingerprint). Deploy uploads the
GGUF (resumable, sha256-checked on the node, reused when the node already has it), starts the
node's llama.cpp server on its 127.0.0.1 as a command attached to our SSH session (closing the
session hangs it up: nothing is left running on the node when the studio goes), forwards a
local port to it, and is ready when ``/v1/models`` answers through the tunnel. The server's
output is kept in a local log file. hafs records this as ``halext-node`` with
``halext_node_id`` set to the model id (hafs-formats §1.5).
"""

from __future__ import annotations

import contextlib
import random
import shlex
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.api import (
    NULL_CONTEXT,
    HostKeyError,
    JobCancelled,
    JobContext,
    RemoteError,
    sha256_file,
)
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
from studio.plugins.deploy.pipeline import StageContext
from studio.plugins.deploy.store import Deployment

__all__ = ["DEFAULT_SERVER_COMMAND", "NodeBackend", "server_argv"]

DEFAULT_SERVER_COMMAND = ("llama-server --host 127.0.0.1 --port {port} -m {model} -c {n_ctx} "
                          "-a {alias}")
DEFAULT_MODELS_DIR = "hafs-studio/models"  # relative to the login folder on the node


def server_argv(template: str, **values: Any) -> list[str]:
    """The node's server command: the template split like a shell would, then each word
    formatted (a value can never become two words or a shell construct)."""
    try:
        return [word.format(**values) for word in shlex.split(template)]
    except (KeyError, ValueError, IndexError) as exc:
        raise DeployError(f"node server command {template!r}: {exc} (placeholders: "
                          "{port}, {model}, {n_ctx}, {alias})") from exc


@dataclass
class _Running:
    """A server on a node: the SSH channel it runs in, the tunnel to it, its log."""

    host: str
    stream: Any
    forward: Any
    log_file: Path
    since: float
    lines: list[str]
    ended: threading.Event  # the server's output ended: it exited, or the channel closed

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.forward.local_port}/v1"

    @property
    def alive(self) -> bool:
        return not self.ended.is_set()


def _free_space(host: Any, folder: str, needed: int) -> str:
    """A sentence about the node's free space in ``folder`` (the usual cause of a failure)."""
    try:
        status, out, _ = host.run(["df", "-Pk", folder], timeout=15)
        free_kb = int(out.strip().splitlines()[-1].split()[3]) if status == 0 else None
    except Exception:  # only an explanation: the upload's own error is what matters
        free_kb = None
    if free_kb is None:
        return "is the node's disk full?"
    verdict = "the node's disk is full" if free_kb * 1024 < needed else "enough space"
    return f"{free_kb * 1024:,} bytes free in {folder}, {needed:,} needed: {verdict}"


class NodeBackend(Backend):
    id = "node"
    name = "Remote node (SSH)"
    description = ("A llama.cpp server on a node from sync.toml [hosts] or nodes.toml, reached "
                   "through an SSH port forward.")
    artifact = "gguf"
    registry_backend = "halext-node"

    def __init__(self, remote: Any, logs_dir: Path,
                 setting: Callable[[str], Any] = lambda key: None) -> None:
        self._remote = remote
        self._logs_dir = logs_dir
        self._setting = setting
        self._running: dict[str, _Running] = {}
        self._lock = threading.Lock()

    def hosts(self) -> list[str]:
        return sorted(self._remote.hosts())

    def available(self) -> Availability:
        hosts = self.hosts()
        if not hosts:
            return Availability(False, f"no hosts configured: add [hosts.<name>] to "
                                f"{self._remote.sync_path} or [[nodes]] to "
                                f"{self._remote.nodes_path}")
        return Availability(True, f"hosts: {', '.join(hosts)}", hosts=tuple(hosts))

    # -- deploying ---------------------------------------------------------------------------
    def _host(self, name: str) -> Any:
        try:
            host = self._remote.host(name)
            host.connect()
        except HostKeyError as exc:
            raise DeployError(f"{name}: the host key is not trusted, nothing was sent ({exc})"
                              ) from exc
        except RemoteError as exc:
            raise DeployError(f"{name}: cannot connect ({exc})") from exc
        return host

    def _upload(self, host: Any, local: Path, ctx: JobContext) -> tuple[str, int]:
        folder = str(self._setting("node_models_dir") or DEFAULT_MODELS_DIR).rstrip("/")
        digest = sha256_file(local, ctx, (0.0, 0.1))
        remote = f"{folder}/{digest[:16]}-{local.name}"
        try:
            status, _, err = host.run(["mkdir", "-p", folder])
            if status != 0:
                raise DeployError(f"{host.name}: cannot create {folder}: {err.strip()}")
            if host.exists(remote) and host.sha256(remote) == digest:
                ctx.report(0.7, f"{host.name} already has {local.name}")
                return remote, 0
            ctx.report(0.1, f"Uploading {local.name} to {host.name}")
            sent = host.upload(local, remote, ctx=StageContext(ctx, 0.1, 0.7), overwrite=True)
        except (JobCancelled, DeployError):
            raise
        except Exception as exc:  # RemoteError, or SFTP's own errors (a full disk: Failure)
            raise DeployError(f"{host.name}: uploading {local.name} to {remote} failed "
                              f"({type(exc).__name__}: {exc}); "
                              f"{_free_space(host, folder, local.stat().st_size)}") from exc
        return remote, sent

    def _start(self, deployment_id: str, host_name: str, remote_model: str,
               options: dict[str, Any], *, alias: str, ctx: JobContext) -> _Running:
        host = self._host(host_name)
        template = str(self._setting("node_server_command") or DEFAULT_SERVER_COMMAND)
        last: Exception | None = None
        for _attempt in range(3):  # a port taken on the node: try another
            port = random.randint(20000, 60000)
            argv = server_argv(template, port=port, model=remote_model,
                               n_ctx=int(options.get("n_ctx") or 2048), alias=alias)
            running = self._launch(host, argv, port, deployment_id)
            try:
                wait_until_ready(running.url, lambda r=running: self._exited(r), ctx)
            except DeployError as exc:
                self._close(running)
                last = exc
                if "address already in use" in str(exc).lower():
                    continue
                raise
            except BaseException:
                self._close(running)
                raise
            with self._lock:
                self._running[deployment_id] = running
            return running
        raise DeployError(f"{host_name}: no free port for the server ({last})")

    def _launch(self, host: Any, argv: list[str], port: int, deployment_id: str) -> _Running:
        self._logs_dir.mkdir(parents=True, exist_ok=True)
        log_file = self._logs_dir / f"node-{host.name}-{port}-{time.strftime('%Y%m%d-%H%M%S')}.log"
        stream = host.stream(argv, restart=False, pty=True)
        lines: list[str] = []
        ended = threading.Event()

        def pump() -> None:  # the server's output, into the log (and the last lines kept)
            try:
                with open(log_file, "a", encoding="utf-8") as log:
                    log.write(f"{host.name}: {host.quote(argv)}\n")
                    for line in stream:
                        log.write(line.rstrip("\n") + "\n")
                        log.flush()
                        lines.append(line.rstrip())
                        del lines[:-50]
            except (RemoteError, OSError) as exc:
                lines.append(f"[{exc}]")
            finally:
                ended.set()

        threading.Thread(target=pump, name=f"node-{deployment_id}", daemon=True).start()
        forward = host.forward_local_port(port)
        return _Running(host.name, stream, forward, log_file, time.time(), lines, ended)

    def _exited(self, running: _Running) -> str | None:
        if running.alive:
            return None
        tail = "\n".join(running.lines[-8:])
        return (f"{running.host}: the llama.cpp server exited before it was ready (log: "
                f"{running.log_file}):\n{tail}")

    def deploy(self, artifact: DeployArtifact, options: DeployOptions, deployment_id: str,
               ctx: JobContext) -> dict[str, Any]:
        host_name = str(options.extra.get("host") or "")
        if not host_name:
            raise DeployError(f"choose a node (known: {', '.join(self.hosts()) or 'none'})")
        host = self._host(host_name)
        remote_model, sent = self._upload(host, artifact.path, ctx)
        ctx.raise_if_cancelled()
        ctx.report(0.75, f"Starting the llama.cpp server on {host_name}")
        record = {"n_ctx": options.n_ctx}
        alias = artifact.model_id or artifact.path.stem
        running = self._start(deployment_id, host_name, remote_model, record, alias=alias,
                              ctx=ctx)
        if ctx.cancelled:
            self.stop_running(deployment_id)
            raise JobCancelled()
        return {"endpoint": f"{host_name} → {running.url}", "options": record,
                "data": {"host": host_name, "remote_model": remote_model, "alias": alias,
                         "uploaded_bytes": sent, "log_file": str(running.log_file)},
                "registry": {"halext_node_id": artifact.model_id}}

    # -- running -----------------------------------------------------------------------------
    def _current(self, deployment: Deployment) -> _Running | None:
        with self._lock:
            running = self._running.get(deployment.id)
        return running if running is not None and running.alive else None

    def prepare(self, deployment: Deployment) -> None:
        if self._current(deployment) is None:
            self._start(deployment.id, str(deployment.data["host"]),
                        str(deployment.data["remote_model"]), deployment.options,
                        alias=str(deployment.data.get("alias") or "model"), ctx=NULL_CONTEXT)

    def status(self, deployment: Deployment) -> DeploymentStatus:
        running = self._current(deployment)
        if running is None:
            return DeploymentStatus("idle", f"not running on {deployment.data.get('host')}; "
                                    "starts on first use",
                                    log_file=deployment.data.get("log_file"))
        return DeploymentStatus("ready", f"{running.host} via {running.url}, log "
                                f"{running.log_file}", since=running.since,
                                log_file=str(running.log_file))

    def _close(self, running: _Running) -> None:
        with contextlib.suppress(Exception):
            running.forward.close()
        with contextlib.suppress(Exception):
            running.stream.close()  # hangs the server up (pty): nothing stays on the node

    def stop_running(self, deployment_id: str) -> None:
        with self._lock:
            running = self._running.pop(deployment_id, None)
        if running is not None:
            self._close(running)

    def stop(self, deployment: Deployment) -> None:
        self.stop_running(deployment.id)

    def close(self) -> None:
        with self._lock:
            ids = list(self._running)
        for deployment_id in ids:
            self.stop_running(deployment_id)

    def stream(self, deployment: Deployment, request: GenerationRequest,
               params: GenerationParams) -> Iterator[Piece | str]:
        running = self._current(deployment)
        url = running.url if running is not None else "http://127.0.0.1:0/v1"
        where = (f"node {deployment.data.get('host')}, server log "
                 f"{running.log_file if running else 'none'}")
        body = completion_body(deployment, request, params,
                               str(deployment.data.get("alias") or "model"))
        yield from stream_completions(url, body, where)
