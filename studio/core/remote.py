"""SSH/SFTP to the hafs machines named in ``~/.config/hafs/sync.toml`` (Qt-free, synchronous).

Pulling models, following remote training runs and deploying to GPU nodes all talk to the same
hosts, so this module owns the one way the studio connects:

* Host settings come from sync.toml ``[hosts.<name>]`` (hostname, username (default
  ``Administrator``), platform (default ``windows``), ssh_key; the studio also reads an optional
  ``port`` and ``known_hosts``), mounts from ``[mounts.<name>]`` (hafs-formats §0).
* Host keys are checked against known_hosts and **never** accepted automatically: an unknown
  host or a changed key is a :class:`HostKeyError` naming the host and how to trust it.
* :meth:`RemoteHost.download` resumes a partial local file, reports progress and speed through
  a :class:`~studio.core.jobs.JobContext` and stops promptly when the job is cancelled.
* Windows paths (``D:/hafs_training/x``) are translated for SFTP (``/D:/hafs_training/x``) and
  hashed remotely with PowerShell's ``Get-FileHash``; POSIX hosts use ``sha256sum``.

asyncssh is asynchronous; each public call here runs its own short event loop on the calling
thread (a job's worker thread), so callers stay plain synchronous code.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import shlex
import time
import tomllib
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from studio.core.jobs import NULL_CONTEXT, JobCancelled, JobContext
from studio.core.sync_mounts import remote_path_below

__all__ = [
    "HostConfig",
    "HostKeyError",
    "MountConfig",
    "RemoteEntry",
    "RemoteError",
    "RemoteHost",
    "SyncConfig",
    "load_sync_config",
    "sftp_path",
    "sync_config_path",
]

T = TypeVar("T")
CHUNK = 1 << 20  # SFTP read size: big enough for throughput, small enough for prompt cancel
CONNECT_TIMEOUT_S = 20.0
_DRIVE = re.compile(r"^[A-Za-z]:[/\\]")


class RemoteError(Exception):
    """Connecting, running a command or transferring a file failed; the message says why."""


class HostKeyError(RemoteError):
    """The server's host key is unknown or differs from known_hosts (never auto-accepted)."""


@dataclass(frozen=True)
class HostConfig:
    """One ``[hosts.<name>]`` table of sync.toml."""

    name: str
    hostname: str
    username: str = "Administrator"
    platform: str = "windows"  # windows, linux, mac
    ssh_key: str | None = None
    port: int = 22
    known_hosts: str | None = None  # default ~/.ssh/known_hosts
    location: str | None = None  # studio extension: the hafs location key this host serves

    @property
    def is_windows(self) -> bool:
        return self.platform.lower() == "windows"


@dataclass(frozen=True)
class MountConfig:
    """One ``[mounts.<name>]`` table: ``remote_path`` is reachable locally at ``local_path``."""

    name: str
    local_path: str
    remote_path: str
    description: str = ""

    def map(self, remote: str) -> Path | None:
        """The local path of ``remote`` through this mount, else None.

        hafs's prefix rule plus a path-boundary check and Windows spellings (``D:\\x``,
        ``d:/x``); see :mod:`studio.core.sync_mounts`.
        """
        rest = remote_path_below(self.remote_path, remote)
        if rest is None:
            return None
        local = Path(self.local_path).expanduser()
        return local / rest if rest else local

    @property
    def accessible(self) -> bool:
        """hafs uses a mount only while its local folder exists (e.g. the share is mounted)."""
        return Path(self.local_path).expanduser().is_dir()


