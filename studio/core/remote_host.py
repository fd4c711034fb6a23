"""One SSH host: a shared, self-healing asyncssh connection behind a synchronous API.

Every feature that talks to a host (pull, deploy, remote training logs, GPU telemetry) goes
through the same :class:`RemoteHost`, handed out by ``studio.services.remote.host(name)``:

* **One connection**, opened on first use, kept alive (SSH keepalives), shared by every caller
  and thread; operations run as coroutines on the manager's event loop thread
  (:mod:`studio.core.remote_loop`) while the calling thread waits.
* **Reconnect with backoff.** A dropped connection is noticed at once (the transport closes, or
  keepalives go unanswered); the next operation reconnects, retrying with growing pauses
  (:class:`Backoff`); idempotent operations (SFTP reads, transfers, which resume) are retried
  transparently, a remote command is not (it may have run). Streams restart their command and
  port forwards are reopened on the same local port.
* **State on the bus**: :class:`RemoteConnectionChanged` (topic ``remote.connection``).
* **Host keys** are checked against known_hosts and never accepted automatically.

The transfer operations live in :mod:`studio.core.remote_transfer`, streams and port forwards
in :mod:`studio.core.remote_stream`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import shlex
import subprocess
import threading
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from studio.core.events import EventBus
from studio.core.jobs import NULL_CONTEXT, JobContext
from studio.core.remote import (
    HostConfig,
    HostKeyError,
    RemoteEntry,
    RemoteError,
    RemoteFileInfo,
    _windows_path,
    sftp_path,
)
from studio.core.remote_connect import LoginRefused
from studio.core.remote_loop import EventLoopThread
from studio.core.remote_state import Backoff, ConnectionState, RemoteConnectionChanged

if TYPE_CHECKING:
    from studio.core.remote_stream import PortForward, RemoteStream
    from studio.core.remote_transfer import RemoteRead

__all__ = [
    "Backoff",
    "ConnectionState",
    "RemoteConnectionChanged",
    "RemoteHost",
    "connected",
]

log = logging.getLogger(__name__)
T = TypeVar("T")
CONNECT_TIMEOUT_S = 20.0
KEEPALIVE_S = 15.0


def _connection_errors() -> tuple[type[BaseException], ...]:
    import asyncssh

    return (asyncssh.ConnectionLost, asyncssh.DisconnectError, asyncssh.ChannelOpenError,
            asyncssh.sftp.SFTPConnectionLost, BrokenPipeError, ConnectionResetError,
            ConnectionAbortedError, EOFError)


class RemoteHost:
    """A shared connection to one configured host. Standalone use (its own loop thread)::

        with RemoteHost(sync.host("medical-mechanica")) as host:
            host.download("D:/hafs_training/models/x/config.json", Path("config.json"))

    Inside the studio use ``studio.services.remote.host(name)`` instead: never closed by the
    caller, shared with every other feature.
    """

    def __init__(self, config: HostConfig, *, known_hosts: str | os.PathLike[str] | None = None,
                 timeout: float = CONNECT_TIMEOUT_S, loop: EventLoopThread | None = None,
                 bus: EventBus | None = None, backoff: Backoff | None = None,
                 keepalive_s: float = KEEPALIVE_S) -> None:
        self.config = config
        default = Path.home() / ".ssh" / "known_hosts"
        self.known_hosts = Path(known_hosts or config.known_hosts or default).expanduser()
        self.timeout = timeout
        self.backoff = backoff or Backoff()
        self.keepalive_s = keepalive_s
        self._own_loop = loop is None
        self._loop = loop or EventLoopThread(f"ssh-{config.name}")
        self._bus = bus
        self.state = ConnectionState.IDLE
        self.last_error: str | None = None
        self._conn: Any = None
        self._sftp: Any = None
        self._sftp_conn: Any = None
        self._connect_lock: asyncio.Lock | None = None
        self._ever_connected = False
        self._closed = False
        self._forwards: list[PortForward] = []
        self._streams: list[RemoteStream] = []
        self._forwards_lock = threading.Lock()  # guards both lists

    # -- lifecycle -----------------------------------------------------------------------
    def __enter__(self) -> RemoteHost:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def connect(self) -> None:
        """Open the connection now (it opens on first use anyway); errors say what to fix."""
        self.call(self.connection())

    def close(self) -> None:
        """Close the connection, its streams and forwards; a standalone host stops its loop."""
        if self._closed:
            return
        self._closed = True
        with self._forwards_lock:
            forwards, self._forwards = list(self._forwards), []
            streams, self._streams = list(self._streams), []
        for stream in streams:
            stream.close()
        for forward in forwards:
            forward.close()
        # Closing a broken connection must not hide the original error.
        with contextlib.suppress(Exception):
            self._loop.call(self._close_connection(), timeout=10)
        self._set_state(ConnectionState.CLOSED)
        if self._own_loop:
            self._loop.stop()

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def connected(self) -> bool:
        return self._conn is not None

    # -- operations ----------------------------------------------------------------------
    def run(self, command: str | Sequence[str], timeout: float = 60.0) -> tuple[int, str, str]:
        """Run a command (a string for the host's shell, or an argv list that is quoted for
        it); return (exit status, stdout, stderr). Not retried on a dropped connection."""
        text = command if isinstance(command, str) else self.quote(command)

        async def run(conn: Any) -> tuple[int, str, str]:
            result = await conn.run(text, check=False, timeout=timeout)
            return int(result.exit_status or 0), str(result.stdout or ""), \
                str(result.stderr or "")

        return self.call(self.with_connection(run, retry=False))

    def quote(self, argv: Sequence[str]) -> str:
        """``argv`` as one command line for this host's shell (cmd.exe on Windows hosts)."""
        if self.config.is_windows:
            return subprocess.list2cmdline(list(argv))
        return shlex.join(argv)

    def exists(self, path: str) -> bool:
        return bool(self.call(self.with_sftp(lambda sftp: sftp.exists(sftp_path(path)))))

    def list_files(self, path: str) -> list[RemoteEntry]:
        """Every regular file below ``path`` (or ``path`` itself when it is a file)."""
        from studio.core.remote_transfer import list_files

        return self.call(self.with_sftp(lambda sftp: list_files(sftp, self.config, path)))

    def sha256(self, path: str) -> str | None:
        """The remote file's sha256 computed on the host, or None when no tool answers."""
        if self.config.is_windows:
            literal = _windows_path(path).replace("'", "''")
            command = ("powershell -NoProfile -NonInteractive -Command "
                       f"\"(Get-FileHash -Algorithm SHA256 -LiteralPath '{literal}').Hash\"")
        elif self.config.platform.lower() == "mac":
            command = f"shasum -a 256 {shlex.quote(path)}"
        else:
            command = f"sha256sum {shlex.quote(path)}"
        try:
            status, out, _ = self.run(command, timeout=600)
        except Exception:
            return None
        match = re.search(r"\b([0-9a-fA-F]{64})\b", out)
        return match.group(1).lower() if status == 0 and match else None

    def sha256_by_reading(self, path: str, ctx: JobContext = NULL_CONTEXT) -> str:
        """Hash a remote file by streaming it back (for hosts without a hashing tool)."""
        from studio.core.remote_transfer import sha256_by_reading

        return self.call(self.with_sftp(lambda sftp: sha256_by_reading(sftp, path, ctx)))

    def download(self, remote: str, local: Path, *, size: int | None = None,
                 ctx: JobContext = NULL_CONTEXT,
                 on_bytes: Callable[[int], None] | None = None, verify: bool = False) -> int:
        """Copy ``remote`` into ``local``, continuing after the bytes ``local`` already has.

        ``on_bytes(n)`` is called with each chunk's length (for aggregate progress); without
        it the job's progress shows this file alone. ``verify``: compare sha256 with the
        host's afterwards (a bad resumed prefix is fetched again once; then
        :class:`RemoteError`). Returns the bytes transferred now. Resumes across reconnects.
        """
        from studio.core.remote_transfer import download

        return download(self, remote, Path(local), size=size, ctx=ctx, on_bytes=on_bytes,
                        verify=verify)

    def upload(self, local: str | os.PathLike[str], remote: str, *,
               ctx: JobContext = NULL_CONTEXT, overwrite: bool = False,
               on_bytes: Callable[[int], None] | None = None) -> int:
        """Copy ``local`` to ``remote`` through ``<remote>.partial`` (resumed when a previous
        upload stopped), sha256-checked on the host, then renamed into place; an existing
        ``remote`` is a :class:`RemoteError` unless ``overwrite``. Returns the bytes sent."""
        from studio.core.remote_transfer import upload

        return upload(self, Path(local), remote, ctx=ctx, overwrite=overwrite, on_bytes=on_bytes)

    def read_from(self, path: str, offset: int = 0, max_bytes: int = 8 << 20) -> RemoteRead:
        """The bytes of ``path`` from ``offset`` (at most ``max_bytes``): for following a
        remote log. A file now shorter than ``offset`` was truncated or rotated: reading
        restarts at 0 and ``truncated`` says so."""
        from studio.core.remote_transfer import read_from

        return self.call(self.with_sftp(lambda sftp: read_from(sftp, path, offset, max_bytes)))

    def list_dir(self, path: str) -> list[RemoteFileInfo]:
        """The entries of one remote folder with their size, mtime and kind (not recursive);
        [] when the folder does not exist. For watching run folders on a host."""
        from studio.core.remote_transfer import list_dir

        return self.call(self.with_sftp(lambda sftp: list_dir(sftp, path)))

    def stat(self, path: str) -> RemoteFileInfo | None:
        """A remote file's size, mtime and kind, or None when it does not exist."""
        from studio.core.remote_transfer import stat

        return self.call(self.with_sftp(lambda sftp: stat(sftp, path)))

    def stream(self, command: str | Sequence[str], *, ctx: JobContext | None = None,
               restart: bool = True, pty: bool = True, max_pending: int = 10000
               ) -> RemoteStream:
        """Run a long-lived command and iterate its output lines (``tail -F``,
        ``nvidia-smi -lms``). ``restart``: after a dropped connection, reconnect and run it
        again. ``pty``: the host gives the command a terminal, so closing the stream hangs
        it up (a ``tail -F`` that prints nothing would otherwise outlive us)."""
        from studio.core.remote_stream import RemoteStream

        text = command if isinstance(command, str) else self.quote(command)
        stream = RemoteStream(self, text, ctx=ctx, restart=restart, pty=pty,
                              max_pending=max_pending)
        with self._forwards_lock:
            self._streams.append(stream)
        return stream

    def forward_local_port(self, remote_port: int, remote_host: str = "127.0.0.1",
                           local_port: int = 0) -> PortForward:
        """Listen on 127.0.0.1:``local_port`` (0: any free port) and tunnel each connection to
        ``remote_host:remote_port`` as seen from the host; reopened after a reconnect."""
        from studio.core.remote_stream import PortForward

        forward = PortForward(self, remote_host, remote_port, local_port)
        forward.open()
        with self._forwards_lock:
            self._forwards.append(forward)
        return forward

    # -- machinery shared with remote_transfer and remote_stream ---------------------------
    def call(self, coro: Awaitable[T]) -> T:
        """Run ``coro`` on the loop thread and wait for it here."""
        if self._closed:
            if asyncio.iscoroutine(coro):
                coro.close()
            raise RemoteError(f"the connection to host {self.name!r} was closed")
        return self._loop.call(coro)  # type: ignore[arg-type]

    async def with_connection(self, operation: Callable[[Any], Awaitable[T]],
                              retry: bool = True) -> T:
        """Run ``operation(conn)``; a dropped connection is reopened (with backoff) and, when
        ``retry``, the operation run once more."""
        conn = await self.connection()
        try:
            return await operation(conn)
        except _connection_errors() as exc:
            self.mark_lost(conn, exc)
            if not retry:
                raise RemoteError(f"lost the connection to host {self.name!r} while running "
                                  f"a command: {exc}") from None
            conn = await self.connection()
            return await operation(conn)

    async def with_sftp(self, operation: Callable[[Any], Awaitable[T]]) -> T:
        """Run ``operation(sftp_client)`` on the shared connection's SFTP session."""
        async def run(conn: Any) -> T:
            return await operation(await self._sftp_client(conn))

        return await self.with_connection(run)

    async def connection(self) -> Any:
        """The live connection: opened on first use, reopened with backoff after a drop."""
        if self._connect_lock is None:
            self._connect_lock = asyncio.Lock()
        async with self._connect_lock:
            if self._conn is not None:
                return self._conn
            if self._closed:
                raise RemoteError(f"the connection to host {self.name!r} was closed")
            if not self._ever_connected:
                self._set_state(ConnectionState.CONNECTING)
                try:
                    conn = await self._open()
                except RemoteError as exc:
                    self._set_state(ConnectionState.FAILED, str(exc))
                    raise
            else:
                conn = await self._reconnect()
            self._conn, self._ever_connected = conn, True
            self._set_state(ConnectionState.CONNECTED)
        await self._reopen_forwards()
        return conn

    def mark_lost(self, conn: Any, exc: BaseException | None) -> None:
        """``conn`` is dead (called on the loop thread); the next use reconnects."""
        if conn is not self._conn or conn is None:
            return
        self._conn = None
        self._sftp = self._sftp_conn = None
        if not self._closed:
            self._set_state(ConnectionState.LOST, str(exc) if exc else "connection closed")
            if self._forwards:
                asyncio.get_running_loop().create_task(self._heal())

    # -- internals -----------------------------------------------------------------------
    async def _heal(self) -> None:
        """Reconnect in the background for the port forwards (nobody else may call soon)."""
        try:
            await self.connection()
        except RemoteError as exc:
            log.warning("host %s: forwards stay closed: %s", self.name, exc)

    async def _reopen_forwards(self) -> None:
        with self._forwards_lock:
            forwards = list(self._forwards)
        for forward in forwards:
            await forward.reopen()

    async def _reconnect(self) -> Any:
        last: RemoteError | None = None
        pauses = self.backoff.pauses()
        for attempt in range(1, self.backoff.attempts + 1):
            self._set_state(ConnectionState.RECONNECTING, str(last) if last else None, attempt)
            try:
                return await self._open()
            except (HostKeyError, LoginRefused) as exc:  # retrying cannot fix these
                self._set_state(ConnectionState.FAILED, str(exc))
                raise
            except RemoteError as exc:
                last = exc
            pause = next(pauses, None)
            if pause is None or self._closed:
                break
            await asyncio.sleep(pause)
        message = (f"lost the connection to host {self.name!r} and could not reconnect "
                   f"after {self.backoff.attempts} attempts: {last}")
        self._set_state(ConnectionState.FAILED, message)
        raise RemoteError(message)

    async def _open(self) -> Any:
        from studio.core.remote_connect import open_connection

        return await open_connection(self)

    async def _close_connection(self) -> None:
        conn, self._conn = self._conn, None
        sftp, self._sftp, self._sftp_conn = self._sftp, None, None
        if sftp is not None:
            sftp.exit()
        if conn is not None:
            conn.close()
            await conn.wait_closed()

    async def _sftp_client(self, conn: Any) -> Any:
        if self._sftp is None or self._sftp_conn is not conn:
            self._sftp = await conn.start_sftp_client()
            self._sftp_conn = conn
        return self._sftp

    def _set_state(self, state: ConnectionState, error: str | None = None,
                   attempt: int = 0) -> None:
        self.state = state
        if error:
            self.last_error = error
        if self._bus is not None:
            self._bus.publish(RemoteConnectionChanged(host=self.name, state=str(state),
                                                      error=error, attempt=attempt))

class connected:
    """``with connected(host_config) as host: …``: a standalone :class:`RemoteHost`."""

    def __init__(self, config: HostConfig, **kwargs: Any) -> None:
        self.host = RemoteHost(config, **kwargs)

    def __enter__(self) -> RemoteHost:
        return self.host.__enter__()

    def __exit__(self, *exc: object) -> None:
        self.host.close()
