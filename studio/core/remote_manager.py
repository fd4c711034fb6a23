"""The studio's SSH hosts and their shared connections (``studio.services.remote``).

Hosts come from two hafs files (hafs-formats §0), read when asked and again after they change:

* ``~/.config/hafs/sync.toml`` ``[hosts.<name>]`` (:func:`studio.core.remote.load_sync_config`),
  the full SSH settings: hostname, username, platform, ssh_key (+ port, known_hosts);
* ``~/.config/hafs/nodes.toml`` (fallback ``~/.hafs/nodes.toml``) ``[[nodes]]``: compute nodes
  (name, host, platform). hafs reaches them over HTTP, so SSH details are studio extensions:
  ``ssh_user`` (default: ``Administrator`` on Windows nodes, as sync.toml, else the local user),
  ``ssh_port`` (22), ``ssh_key``, ``known_hosts``. Gateway (halext) nodes have no SSH and are
  skipped; a sync.toml host of the same name wins.

Threading: the manager owns one event loop thread (:mod:`studio.core.remote_loop`), started on
the first connection, and every host's single connection lives on it. Any thread may call a
host's methods; they block that thread until the loop has the answer. Streams deliver lines to
a queue the consumer thread reads. :meth:`RemoteManager.shutdown` closes everything.
"""

from __future__ import annotations

import getpass
import os
import threading
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.core.events import EventBus
from studio.core.remote import HostConfig, RemoteError, load_sync_config, sync_config_path
from studio.core.remote_state import Backoff, ConnectionState

if TYPE_CHECKING:
    from studio.core.remote_host import RemoteHost
    from studio.core.remote_loop import EventLoopThread

__all__ = ["RemoteManager", "load_nodes", "nodes_config_path"]

_PLATFORMS = ("windows", "linux", "mac")


def nodes_config_path(environ: dict[str, str] | None = None) -> Path:
    """``HAFS_NODES_CONFIG`` (studio extension), else hafs's ``~/.config/hafs/nodes.toml``,
    else its fallback ``~/.hafs/nodes.toml``."""
    env = os.environ if environ is None else environ
    if env.get("HAFS_NODES_CONFIG"):
        return Path(env["HAFS_NODES_CONFIG"]).expanduser()
    home = Path(env.get("HOME", str(Path.home())))
    primary = home / ".config" / "hafs" / "nodes.toml"
    fallback = home / ".hafs" / "nodes.toml"
    return fallback if not primary.exists() and fallback.exists() else primary


