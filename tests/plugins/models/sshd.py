"""A real OpenSSH server on 127.0.0.1 for the pull tests: own host key, key-only login.

Keys are generated in pure Python (asyncssh); sshd runs in the foreground as the current user
with its config, host key and authorized_keys in a temp folder, so nothing on the machine is
touched. ``scripts/system-deps.sh test`` installs openssh-server in CI; without it the tests
that need the server are skipped with the reason on a developer's machine and fail under
``make test`` (``HAFS_STUDIO_REQUIRE_REAL_PARTS=1``, see studio/testing/real_parts.py).
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

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
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_sshd(folder: Path) -> SshServer:
    """Start sshd or raise RuntimeError saying why it cannot run here."""
    import asyncssh

    if not Path(SSHD).exists():
        raise RuntimeError("OpenSSH server not installed (apt-get install openssh-server, "
                           "or scripts/system-deps.sh test)")
    folder.mkdir(parents=True, exist_ok=True)
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    host_key.write_private_key(str(folder / "host_ed25519"))
    client_key = asyncssh.generate_private_key("ssh-ed25519")
    client_key.write_private_key(str(folder / "client_ed25519"))
    for name in ("host_ed25519", "client_ed25519"):
        os.chmod(folder / name, 0o600)
    (folder / "authorized_keys").write_bytes(client_key.export_public_key())
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(exist_ok=True)  # privilege separation dir sshd insists on
    last_error = ""
    for _attempt in range(3):  # a free port can be taken between probe and bind
        port = _free_port()
        (folder / "sshd_config").write_text(
            f"Port {port}\nListenAddress 127.0.0.1\nHostKey {folder / 'host_ed25519'}\n"
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
                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as probe:
                    if probe.recv(4) == b"SSH-":
                        return SshServer(port, folder, host_key.export_public_key(),
                                         folder / "client_ed25519", process)
            except OSError:
                time.sleep(0.05)
        process.kill()
    raise RuntimeError(f"sshd did not start: {last_error.strip() or 'no answer on the port'}")
