"""File operations of :class:`~studio.core.remote_host.RemoteHost` over its shared SFTP session.

Transfers are resumable in both directions and checked with sha256 at the end:

* **download**: appends to the local file from its current size (a previous attempt's bytes);
  a local file longer than the remote one is not a prefix and starts again.
* **upload**: writes ``<remote>.partial`` from its current size, checks the whole partial file's
  sha256 on the host, then renames it onto the target (never replacing an existing file unless
  asked), so a reader on the host never sees half a file under the real name.

A connection dropped mid-transfer is reopened by the host and the transfer continues where it
stopped (the coroutine is run again and resumes from the sizes on disk).
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, NamedTuple

from studio.core.jobs import NULL_CONTEXT, JobCancelled, JobContext
from studio.core.remote import (
    HostConfig,
    RemoteEntry,
    RemoteError,
    RemoteFileInfo,
    sftp_path,
)
from studio.core.units import format_rate

if TYPE_CHECKING:
    from studio.core.remote_host import RemoteHost

__all__ = ["CHUNK", "RemoteRead", "sha256_file"]

CHUNK = 1 << 20  # SFTP request size: big enough for throughput, small enough for prompt cancel
HASH_CHUNK = 4 << 20


class RemoteRead(NamedTuple):
    """What :meth:`RemoteHost.read_from` returns: the bytes, where the next read starts, the
    file's size now, and whether it shrank below the requested offset (reading restarted at 0)."""

    data: bytes
    next_offset: int
    size: int
    truncated: bool


class _Progress:
    """One file's transfer progress: to ``on_bytes`` (the caller aggregates several files),
    else to the job as "name: done / size bytes, rate" with the speed over a sliding window."""

    def __init__(self, ctx: JobContext, name: str, size: int,
                 on_bytes: Callable[[int], None] | None) -> None:
        self.ctx, self.name, self.size, self.on_bytes = ctx, name, size, on_bytes
        self.samples: list[tuple[float, int]] = []

    def moved(self, count: int, offset: int) -> None:
        if self.on_bytes is not None:
            self.on_bytes(count)
            return
        size = self.size
        self.ctx.report(offset / size if size else 1.0,
                        f"{self.name}: {offset:,} / {size:,} bytes, "
                        f"{format_rate(self._rate(offset))}")

    def _rate(self, done: int) -> float:
        now = time.monotonic()
        self.samples.append((now, done))
        while len(self.samples) > 2 and now - self.samples[0][0] > 3.0:
            self.samples.pop(0)
        (t0, d0), (t1, d1) = self.samples[0], self.samples[-1]
        return (d1 - d0) / (t1 - t0) if t1 > t0 else 0.0


