"""Remote logs over SSH: a local mirror of the remote file that the viewer follows like any log.

The viewer's machinery (native index, memory-mapped reads, ``tail -F`` following with rotation
and truncation markers) works on local files, so a remote log is mirrored byte for byte into
the studio's cache and opened from there:

* **catch-up** (a studio job, progress and cancel): the file is read over the host's one shared
  SFTP connection in 8 MiB steps (``RemoteHost.read_from``); the first step is on screen before
  the rest arrives;
* **following** (a thread per mirror, not a job: it lasts as long as the tab): one long-lived
  ``tail -n 0 -F`` channel on the same connection says when the file changed; its output is
  only a wake-up, the bytes are read over SFTP from the mirror's offset, so ``\\r`` progress bars
  and invalid bytes arrive exactly as written. A quiet file costs one small SFTP read every few
  seconds (the safety net for a host whose ``tail`` stopped or output without a newline).
* **rotation and truncation**: a remote file now shorter than the mirror, or whose first bytes
  changed, starts a new mirror file (renamed over the old one), which the local follower reports
  with its marker, as for a local log.

Host keys are verified by the remote service (never auto-accepted); paths are never put
through a shell unquoted (argv is quoted for the host's shell by ``RemoteHost``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING

from studio.api import NULL_CONTEXT, JobCancelled, JobContext, RemoteError

if TYPE_CHECKING:
    from studio.api import RemoteHost

__all__ = ["HEAD_BYTES", "IDLE_CHECK_S", "READ_STEP", "RemoteLogMirror", "mirror_path"]

log = logging.getLogger(__name__)

READ_STEP = 8 << 20  # bytes per SFTP read: progress and cancel between steps
HEAD_BYTES = 256  # the head compared to notice a replaced file that is not shorter
IDLE_CHECK_S = 3.0  # a quiet followed file is re-read this often (one stat + a small read)
_HOST_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def mirror_path(cache_dir: Path, host_name: str, remote_path: str) -> Path:
    """Where the mirror of ``host_name:remote_path`` lives: ``remote/<host>/<digest>/<name>``.

    The folder is a digest of host and path (no traversal whatever the remote path says); the
    file keeps the remote file's name, which is what the tab shows.
    """
    if not _HOST_NAME.fullmatch(host_name):
        raise ValueError(f"invalid host name {host_name!r} (letters, digits, '.', '_', '-')")
    if not remote_path.strip() or "\0" in remote_path:
        raise ValueError(f"invalid remote path {remote_path!r}")
    digest = hashlib.sha256(f"{host_name}\0{remote_path}".encode()).hexdigest()[:16]
    name = _UNSAFE.sub("_", PurePosixPath(remote_path.replace("\\", "/")).name).strip(".")
    return cache_dir / "remote" / host_name / digest / (name or "remote.log")


class RemoteLogMirror:
    """The local copy of one remote log, kept in step with it."""

    def __init__(self, host: RemoteHost, remote_path: str, local_path: Path) -> None:
        self.host = host
        self.remote_path = remote_path
        self.local_path = local_path
        self.offset = 0  # bytes of the remote file the mirror holds
        self.head = b""  # the remote file's first bytes, as mirrored
        self.replaced = 0  # times the remote file was truncated or replaced
        self._out: IO[bytes] | None = None
        self._lock = threading.Lock()
        self._stop = JobContext()
        self._thread: threading.Thread | None = None

    @property
    def label(self) -> str:
        return f"{self.host.name}:{self.remote_path}"

    # -- catch-up (a job) ------------------------------------------------------------------
    def catch_up(self, ctx: JobContext = NULL_CONTEXT, *,
                 on_first: Callable[[], None] | None = None) -> int:
        """Copy what the remote file holds now; returns the mirrored size.

        Starts a fresh mirror file. ``on_first`` (a callable) runs after the first step is
        written: the viewer can open the mirror while the rest arrives. RemoteError (naming
        host and path) when the file cannot be read.
        """
        with self._lock:
            self.offset, self.head, self._out = 0, b"", self._fresh_file()
        first = True
        while True:
            ctx.raise_if_cancelled()
            self._stop.raise_if_cancelled()  # the tab closed meanwhile
            size = self.sync_once()
            if first and on_first is not None:
                on_first()
                first = False
            ctx.report(self.offset / size if size else 1.0,
                       f"{self.offset / 2**20:,.1f} of {size / 2**20:,.1f} MiB")
            if self.offset >= size:
                return self.offset

    def sync_once(self) -> int:
        """Read the next step from the remote file into the mirror; the remote size."""
        try:
            chunk = self.host.read_from(self.remote_path, self.offset, READ_STEP)
        except RemoteError as exc:
            raise RemoteError(f"{self.label}: {exc}") from None
        with self._lock:
            if chunk.truncated:  # the data are from the start of the shorter file
                log.info("%s was truncated or replaced: mirror restarted", self.label)
                self._restart_mirror()
            out = self._out
            if out is None:  # stopped meanwhile
                return chunk.size
            if chunk.data:
                out.write(chunk.data)
                out.flush()
                if len(self.head) < HEAD_BYTES:
                    self.head = (self.head + chunk.data)[:HEAD_BYTES]
            self.offset = chunk.next_offset
        return chunk.size

    def head_changed(self) -> bool:
        """True when the remote file's first bytes are no longer the mirrored ones (replaced by
        a file at least as long: no truncation to notice)."""
        if not self.head:
            return False
        chunk = self.host.read_from(self.remote_path, 0, len(self.head))
        return not chunk.truncated and chunk.data != self.head

    # -- following (a thread) --------------------------------------------------------------
    def start_following(self) -> None:
        self._thread = threading.Thread(target=self._follow, name=f"logs-remote {self.label}",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop following (the remote ``tail`` is hung up) and close the mirror file. Never
        waits on the network: the follow thread closes the file when it notices."""
        self._stop.cancel()
        if not self.following:
            self._close_file()

    def _close_file(self) -> None:
        with self._lock:
            if self._out is not None:
                self._out.close()
                self._out = None

    @property
    def following(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _follow(self) -> None:
        try:
            with self.host.stream(["tail", "-n", "0", "-F", self.remote_path],
                                  ctx=self._stop) as wakeups:
                while not self._stop.cancelled:
                    woke = wakeups.next_line(timeout=IDLE_CHECK_S) is not None
                    while woke and wakeups.next_line(0) is not None:
                        pass  # a burst of lines is one wake-up
                    if not woke and wakeups.exit_status is not None:
                        self._stop.wait(IDLE_CHECK_S)  # tail ended (no -F there): poll
                    self._catch_up_quietly()
        except JobCancelled:
            pass
        except RemoteError as exc:  # the connection is gone for good (after the backoff)
            log.warning("stopped following %s: %s", self.label, exc)
        finally:
            self._close_file()

    def _catch_up_quietly(self) -> None:
        """Bring the mirror up to date; a vanished file (rotation in progress) is waited out."""
        try:
            if self.head_changed():
                with self._lock:
                    self._restart_mirror()
            while not self._stop.cancelled and self.offset < self.sync_once():
                pass
        except RemoteError as exc:
            log.debug("%s: %s (waiting for it to come back)", self.label, exc)

    # -- the mirror file -------------------------------------------------------------------
    def _fresh_file(self) -> IO[bytes]:
        self.local_path.parent.mkdir(parents=True, exist_ok=True)
        if self._out is not None:
            self._out.close()
        staging = self.local_path.with_name(self.local_path.name + ".new")
        out = staging.open("wb")
        os.replace(staging, self.local_path)  # a new inode: the viewer marks a rotation
        return out

    def _restart_mirror(self) -> None:
        """The remote file was truncated or replaced: a new mirror from its start."""
        self.replaced += 1
        self._out = self._fresh_file()
        self.offset, self.head = 0, b""

