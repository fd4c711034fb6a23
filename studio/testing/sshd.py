"""A real OpenSSH server on 127.0.0.1 for tests: own host key, key-only login.

Keys are generated in pure Python (asyncssh); sshd runs in the foreground as the current user
with its config, host key and authorized_keys in a temp folder, so nothing on the machine is
touched. ``scripts/system-deps.sh test`` installs openssh-server in CI; without it the tests
that need the server are skipped with the reason on a developer's machine and fail under
``make test`` (``HAFS_STUDIO_REQUIRE_REAL_PARTS=1``, see studio/testing/real_parts.py). The
fixtures ``sshd_server`` and ``ssh_host`` (:mod:`studio.testing.pytest_plugin`) wrap it;
:meth:`SshServer.drop_connections` and :meth:`SshServer.restart` let a test break connections
the way a network does.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"


@dataclass
class SshServer:
    port: int
    folder: Path
    host_public_key: bytes
    client_key: Path
    process: subprocess.Popen

    @property
    def user(self) -> str:
        return getpass.getuser()

    def known_hosts_line(self, public_key: bytes | None = None) -> str:
        key = (public_key or self.host_public_key).decode().strip()
        return f"[127.0.0.1]:{self.port} {key}\n"

    def sync_toml(self, known_hosts: Path, extra: str = "") -> str:
        return (f'[hosts.medical-mechanica]\nhostname = "127.0.0.1"\nport = {self.port}\n'
                f'username = "{self.user}"\nplatform = "linux"\nssh_key = "{self.client_key}"\n'
                f'known_hosts = "{known_hosts}"\n{extra}')

    def stop(self) -> None:
        """Stop the server and every connection it serves (the host went away)."""
        try:
            self.drop_connections()
        finally:  # the listener must go even if a connection vanished under us
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def connections(self) -> int:
        """How many client connections the server holds (one sshd child per connection)."""
        import psutil

        try:
            return len(psutil.Process(self.process.pid).children())
        except psutil.NoSuchProcess:
            return 0

    def drop_connections(self) -> int:
        """Kill the per-connection sshd processes: every client sees its connection die, the
        server keeps listening. Returns how many connections were dropped.

        The sshd processes go first, then what they ran: a command killed while its sshd still
        lived would be reported to the client as the command's own exit (by signal), which
        reads as "the command ended", not as a dropped network."""
        import psutil

        try:
            children = psutil.Process(self.process.pid).children()
        except psutil.NoSuchProcess:
            return 0
        family = []
        for child in children:
            with contextlib.suppress(psutil.NoSuchProcess):
                family += [child, *child.children(recursive=True)]
        servers = [process for process in family if _is_sshd(process)]
        for process in servers:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        psutil.wait_procs(servers, timeout=5)
        for process in family:
            if process not in servers:
                with contextlib.suppress(psutil.NoSuchProcess):
                    process.kill()
        psutil.wait_procs(family, timeout=5)
        return len(children)

    def restart(self) -> None:
        """Start the server again on the same port with the same keys (after :meth:`stop`)."""
        again = start_sshd(self.folder, port=self.port)
        self.process = again.process


def _is_sshd(process: object) -> bool:
    import psutil

    try:
        return process.name().startswith("sshd")  # type: ignore[attr-defined]
    except psutil.Error:
        return False


@dataclass
class SshHost:
    """A host entry for :class:`SshServer`: its known_hosts, sync.toml and host config."""

    server: SshServer
    name: str
    known_hosts: Path
    sync_path: Path

    @property
    def config(self) -> Any:
        from studio.core.remote import HostConfig

        return HostConfig(self.name, "127.0.0.1", self.server.user, "linux",
                          str(self.server.client_key), self.server.port, str(self.known_hosts))


def configure_host(server: SshServer, folder: Path, name: str = "medical-mechanica") -> SshHost:
    """Trust the server (known_hosts) and describe it in a sync.toml ``[hosts.<name>]``."""
    folder.mkdir(parents=True, exist_ok=True)
    known_hosts = folder / "known_hosts"
    known_hosts.write_text(server.known_hosts_line())
    sync_path = folder / "sync.toml"
    sync_path.write_text(server.sync_toml(known_hosts).replace(
        "[hosts.medical-mechanica]", f"[hosts.{name}]"))
    return SshHost(server, name, known_hosts, sync_path)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_sshd(folder: Path, port: int | None = None) -> SshServer:
    """Start sshd (keys made once per folder) or raise RuntimeError saying why it cannot run."""
    import asyncssh

    if not Path(SSHD).exists():
        raise RuntimeError("OpenSSH server not installed (apt-get install openssh-server, "
                           "or scripts/system-deps.sh test)")
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "host_ed25519").exists():
        for name in ("host_ed25519", "client_ed25519"):
            asyncssh.generate_private_key("ssh-ed25519").write_private_key(str(folder / name))
            os.chmod(folder / name, 0o600)
    host_key = asyncssh.read_private_key(str(folder / "host_ed25519"))
    client_key = asyncssh.read_private_key(str(folder / "client_ed25519"))
    (folder / "authorized_keys").write_bytes(client_key.export_public_key())
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(exist_ok=True)  # privilege separation dir sshd insists on
    last_error = ""
    for _attempt in range(3 if port is None else 50):  # a port can be taken meanwhile
        port_now = port or _free_port()
        (folder / "sshd_config").write_text(
            f"Port {port_now}\nListenAddress 127.0.0.1\nHostKey {folder / 'host_ed25519'}\n"
            f"AuthorizedKeysFile {folder / 'authorized_keys'}\nStrictModes no\nUsePAM no\n"
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
            f"PubkeyAuthentication yes\nPidFile {folder / 'sshd.pid'}\n"
            "Subsystem sftp internal-sftp\nLogLevel ERROR\n")
        process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(folder / "sshd_config")],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if process.poll() is not None:
                last_error = (process.stderr.read() or b"").decode(errors="replace")
                break
            try:
                with socket.create_connection(("127.0.0.1", port_now), timeout=0.2) as probe:
                    if probe.recv(4) == b"SSH-":
                        return SshServer(port_now, folder, host_key.export_public_key(),
                                         folder / "client_ed25519", process)
            except OSError:
                time.sleep(0.05)
        process.kill()
        time.sleep(0.1)
    raise RuntimeError(f"sshd did not start: {last_error.strip() or 'no answer on the port'}")


def wait_for(condition: Any, timeout: float = 20.0, what: str = "condition") -> None:
    """Poll ``condition()`` until true (remote effects have no signal to wait on)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def commands_running(executable: str, argument: str | os.PathLike[str]) -> list[Any]:
    """Processes of ``executable`` with ``argument`` on their command line: what the test sshd
    runs for a remote command (``tail -F <log>``), to check it started or was hung up."""
    import psutil

    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        cmdline = process.info["cmdline"] or []
        if executable in (process.info["name"] or "") and str(argument) in cmdline:
            found.append(process)
    return found
