"""SSH/SFTP to the hafs machines named in ``~/.config/hafs/sync.toml`` (Qt-free, synchronous).

Pulling models, following remote training runs and deploying to GPU nodes all talk to the same
hosts, so this module owns the one way the studio connects:

* Host settings come from sync.toml ``[hosts.<name>]`` (hostname, username (default
  ``Administrator``), platform (default ``windows``), ssh_key; the studio also reads an optional
  ``port`` and ``known_hosts``), mounts from ``[mounts.<name>]`` (hafs-formats §0).
* Host keys are checked against known_hosts and **never** accepted automatically: an unknown
  host or a changed key is a :class:`HostKeyError` naming the host and how to trust it.
* Windows paths (``D:/hafs_training/x``) are translated for SFTP (``/D:/hafs_training/x``) and
  hashed remotely with PowerShell's ``Get-FileHash``; POSIX hosts use ``sha256sum``.

This module holds the configuration and the shared vocabulary; the connections are elsewhere:
:mod:`studio.core.remote_manager` (``studio.services.remote``: hosts, one shared connection per
host), :mod:`studio.core.remote_host` (a host's connection, commands, reconnects),
:mod:`studio.core.remote_transfer` (downloads, uploads, incremental reads) and
:mod:`studio.core.remote_stream` (long-lived output streams, port forwards).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.core.sync_mounts import remote_path_below

__all__ = [
    "HostConfig",
    "HostKeyError",
    "MountConfig",
    "RemoteEntry",
    "RemoteError",
    "RemoteFileInfo",
    "SyncConfig",
    "load_sync_config",
    "sftp_path",
    "sync_config_path",
]

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


@dataclass(frozen=True)
class RemoteFileInfo:
    """One entry of a remote folder (``RemoteHost.list_dir``) or one ``RemoteHost.stat``:
    ``mtime`` in unix seconds, by the host's clock."""

    name: str
    path: str
    is_dir: bool
    size: int
    mtime: float


