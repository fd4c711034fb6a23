"""One asyncio event loop on a daemon thread, driven from ordinary threads.

asyncssh is asynchronous; the studio's callers are synchronous (job threads, CLI commands). A
:class:`~studio.core.remote_manager.RemoteManager` owns one :class:`EventLoopThread`, and every
SSH connection of that studio lives on it: a job thread calls :meth:`EventLoopThread.call`, which
schedules the coroutine on the loop and blocks that thread (never the loop) until the result
is back. Many threads can use one connection at once this way: their SFTP reads and commands
interleave on the loop, which is what makes "one connection per host, shared by every feature"
possible. Calling :meth:`call` *from* the loop thread would wait for itself, so it raises.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["EventLoopThread"]

T = TypeVar("T")


class EventLoopThread:
    """A lazily started event loop thread; :meth:`stop` ends it (and every task on it)."""

    def __init__(self, name: str = "studio-remote") -> None:
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopped = False

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The running loop (started on first use)."""
        with self._lock:
            if self._stopped:
                raise RuntimeError(f"{self.name}: the event loop thread was stopped")
            if self._loop is None:
                ready = threading.Event()
                loop = asyncio.new_event_loop()
                self._thread = threading.Thread(target=self._run, args=(loop, ready),
                                                name=self.name, daemon=True)
                self._thread.start()
                ready.wait()
                self._loop = loop
            return self._loop

    def in_loop_thread(self) -> bool:
        return self._thread is not None and threading.current_thread() is self._thread

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule ``coro`` on the loop; the returned future may be waited on any thread."""
        try:
            loop = self.loop
        except RuntimeError:
            coro.close()
            raise
        return asyncio.run_coroutine_threadsafe(coro, loop)

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on the loop and wait for its result on this thread."""
        if self.in_loop_thread():
            coro.close()
            raise RuntimeError("a blocking remote call was made on the remote event loop itself")
        future = self.submit(coro)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"{self.name}: no result within {timeout} s") from None
        except BaseException:
            future.cancel()  # an interrupted caller must not leave work running for nobody
            raise

    def stop(self, timeout: float = 5.0) -> None:
        """Cancel every task, close the loop and join the thread (idempotent)."""
        with self._lock:
            self._stopped = True
            loop, thread = self._loop, self._thread
        if loop is None or thread is None or loop.is_closed():  # never started, or stopped
            return
        if thread is threading.current_thread():
            loop.call_soon(loop.stop)
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)

    @staticmethod
    def _run(loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(ready.set)
        try:
            loop.run_forever()
        finally:
            pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
