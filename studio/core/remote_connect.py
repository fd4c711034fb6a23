"""Opening one SSH connection: options, host-key verification and the messages that explain it.

Used by :class:`~studio.core.remote_host.RemoteHost`. Host keys are checked against known_hosts
and never accepted on their own; when a key is unknown or changed, the error names the host,
the known_hosts file, the command that trusts the key after checking it, and the fingerprint
the server presents (read for the message only, never trusted).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.core.remote import HostKeyError, RemoteError

if TYPE_CHECKING:
    from studio.core.remote_host import RemoteHost

__all__ = ["LoginRefused", "host_key_message", "open_connection", "unknown_host_message"]


class LoginRefused(RemoteError):
    """The host refused our key (or it is missing): retrying will not help."""


async def open_connection(host: RemoteHost) -> Any:
    """Connect to ``host.config`` (on the loop thread); errors say what to fix."""
    import asyncssh

    config = host.config
    if not host.known_hosts.is_file():
        raise HostKeyError(unknown_host_message(host, "there is no known_hosts file"))
    options: dict[str, Any] = {
        "port": config.port, "username": config.username,
        "known_hosts": str(host.known_hosts), "config": [],  # no ~/.ssh/config surprises
        "connect_timeout": host.timeout, "keepalive_interval": host.keepalive_s,
        "keepalive_count_max": 3,
    }
    if config.ssh_key:
        key = Path(config.ssh_key).expanduser()
        if not key.is_file():
            raise LoginRefused(f"ssh key {key} of host {config.name!r} does not exist")
        options.update(client_keys=[str(key)], agent_path=None)

    class Client(asyncssh.SSHClient):
        """Tells the host at once when the connection drops (transport closed, keepalives
        unanswered), so the next use reconnects instead of failing on a dead socket."""

        def connection_made(self, conn: Any) -> None:
            self.conn = conn

        def connection_lost(self, exc: Exception | None) -> None:
            host.mark_lost(self.conn, exc)

    try:
        conn, _ = await asyncssh.create_connection(Client, config.hostname, **options)
        return conn
    except asyncssh.HostKeyNotVerifiable as exc:
        offered = await _offered_fingerprint(host)
        raise HostKeyError(host_key_message(host, str(exc), offered)) from None
    except asyncssh.PermissionDenied as exc:
        raise LoginRefused(f"{config.username}@{config.hostname}:{config.port} refused the "
                           f"login ({exc.reason}); check ssh_key of [hosts.{config.name}]"
                           ) from None
    except (OSError, asyncssh.Error, TimeoutError) as exc:
        raise RemoteError(f"cannot connect to {config.hostname}:{config.port} "
                          f"(host {config.name!r}): {exc}") from None


def _trusted_keys_exist(host: RemoteHost) -> bool:
    try:
        import asyncssh

        known = asyncssh.read_known_hosts(str(host.known_hosts))
        keys = known.match(host.config.hostname, "", host.config.port)[0]
        if not keys:
            keys = known.match(host.config.hostname, host.config.hostname,
                               host.config.port)[0]
        return bool(keys)
    except Exception:
        return False


async def _offered_fingerprint(host: RemoteHost) -> str | None:
    """The SHA256 fingerprint of the key the server presents (read, never trusted), so
    the user can compare it with the one the server's admin sees."""
    import asyncssh

    try:
        key = await asyncio.wait_for(asyncssh.get_server_host_key(
            host.config.hostname, host.config.port, config=[]), host.timeout)
    except (OSError, asyncssh.Error, TimeoutError):
        return None
    return key.get_fingerprint("sha256") if key is not None else None


def host_key_message(host: RemoteHost, detail: str, offered: str | None = None) -> str:
    c = host.config
    shown = (f" The server presents the key {offered} (compare it with `ssh-keygen -lf "
             "/etc/ssh/ssh_host_ed25519_key.pub` on the server).") if offered else ""
    if _trusted_keys_exist(host):
        return (f"host key of {c.hostname}:{c.port} (host {c.name!r}) does NOT match the "
                f"one in {host.known_hosts}: the key changed or someone is intercepting the "
                "connection. If the server was reinstalled, remove the old entry with "
                f"`ssh-keygen -R {_known_hosts_name(host)} -f {host.known_hosts}` and add "
                f"the new one after checking its fingerprint.{shown}")
    return unknown_host_message(host, detail) + shown


def unknown_host_message(host: RemoteHost, detail: str) -> str:
    c = host.config
    return (f"host {c.hostname}:{c.port} (host {c.name!r}) is not in {host.known_hosts} "
            f"({detail}); the studio never trusts a host key on its own. Check the "
            f"fingerprint, then add it: `ssh-keyscan -p {c.port} {c.hostname} >> "
            f"{host.known_hosts}` (or connect once with `ssh -p {c.port} "
            f"{c.username}@{c.hostname}`).")


def _known_hosts_name(host: RemoteHost) -> str:
    c = host.config
    return c.hostname if c.port == 22 else f"[{c.hostname}]:{c.port}"