@dataclass
class SyncConfig:
    """The parts of sync.toml the studio uses."""

    path: Path | None = None
    hosts: dict[str, HostConfig] = field(default_factory=dict)
    mounts: dict[str, MountConfig] = field(default_factory=dict)
    deployment: dict[str, Any] = field(default_factory=dict)
    preferences: dict[str, Any] = field(default_factory=dict)

    def host(self, name: str) -> HostConfig:
        try:
            return self.hosts[name]
        except KeyError:
            where = self.path or "sync.toml"
            raise RemoteError(f"host {name!r} is not configured: add a [hosts.{name}] table "
                              f"(hostname, username, platform, ssh_key) to {where}") from None

    def map_to_local(self, remote: str) -> Path | None:
        """``remote`` through the first accessible mount, in file order, that holds it."""
        for mount in self.mounts.values():
            local = mount.map(remote) if mount.accessible else None
            if local is not None:
                return local
        return None


def sync_config_path(environ: dict[str, str] | None = None) -> Path:
    """``HAFS_SYNC_CONFIG`` (studio extension, for tests and odd setups), else hafs' path."""
    env = os.environ if environ is None else environ
    if env.get("HAFS_SYNC_CONFIG"):
        return Path(env["HAFS_SYNC_CONFIG"]).expanduser()
    return Path(env.get("HOME", str(Path.home()))) / ".config" / "hafs" / "sync.toml"


def load_sync_config(path: str | os.PathLike[str] | None = None) -> SyncConfig:
    """Read sync.toml; a missing file is an empty config, a malformed one a RemoteError."""
    file = Path(path) if path is not None else sync_config_path()
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return SyncConfig(path=file)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RemoteError(f"{file}: cannot read sync config: {exc}") from exc
    config = SyncConfig(path=file, deployment=dict(raw.get("deployment") or {}),
                        preferences=dict(raw.get("preferences") or {}))
    for name, table in (raw.get("hosts") or {}).items():
        if not isinstance(table, dict) or not table.get("hostname"):
            continue
        config.hosts[name] = HostConfig(
            name=name, hostname=str(table["hostname"]),
            username=str(table.get("username") or "Administrator"),
            platform=str(table.get("platform") or "windows"),
            ssh_key=table.get("ssh_key") or None, port=int(table.get("port") or 22),
            known_hosts=table.get("known_hosts") or None, location=table.get("location"))
    for name, table in (raw.get("mounts") or {}).items():
        if isinstance(table, dict) and table.get("local_path") and table.get("remote_path"):
            config.mounts[name] = MountConfig(name, str(table["local_path"]),
                                              str(table["remote_path"]),
                                              str(table.get("description") or ""))
    return config


def sftp_path(path: str) -> str:
    """A path as OpenSSH's SFTP server expects it: ``D:\\x`` or ``D:/x`` → ``/D:/x``."""
    if _DRIVE.match(path):
        return "/" + path.replace("\\", "/")
    return path


def _windows_path(path: str) -> str:
    """``/D:/x`` or ``D:/x`` → ``D:/x`` for PowerShell."""
    path = path.replace("\\", "/")
    return path[1:] if re.match(r"^/[A-Za-z]:/", path) else path


@dataclass(frozen=True)
class RemoteEntry:
    """A regular file below a remote folder: ``relative`` uses ``/`` separators."""

    path: str
    relative: str
    size: int