def load_nodes(path: Path) -> dict[str, HostConfig]:
    """SSH host settings of the nodes in ``nodes.toml``; a missing file has none."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RemoteError(f"{path}: cannot read nodes config: {exc}") from exc
    hosts: dict[str, HostConfig] = {}
    for index, node in enumerate(raw.get("nodes") or []):
        if not isinstance(node, dict):
            raise RemoteError(f"{path}: nodes[{index}] is not a table")
        name, hostname = node.get("name"), node.get("host")
        if not name or not hostname or node.get("gateway_url") \
                or node.get("node_type", node.get("type")) == "halext":
            continue
        platform = str(node.get("platform") or "").lower()
        platform = platform if platform in _PLATFORMS else "linux"
        default_user = "Administrator" if platform == "windows" else getpass.getuser()
        try:
            port = int(node.get("ssh_port") or 22)
        except (TypeError, ValueError):
            raise RemoteError(f"{path}: nodes[{index}] ({name}): ssh_port must be a number"
                              ) from None
        hosts[str(name)] = HostConfig(
            name=str(name), hostname=str(hostname),
            username=str(node.get("ssh_user") or default_user), platform=platform,
            ssh_key=node.get("ssh_key") or None, port=port,
            known_hosts=node.get("known_hosts") or None)
    return hosts


class RemoteManager:
    """Configured hosts and one shared :class:`RemoteHost` per host, for one studio."""

    def __init__(self, bus: EventBus | None = None, *, environ: dict[str, str] | None = None,
                 sync_path: Path | None = None, nodes_path: Path | None = None,
                 backoff: Backoff | None = None, keepalive_s: float | None = None) -> None:
        env = dict(os.environ if environ is None else environ)
        self.sync_path = sync_path or sync_config_path(env)
        self.nodes_path = nodes_path or nodes_config_path(env)
        self.bus = bus
        self.backoff = backoff or Backoff()
        self.keepalive_s = keepalive_s
        self.problems: list[str] = []
        self._env_home = env.get("HOME")
        self._loop: EventLoopThread | None = None  # made with the first host (imports asyncio)
        self._lock = threading.Lock()
        self._hosts: dict[str, RemoteHost] = {}
        self._configs: dict[str, HostConfig] = {}
        self._stamp: tuple[Any, ...] | None = None
        self._closed = False

    # -- configuration -----------------------------------------------------------------------
    def hosts(self) -> dict[str, HostConfig]:
        """Every configured host by name (sync.toml first); re-read after the files change.

        Unreadable files do not hide the other one's hosts: their errors are in
        :attr:`problems` and in the message of :meth:`host` for an unknown name.
        """
        stamp = (_mtime(self.sync_path), _mtime(self.nodes_path))
        with self._lock:
            if stamp == self._stamp:
                return dict(self._configs)
        problems: list[str] = []
        configs: dict[str, HostConfig] = {}
        try:
            configs.update(load_nodes(self.nodes_path))
        except RemoteError as exc:
            problems.append(str(exc))
        try:
            configs.update(load_sync_config(self.sync_path).hosts)
        except RemoteError as exc:
            problems.append(str(exc))
        configs = {name: self._with_home(config) for name, config in configs.items()}
        with self._lock:
            self._configs, self._stamp, self.problems = configs, stamp, problems
            return dict(configs)

    def host(self, name: str) -> RemoteHost:
        """The shared connection to host ``name`` (connected on first use). Callers never
        close it; :class:`RemoteError` names the files when the host is not configured."""
        config = self.hosts().get(name)
        if config is None:
            known = ", ".join(sorted(self._configs)) or "none"
            problems = "".join(f"; {p}" for p in self.problems)
            raise RemoteError(f"host {name!r} is not configured (known: {known}): add "
                              f"[hosts.{name}] (hostname, username, platform, ssh_key) to "
                              f"{self.sync_path}{problems}")
        return self.host_for(config)

    def host_for(self, config: HostConfig, known_hosts: str | os.PathLike[str] | None = None
                 ) -> RemoteHost:
        """The shared connection for an explicit host config (one per distinct config)."""
        if known_hosts is not None:
            config = replace(config, known_hosts=str(known_hosts))
        with self._lock:
            if self._closed:
                raise RemoteError("the studio is shutting down; no new connections")
            current = self._hosts.get(config.name)
            if current is not None and current.config == config and not current._closed:
                return current
            from studio.core.remote_host import RemoteHost
            from studio.core.remote_loop import EventLoopThread

            if self._loop is None:
                self._loop = EventLoopThread("studio-remote")
            host = RemoteHost(config, loop=self._loop, bus=self.bus, backoff=self.backoff,
                              **({"keepalive_s": self.keepalive_s} if self.keepalive_s else {}))
            self._hosts[config.name] = host
        if current is not None:  # the config was edited: the old connection goes
            current.close()
        return host

    def connections(self) -> dict[str, ConnectionState]:
        """The state of every host used so far."""
        with self._lock:
            return {name: host.state for name, host in self._hosts.items()}

    def shutdown(self) -> None:
        """Close every connection, stream and forward, and stop the loop thread."""
        with self._lock:
            self._closed = True
            hosts, self._hosts = list(self._hosts.values()), {}
        for host in hosts:
            host.close()
        if self._loop is not None:
            self._loop.stop()

    def _with_home(self, config: HostConfig) -> HostConfig:
        # known_hosts defaults to the studio's HOME (tests and portable setups relocate it).
        if config.known_hosts or not self._env_home:
            return config
        return replace(config, known_hosts=str(Path(self._env_home) / ".ssh" / "known_hosts"))


def _mtime(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)
