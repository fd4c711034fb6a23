"""Long-lived channels on a shared host connection: output streams and local port forwards.

:class:`RemoteStream` runs a command that never ends on its own (``tail -F train.log``,
``nvidia-smi --query-gpu=… -lms 500``) and hands its output lines to an ordinary thread
through a queue. The reading happens on the manager's event loop; a consumer that falls behind
loses the oldest lines (counted in :attr:`RemoteStream.dropped`) rather than growing memory
without bound. When the connection drops, the host reconnects (with backoff) and the command is
started again (:attr:`RemoteStream.restarts`); when reconnecting fails, iteration raises.

:class:`PortForward` listens on 127.0.0.1 only and tunnels each accepted connection to a port
as seen from the host (a model server's HTTP port); after a reconnect it listens again on the
same local port, so URLs handed out stay valid.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import deque
from typing import TYPE_CHECKING, Any

from studio.core.jobs import JobCancelled, JobContext
from studio.core.remote import RemoteError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from studio.core.remote_host import RemoteHost

__all__ = ["PortForward", "RemoteStream"]

_END = object()
log = logging.getLogger(__name__)


class RemoteStream:
    """Lines of a remote command's output. Use as a context manager and iterate::

        with host.stream(["tail", "-F", log]) as lines:
            for line in lines: ...

    Iteration ends when the command exits (:attr:`exit_status`) or :meth:`close` is called,
    and raises ``JobCancelled`` when ``ctx`` is cancelled, :class:`RemoteError` when the
    connection is lost for good.
    """

    def __init__(self, host: RemoteHost, command: str, *, ctx: JobContext | None, restart: bool,
                 pty: bool, max_pending: int) -> None:
        self.host = host
        self.command = command
        self.ctx = ctx
        self.restart = restart
        self.pty = pty
        self.restarts = 0
        self.dropped = 0
        self.exit_status: int | None = None
        self.error: RemoteError | None = None
        self._lines: deque[Any] = deque()
        self._max_pending = max_pending
        self._ready = threading.Condition()
        self._closed = False
        self._started = threading.Event()
        self._process: Any = None
        if host._closed:
            raise RemoteError(f"the connection to host {host.name!r} was closed")
        self._task = host._loop.submit(self._pump())
        self._started.wait(host.timeout + 5)

    # -- consumer side (any thread) ----------------------------------------------------------
    def __enter__(self) -> RemoteStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[str]:
        while (line := self.next_line()) is not None:
            yield line

    def next_line(self, timeout: float | None = None) -> str | None:
        """The next line; None at the end of the stream or after ``timeout`` seconds."""
        with self._ready:
            waited = 0.0
            while not self._lines:
                if self.ctx is not None and self.ctx.cancelled:
                    self.close()
                    raise JobCancelled()
                if timeout is not None and waited >= timeout:
                    return None
                self._ready.wait(0.1)
                waited += 0.1
            item = self._lines.popleft()
            if item is _END:
                self._lines.appendleft(_END)  # stays ended for every later call
                if self.error is not None:
                    raise self.error
                return None
            return item

    def close(self) -> None:
        """Stop the remote command (hang-up, then channel closed) and end the iteration."""
        if self._closed:
            return
        self._closed = True
        self._task.cancel()
        with contextlib.suppress(Exception):
            self._task.result(timeout=5)
        self._push(_END)
        with self.host._forwards_lock, contextlib.suppress(ValueError):
            self.host._streams.remove(self)

    # -- loop side ---------------------------------------------------------------------------
    def _push(self, item: Any) -> None:
        with self._ready:
            if item is not _END and len(self._lines) >= self._max_pending:
                self._lines.popleft()
                self.dropped += 1
            self._lines.append(item)
            self._ready.notify_all()

    async def _pump(self) -> None:
        from studio.core.remote_host import _connection_errors

        try:
            while True:
                try:
                    conn = await self.host.connection()
                except RemoteError as exc:
                    self.error = exc
                    return
                finally:
                    self._started.set()
                try:
                    lost = await self._run_once(conn)
                except _connection_errors() as exc:
                    self.host.mark_lost(conn, exc)
                    lost = True
                if not lost or not self.restart:
                    if lost:
                        self.error = RemoteError(
                            f"lost the connection to host {self.host.name!r} during "
                            f"{self.command!r}")
                    return
                self.restarts += 1
        finally:
            self._started.set()
            self._push(_END)

    async def _run_once(self, conn: Any) -> bool:
        """Run the command until it ends; True when it ended because the connection died."""
        options: dict[str, Any] = {"encoding": "utf-8", "errors": "replace"}
        if self.pty:
            options["term_type"] = "dumb"
        process = await conn.create_process(self.command, **options)
        self._process = process
        try:
            async for line in process.stdout:
                if line:  # asyncssh yields "" when EOF lands between its check and read
                    self._push(line.rstrip("\r\n"))
            await process.wait_closed()
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                process.send_signal("TERM")  # hosts that honour signal requests stop it now
            process.close()  # the pty hang-up stops it everywhere else
            raise
        if process.exit_status is not None or process.exit_signal is not None:
            self.exit_status = process.exit_status
            return False
        died = self.host._conn is not conn or conn.is_closed()
        if died:
            self.host.mark_lost(conn, None)
        return died


class PortForward:
    """A local port tunnelled to the host; :meth:`close` stops listening."""

    def __init__(self, host: RemoteHost, remote_host: str, remote_port: int,
                 local_port: int = 0) -> None:
        self.host = host
        self.remote_host = remote_host
        self.remote_port = remote_port
        self.local_port = local_port
        self._listener: Any = None
        self._conn: Any = None
        self._closed = False

    def __enter__(self) -> PortForward:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.local_port}"

    def open(self) -> None:
        self.host.call(self._open())

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            self.host._loop.call(self._close(), timeout=5)
        with self.host._forwards_lock, contextlib.suppress(ValueError):
            self.host._forwards.remove(self)

    async def reopen(self) -> None:
        """After a reconnect: listen again on the same local port (on the loop thread)."""
        if self._closed or (self._listener is not None and self._conn is self.host._conn):
            return
        try:
            await self._open()
        except (RemoteError, OSError) as exc:
            log.warning(
                "host %s: could not reopen forward 127.0.0.1:%s -> %s:%s: %s", self.host.name,
                self.local_port, self.remote_host, self.remote_port, exc)

    async def _open(self) -> None:
        await self._close()
        conn = await self.host.connection()
        try:
            listener = await conn.forward_local_port("127.0.0.1", self.local_port,
                                                     self.remote_host, self.remote_port)
        except OSError as exc:
            raise RemoteError(f"cannot listen on 127.0.0.1:{self.local_port} for host "
                              f"{self.host.name!r}: {exc}") from None
        self._listener, self._conn = listener, conn
        self.local_port = listener.get_port()

    async def _close(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
            with contextlib.suppress(Exception):
                await listener.wait_closed()