def sha256_file(path: Path, ctx: JobContext = NULL_CONTEXT,
                share: tuple[float, float] | None = None) -> str:
    """The sha256 of a local file, cancellable between chunks.

    With ``share=(start, end)`` the hashing reports its progress as that part of the job's
    fraction (``"Checksumming <name>"``): hashing a multi-GB model is a visible step."""
    digest, done = hashlib.sha256(), 0
    size = max(path.stat().st_size, 1) if share is not None else 1
    with open(path, "rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            ctx.raise_if_cancelled()
            digest.update(chunk)
            if share is not None:
                done += len(chunk)
                ctx.report(share[0] + (share[1] - share[0]) * done / size,
                           f"Checksumming {path.name}")
    return digest.hexdigest()


async def list_files(sftp: Any, config: HostConfig, path: str) -> list[RemoteEntry]:
    import asyncssh

    root = sftp_path(path)
    try:
        attrs = await sftp.stat(root)
    except asyncssh.SFTPError as exc:
        raise RemoteError(f"{config.name}:{path}: {exc.reason}") from None
    if attrs.type != asyncssh.FILEXFER_TYPE_DIRECTORY:
        return [RemoteEntry(root, PurePosixPath(root).name, int(attrs.size or 0))]
    found: list[RemoteEntry] = []
    pending = [""]
    while pending:
        relative = pending.pop()
        folder = f"{root.rstrip('/')}/{relative}" if relative else root
        for entry in await sftp.readdir(folder):
            name = str(entry.filename)
            if name in (".", ".."):
                continue
            child = f"{relative}/{name}" if relative else name
            kind = entry.attrs.type
            if kind == asyncssh.FILEXFER_TYPE_DIRECTORY:
                pending.append(child)
            elif kind == asyncssh.FILEXFER_TYPE_REGULAR:
                found.append(RemoteEntry(f"{root.rstrip('/')}/{child}", child,
                                         int(entry.attrs.size or 0)))
    return sorted(found, key=lambda e: e.relative)


async def sha256_by_reading(sftp: Any, path: str, ctx: JobContext) -> str:
    digest = hashlib.sha256()
    async with sftp.open(sftp_path(path), "rb") as handle:
        offset = 0
        while chunk := await handle.read(CHUNK, offset):
            ctx.raise_if_cancelled()
            digest.update(chunk)
            offset += len(chunk)
    return digest.hexdigest()


async def read_from(sftp: Any, path: str, offset: int, max_bytes: int) -> RemoteRead:
    import asyncssh

    remote = sftp_path(path)
    try:
        size = int((await sftp.stat(remote)).size or 0)
    except asyncssh.SFTPError as exc:
        raise RemoteError(f"{path}: {exc.reason}") from None
    truncated = size < offset
    start = 0 if truncated else max(0, offset)
    if start >= size:
        return RemoteRead(b"", start, size, truncated)
    async with sftp.open(remote, "rb") as handle:
        data = await handle.read(min(max_bytes, size - start), start)
    return RemoteRead(bytes(data), start + len(data), size, truncated)


def _info(name: str, path: str, attrs: Any) -> RemoteFileInfo:
    import asyncssh

    return RemoteFileInfo(name, path, attrs.type == asyncssh.FILEXFER_TYPE_DIRECTORY,
                          int(attrs.size or 0), float(attrs.mtime or 0))


async def list_dir(sftp: Any, path: str) -> list[RemoteFileInfo]:
    """The entries of one remote folder (not recursive), sorted by name; [] when it is
    missing (a run folder not created yet is no error)."""
    import asyncssh

    folder = sftp_path(path).rstrip("/") or "/"
    try:
        entries = await sftp.readdir(folder)
    except asyncssh.SFTPNoSuchFile:
        # OpenSSH answers "no such file" for a file too: only a missing folder is no error.
        if await sftp.exists(folder):
            raise RemoteError(f"{path}: not a folder") from None
        return []
    except asyncssh.SFTPError as exc:
        raise RemoteError(f"{path}: {exc.reason}") from None
    found = [_info(str(e.filename), f"{path.rstrip('/')}/{e.filename}", e.attrs)
             for e in entries if str(e.filename) not in (".", "..")]
    return sorted(found, key=lambda info: info.name)


async def stat(sftp: Any, path: str) -> RemoteFileInfo | None:
    """One remote file's size and mtime, or None when it does not exist."""
    import asyncssh

    try:
        attrs = await sftp.stat(sftp_path(path))
    except asyncssh.SFTPNoSuchFile:
        return None
    except asyncssh.SFTPError as exc:
        raise RemoteError(f"{path}: {exc.reason}") from None
    return _info(PurePosixPath(path.replace("\\", "/")).name, path, attrs)


def remote_sha256(host: RemoteHost, path: str, ctx: JobContext) -> str:
    return host.sha256(path) or host.sha256_by_reading(path, ctx)


# -- download ---------------------------------------------------------------------------------
def download(host: RemoteHost, remote: str, local: Path, *, size: int | None,
             ctx: JobContext, on_bytes: Callable[[int], None] | None, verify: bool) -> int:
    local.parent.mkdir(parents=True, exist_ok=True)
    resumed = local.exists() and local.stat().st_size > 0
    moved = host.call(host.with_sftp(
        lambda sftp: _download(sftp, remote, local, size, ctx=ctx, on_bytes=on_bytes)))
    if not verify:
        return moved
    expected = remote_sha256(host, remote, ctx)
    if sha256_file(local, ctx) == expected:
        return moved
    if resumed:  # the kept bytes were not a prefix of this file: fetch it whole once more
        local.unlink()
        moved += host.call(host.with_sftp(
            lambda sftp: _download(sftp, remote, local, size, ctx=ctx, on_bytes=on_bytes)))
        if sha256_file(local, ctx) == expected:
            return moved
    raise RemoteError(f"{host.name}:{remote} → {local}: the copy's sha256 differs from the "
                      "host's; the copy is kept for inspection")


async def _download(sftp: Any, remote: str, local: Path, size: int | None, *,
                    ctx: JobContext, on_bytes: Callable[[int], None] | None) -> int:
    remote_path = sftp_path(remote)
    if size is None:
        size = int((await sftp.stat(remote_path)).size or 0)
    have = local.stat().st_size if local.exists() else 0
    if have > size:  # not a prefix of this file: start again
        local.unlink()
        have = 0
    progress = _Progress(ctx, local.name, size, on_bytes)
    moved = 0
    async with sftp.open(remote_path, "rb") as handle:
        with open(local, "ab") as out:
            offset = have
            while offset < size:
                if ctx.cancelled:
                    raise JobCancelled()
                chunk = await handle.read(min(CHUNK, size - offset), offset)
                if not chunk:
                    break
                out.write(chunk)
                offset += len(chunk)
                moved += len(chunk)
                progress.moved(len(chunk), offset)
    return moved


# -- upload -----------------------------------------------------------------------------------
def upload(host: RemoteHost, local: Path, remote: str, *, ctx: JobContext, overwrite: bool,
           on_bytes: Callable[[int], None] | None) -> int:
    size = local.stat().st_size
    partial = remote + ".partial"
    if not overwrite and host.exists(remote):
        raise RemoteError(f"{host.name}:{remote} exists already; allow overwriting to replace it")
    resumed = host.call(host.with_sftp(lambda sftp: _remote_size(sftp, partial))) > 0
    sent = host.call(host.with_sftp(
        lambda sftp: _upload(sftp, local, partial, size, ctx=ctx, on_bytes=on_bytes)))
    expected = sha256_file(local, ctx)
    if remote_sha256(host, partial, ctx) != expected:
        host.call(host.with_sftp(lambda sftp: _remove(sftp, partial)))
        if not resumed:
            raise RemoteError(f"{local} → {host.name}:{remote}: the uploaded copy's sha256 "
                              "differs from the local file's; the partial upload was removed")
        # The partial left by an earlier attempt was not a prefix of this file: send it whole.
        sent += host.call(host.with_sftp(
            lambda sftp: _upload(sftp, local, partial, size, ctx=ctx, on_bytes=on_bytes)))
        if remote_sha256(host, partial, ctx) != expected:
            host.call(host.with_sftp(lambda sftp: _remove(sftp, partial)))
            raise RemoteError(f"{local} → {host.name}:{remote}: sha256 mismatch after a full "
                              "upload; the partial upload was removed")
    ctx.raise_if_cancelled()
    host.call(host.with_sftp(lambda sftp: _publish(sftp, partial, remote, overwrite, host.name)))
    return sent


async def _remote_size(sftp: Any, path: str) -> int:
    import asyncssh

    try:
        return int((await sftp.stat(sftp_path(path))).size or 0)
    except asyncssh.SFTPNoSuchFile:
        return 0


async def _remove(sftp: Any, path: str) -> None:
    import asyncssh

    with contextlib.suppress(asyncssh.SFTPNoSuchFile):
        await sftp.remove(sftp_path(path))


async def _upload(sftp: Any, local: Path, partial: str, size: int, *, ctx: JobContext,
                  on_bytes: Callable[[int], None] | None) -> int:
    remote_path = sftp_path(partial)
    have = await _remote_size(sftp, partial)
    if have > size:
        await _remove(sftp, partial)
        have = 0
    progress = _Progress(ctx, local.name, size, on_bytes)
    sent = 0
    mode = "r+b" if have else "wb"
    async with sftp.open(remote_path, mode) as handle:
        with open(local, "rb") as source:
            source.seek(have)
            offset = have
            while chunk := source.read(CHUNK):
                if ctx.cancelled:
                    raise JobCancelled()
                await handle.write(chunk, offset)
                offset += len(chunk)
                sent += len(chunk)
                progress.moved(len(chunk), offset)
    return sent


async def _publish(sftp: Any, partial: str, remote: str, overwrite: bool, host: str) -> None:
    import asyncssh

    source, target = sftp_path(partial), sftp_path(remote)
    if overwrite:
        try:
            await sftp.posix_rename(source, target)  # atomic replace (OpenSSH extension)
            return
        except asyncssh.SFTPOpUnsupported:
            await _remove(sftp, remote)
    try:
        await sftp.rename(source, target)  # plain SFTP rename refuses an existing target
    except asyncssh.SFTPError as exc:
        raise RemoteError(f"{host}:{remote}: cannot move the upload into place ({exc.reason}); "
                          f"it is kept as {partial}") from None