class _Speed:
    """Bytes per second over a sliding window, for the progress message."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, int]] = []

    def add(self, done: int) -> float:
        now = time.monotonic()
        self.samples.append((now, done))
        while len(self.samples) > 2 and now - self.samples[0][0] > 3.0:
            self.samples.pop(0)
        (t0, d0), (t1, d1) = self.samples[0], self.samples[-1]
        return (d1 - d0) / (t1 - t0) if t1 > t0 else 0.0


def format_rate(bytes_per_s: float) -> str:
    for unit in ("B/s", "KB/s", "MB/s", "GB/s"):
        if bytes_per_s < 1000 or unit == "GB/s":
            return f"{bytes_per_s:.0f} {unit}" if unit == "B/s" else f"{bytes_per_s:.1f} {unit}"
        bytes_per_s /= 1000
    return ""


class RemoteHost:
    """A connection to one configured host. Use as a context manager::

        with RemoteHost(sync.host("medical-mechanica")) as host:
            host.download("D:/hafs_training/models/x/config.json", Path("config.json"))
    """

    def __init__(self, config: HostConfig, *, known_hosts: str | os.PathLike[str] | None = None,
                 timeout: float = CONNECT_TIMEOUT_S) -> None:
        self.config = config
        default = Path.home() / ".ssh" / "known_hosts"
        self.known_hosts = Path(known_hosts or config.known_hosts or default).expanduser()
        self.timeout = timeout
        self._loop: asyncio.AbstractEventLoop | None = None
        self._conn: Any = None
        self._sftp: Any = None

    # -- lifecycle -----------------------------------------------------------------------
    def __enter__(self) -> RemoteHost:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def connect(self) -> None:
        import asyncssh

        config = self.config
        if not self.known_hosts.is_file():
            raise HostKeyError(self._unknown_host_message("there is no known_hosts file"))
        self._loop = asyncio.new_event_loop()
        options: dict[str, Any] = {
            "port": config.port, "username": config.username,
            "known_hosts": str(self.known_hosts), "config": [],  # no ~/.ssh/config surprises
            "connect_timeout": self.timeout,
        }
        if config.ssh_key:
            key = Path(config.ssh_key).expanduser()
            if not key.is_file():
                raise RemoteError(f"ssh key {key} of host {config.name!r} does not exist")
            options.update(client_keys=[str(key)], agent_path=None)
        try:
            self._conn = self._run(asyncssh.connect(config.hostname, **options))
        except asyncssh.HostKeyNotVerifiable as exc:
            self.close()
            raise HostKeyError(self._host_key_message(str(exc))) from None
        except asyncssh.PermissionDenied as exc:
            self.close()
            raise RemoteError(f"{config.username}@{config.hostname}:{config.port} refused the "
                              f"login ({exc.reason}); check ssh_key of [hosts.{config.name}]"
                              ) from None
        except (OSError, asyncssh.Error, TimeoutError) as exc:
            self.close()
            raise RemoteError(f"cannot connect to {config.hostname}:{config.port} "
                              f"(host {config.name!r}): {exc}") from None

    def close(self) -> None:
        if self._loop is None:
            return
        try:
            if self._sftp is not None:
                self._sftp.exit()
            if self._conn is not None:
                self._conn.close()
                self._run(self._conn.wait_closed())
        except Exception:  # closing a broken connection must not hide the original error
            pass
        finally:
            self._loop.close()
            self._loop, self._conn, self._sftp = None, None, None

    # -- operations ----------------------------------------------------------------------
    def run(self, command: str, timeout: float = 60.0) -> tuple[int, str, str]:
        """Run a shell command; return (exit status, stdout, stderr)."""
        result = self._run(self._conn.run(command, check=False, timeout=timeout))
        return int(result.exit_status or 0), str(result.stdout or ""), str(result.stderr or "")

    def exists(self, path: str) -> bool:
        sftp = self._sftp_client()
        return bool(self._run(sftp.exists(sftp_path(path))))

    def list_files(self, path: str) -> list[RemoteEntry]:
        """Every regular file below ``path`` (or ``path`` itself when it is a file)."""
        import asyncssh

        sftp = self._sftp_client()
        root = sftp_path(path)
        try:
            attrs = self._run(sftp.stat(root))
        except asyncssh.SFTPError as exc:
            raise RemoteError(f"{self.config.name}:{path}: {exc.reason}") from None
        if attrs.type != asyncssh.FILEXFER_TYPE_DIRECTORY:
            return [RemoteEntry(root, PurePosixPath(root).name, int(attrs.size or 0))]
        found: list[RemoteEntry] = []
        pending = [""]
        while pending:
            relative = pending.pop()
            folder = f"{root.rstrip('/')}/{relative}" if relative else root
            for entry in self._run(sftp.readdir(folder)):
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
        digest = hashlib.sha256()
        sftp = self._sftp_client()  # outside the coroutine: starting it runs the loop

        async def read() -> None:
            async with sftp.open(sftp_path(path), "rb") as handle:
                while chunk := await handle.read(CHUNK):
                    ctx.raise_if_cancelled()
                    digest.update(chunk)

        self._run(read())
        return digest.hexdigest()

    def download(self, remote: str, local: Path, *, size: int | None = None,
                 ctx: JobContext = NULL_CONTEXT,
                 on_bytes: Callable[[int], None] | None = None) -> int:
        """Copy ``remote`` into ``local``, continuing after the bytes ``local`` already has.

        ``on_bytes(n)`` is called with each chunk's length (for aggregate progress); without
        it the job's progress shows this file alone. Returns the bytes transferred now.
        """
        sftp = self._sftp_client()
        remote_path = sftp_path(remote)
        if size is None:
            size = int(self._run(sftp.stat(remote_path)).size or 0)
        local.parent.mkdir(parents=True, exist_ok=True)
        have = local.stat().st_size if local.exists() else 0
        if have > size:  # not a prefix of this file: start again
            local.unlink()
            have = 0
        speed = _Speed()
        moved = 0

        async def copy() -> None:
            nonlocal moved
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
                        if on_bytes is not None:
                            on_bytes(len(chunk))
                        else:
                            rate = format_rate(speed.add(offset))
                            ctx.report(offset / size if size else 1.0,
                                       f"{local.name}: {offset:,} / {size:,} bytes, {rate}")

        self._run(copy())
        return moved

    # -- internals -----------------------------------------------------------------------
    def _sftp_client(self) -> Any:
        if self._conn is None:
            raise RemoteError("not connected")
        if self._sftp is None:
            self._sftp = self._run(self._conn.start_sftp_client())
        return self._sftp

    def _run(self, awaitable: Awaitable[T]) -> T:
        assert self._loop is not None, "connect() first"
        return self._loop.run_until_complete(awaitable)

    def _trusted_keys_exist(self) -> bool:
        try:
            import asyncssh

            known = asyncssh.read_known_hosts(str(self.known_hosts))
            keys = known.match(self.config.hostname, "", self.config.port)[0]
            if not keys:
                keys = known.match(self.config.hostname, self.config.hostname,
                                   self.config.port)[0]
            return bool(keys)
        except Exception:
            return False

    def _host_key_message(self, detail: str) -> str:
        if self._trusted_keys_exist():
            c = self.config
            return (f"host key of {c.hostname}:{c.port} (host {c.name!r}) does NOT match the "
                    f"one in {self.known_hosts}: the key changed or someone is intercepting the "
                    "connection. If the server was reinstalled, remove the old entry with "
                    f"`ssh-keygen -R {self._known_hosts_name()} -f {self.known_hosts}` and add "
                    "the new one after checking its fingerprint")
        return self._unknown_host_message(detail)

    def _unknown_host_message(self, detail: str) -> str:
        c = self.config
        return (f"host {c.hostname}:{c.port} (host {c.name!r}) is not in {self.known_hosts} "
                f"({detail}); the studio never trusts a host key on its own. Check the "
                f"fingerprint, then add it: `ssh-keyscan -p {c.port} {c.hostname} >> "
                f"{self.known_hosts}` (or connect once with `ssh -p {c.port} "
                f"{c.username}@{c.hostname}`)")

    def _known_hosts_name(self) -> str:
        c = self.config
        return c.hostname if c.port == 22 else f"[{c.hostname}]:{c.port}"


@contextmanager
def connected(config: HostConfig, **kwargs: Any) -> Iterator[RemoteHost]:
    """``with connected(host_config) as host: …`` (a shorthand for RemoteHost)."""
    host = RemoteHost(config, **kwargs)
    host.connect()
    try:
        yield host
    finally:
        host.close()
