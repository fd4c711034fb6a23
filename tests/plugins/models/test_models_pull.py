"""Pull over a real OpenSSH server (known_hosts, resume, sha256) and through a sync.toml mount."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from entries import REQUIRED_DEFAULTS

from studio.core.jobs import JobCancelled, JobContext
from studio.core.remote import (
    HostConfig,
    HostKeyError,
    MountConfig,
    load_sync_config,
    sftp_path,
)
from studio.core.remote_host import RemoteHost
from studio.plugins.models.api import ModelsService
from studio.plugins.models.pull import PullError, _staging, plan_pull, pull_model
from studio.plugins.models.schema import new_entry
from studio.testing.sshd import SshServer

MODEL_ID = "oracle-test-asm-tiny-20250101"


def _required() -> dict:
    return {k: v for k, v in REQUIRED_DEFAULTS.items() if k not in ("role", "base_model")}


@pytest.fixture
def sshd(sshd_server: SshServer) -> SshServer:
    """The session's real OpenSSH server (studio.testing's fixture)."""
    return sshd_server


def _remote_model(root: Path) -> dict[str, bytes]:
    """A model folder 'on the remote machine' (the sshd serves the local disk)."""
    files = {
        "config.json": b'{"model_type": "llama"}',
        "model.safetensors": os.urandom(3 * 1024 * 1024 + 17),
        "checkpoint-10/trainer_state.json": b'{"log_history": []}',
    }
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return files


@pytest.fixture
def setup(tmp_path: Path, sshd: SshServer):
    remote = tmp_path / "remote" / MODEL_ID
    files = _remote_model(remote)
    service = ModelsService(tmp_path / "context")
    service.registry.add(new_entry(MODEL_ID, display_name="Tiny", role="asm",
                                   locations={"windows": str(remote)}, primary_location="windows",
                                   **_required()))
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(sshd.known_hosts_line())
    sync_file = tmp_path / "sync.toml"
    sync_file.write_text(sshd.sync_toml(known_hosts))
    return service, load_sync_config(sync_file), files, tmp_path / "dest" / MODEL_ID, known_hosts


def test_pull_over_ssh_verifies_and_records_location(setup):
    service, sync, files, dest, _ = setup
    messages: list[str] = []
    ctx = JobContext(on_progress=lambda fraction, message: messages.append(message),
                     min_interval=0)
    result = pull_model(service, MODEL_ID, sync=sync, dest=dest, ctx=ctx)
    assert result.plan.method == "ssh"
    for name, data in files.items():
        assert (dest / name).read_bytes() == data
    assert not _staging(dest).exists()
    assert service.info(MODEL_ID)["locations"]["mac"] == str(dest)
    assert service.studio_data(MODEL_ID)["pulled_from"]["location"] == "windows"
    assert any("/s" in m for m in messages), "progress shows a speed"


def test_unknown_host_is_refused_with_instructions(setup, sshd: SshServer):
    service, sync, _, dest, known_hosts = setup
    known_hosts.write_text("")
    with pytest.raises(PullError) as caught:
        pull_model(service, MODEL_ID, sync=sync, dest=dest)
    message = str(caught.value)
    assert "127.0.0.1" in message and "ssh-keyscan" in message and "never trusts" in message
    assert "mac" not in service.info(MODEL_ID)["locations"]


def test_changed_host_key_is_refused(sshd: SshServer, tmp_path: Path):
    import asyncssh

    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key()
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(sshd.known_hosts_line(other))
    config = HostConfig("box", "127.0.0.1", sshd.user, "linux", str(sshd.client_key), sshd.port)
    with pytest.raises(HostKeyError, match="does NOT match"):
        RemoteHost(config, known_hosts=known_hosts).connect()


def test_resume_continues_a_truncated_partial_file(setup):
    service, sync, files, dest, _ = setup
    big = files["model.safetensors"]
    partial = _staging(dest) / "model.safetensors"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(big[: len(big) // 2])
    result = pull_model(service, MODEL_ID, sync=sync, dest=dest)
    assert result.resumed == ["model.safetensors"]
    assert result.bytes_transferred < result.bytes_total - len(big) // 2 + 1000
    assert hashlib.sha256((dest / "model.safetensors").read_bytes()).digest() == \
        hashlib.sha256(big).digest()


def test_corrupt_partial_is_detected_and_fetched_again(setup):
    service, sync, files, dest, _ = setup
    big = files["model.safetensors"]
    partial = _staging(dest) / "model.safetensors"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"\0" * 1000)  # not a prefix of the real file
    pull_model(service, MODEL_ID, sync=sync, dest=dest)
    assert (dest / "model.safetensors").read_bytes() == big


def test_sha256_mismatch_fails_and_keeps_the_partial(setup, monkeypatch):
    service, sync, _, dest, _ = setup
    monkeypatch.setattr(RemoteHost, "sha256", lambda self, path: "0" * 64)
    with pytest.raises(PullError, match="failed verification"):
        pull_model(service, MODEL_ID, sync=sync, dest=dest)
    assert not dest.exists() and _staging(dest).exists()
    assert "mac" not in service.info(MODEL_ID)["locations"]


def test_cancel_stops_the_transfer(setup):
    service, sync, _, dest, _ = setup
    ctx = JobContext()
    ctx.cancel()
    with pytest.raises(JobCancelled):
        pull_model(service, MODEL_ID, sync=sync, dest=dest, ctx=ctx)
    assert not dest.exists()


def test_mount_mapping_is_used_when_present(tmp_path: Path):
    mount = tmp_path / "Mounts" / "mm-d" / "hafs_training"
    model = mount / "models" / MODEL_ID
    model.mkdir(parents=True)
    (model / "config.json").write_text("{}")
    (model / "model.safetensors").write_bytes(os.urandom(10_000))
    sync_file = tmp_path / "sync.toml"
    sync_file.write_text(f'[mounts.windows-training]\nlocal_path = "{mount}"\n'
                         'remote_path = "D:/hafs_training"\n')
    service = ModelsService(tmp_path / "context")
    remote = f"D:/hafs_training/models/{MODEL_ID}"
    service.registry.add(new_entry(MODEL_ID, locations={"windows": remote},
                                   primary_location="windows", **_required()))
    dest = tmp_path / "dest"
    result = pull_model(service, MODEL_ID, sync=load_sync_config(sync_file), dest=dest)
    assert result.plan.method == "mount" and result.plan.mount_path == model
    assert (dest / "model.safetensors").read_bytes() == (model / "model.safetensors").read_bytes()
    assert service.info(MODEL_ID)["locations"]["mac"] == str(dest)


def test_windows_paths_and_hafs_prefix_rule(tmp_path: Path):
    assert sftp_path("D:/hafs_training/models/x") == "/D:/hafs_training/models/x"
    assert sftp_path("D:\\hafs_training\\x") == "/D:/hafs_training/x"
    assert sftp_path("/home/u/x") == "/home/u/x"
    mount = MountConfig("w", str(tmp_path), "D:/hafs_training")
    assert mount.map("D:/hafs_training/models/x") == tmp_path / "models" / "x"
    # hafs writes these spellings itself (str(Path) on Windows); they are the same folder.
    assert mount.map("d:/hafs_training/models/x") == tmp_path / "models" / "x"
    assert mount.map("D:\\hafs_training\\models\\x") == tmp_path / "models" / "x"
    assert mount.map("D:/hafs_training") == tmp_path
    # A path-boundary check hafs lacks: a sibling folder is not below the mount.
    assert mount.map("D:/hafs_training2/models/x") is None
    assert mount.map("E:/hafs_training/x") is None


def test_plan_names_the_missing_host(tmp_path: Path):
    entry = new_entry(MODEL_ID, locations={"cloud": "/mnt/x"}, primary_location="cloud",
                      **_required())
    sync_file = tmp_path / "sync.toml"
    sync_file.write_text("")
    with pytest.raises(PullError, match=r"\[hosts.cloud-gpu\]"):
        plan_pull(entry, load_sync_config(sync_file))


def test_pull_through_a_mount_with_a_windows_path_and_an_id_with_spaces(tmp_path: Path,
                                                                        monkeypatch):
    """What hafs writes on Windows (``D:\\…`` paths, ids from folder names) pulls as is, to
    hafs's default destination ``~/Code/hafs/models/<id>``."""
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    mount = home / "Mounts" / "mm-d" / "hafs_training"
    model = mount / "models" / "Oracle Rauru"
    model.mkdir(parents=True)
    (model / "config.json").write_text("{}")
    (model / "adapter_model.safetensors").write_bytes(os.urandom(5000))
    unmounted = tmp_path / "not-mounted"
    sync_file = tmp_path / "sync.toml"
    sync_file.write_text(
        f'[mounts.stale]\nlocal_path = "{unmounted}"\nremote_path = "D:/hafs_training"\n'
        '[mounts.windows-training]\nlocal_path = "~/Mounts/mm-d/hafs_training"\n'
        'remote_path = "D:/hafs_training"\n')
    service = ModelsService(tmp_path / "context")
    remote = "D:\\hafs_training\\models\\Oracle Rauru"
    service.registry.add(new_entry("Oracle Rauru", display_name="Rauru", role="asm",
                                   locations={"windows": remote}, primary_location="windows",
                                   **_required()))
    result = pull_model(service, "Oracle Rauru", sync=load_sync_config(sync_file))
    # The first mount in file order is skipped: its folder does not exist here (as in hafs).
    assert result.plan.method == "mount" and result.plan.mount_path == model
    dest = home / "Code" / "hafs" / "models" / "Oracle Rauru"
    assert result.path == dest
    assert (dest / "adapter_model.safetensors").read_bytes() == (
        model / "adapter_model.safetensors").read_bytes()
    assert service.info("Oracle Rauru")["locations"]["mac"] == str(dest)


def test_the_first_accessible_mount_in_file_order_wins(tmp_path: Path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    sync_file = tmp_path / "sync.toml"
    sync_file.write_text(
        f'[mounts.a]\nlocal_path = "{first}"\nremote_path = "D:/"\n'
        f'[mounts.b]\nlocal_path = "{second}"\nremote_path = "D:/hafs_training"\n')
    sync = load_sync_config(sync_file)
    assert sync.map_to_local("D:/hafs_training/x") == first / "hafs_training" / "x"
    first.rmdir()  # unmounted: the next mount that holds the path answers
    assert sync.map_to_local("D:/hafs_training/x") == second / "x"
    assert sync.map_to_local("/home/u/x") is None


@pytest.fixture
def host_without_hash_tool(setup, sshd: SshServer, tmp_path: Path):
    """The same server described as a Windows host: PowerShell's Get-FileHash is not there,
    so the sha256 must come from reading the file back (the fallback)."""
    service, _, files, dest, known_hosts = setup
    sync_file = tmp_path / "sync-windows.toml"
    sync_file.write_text(sshd.sync_toml(known_hosts).replace('platform = "linux"',
                                                              'platform = "windows"'))
    sync = load_sync_config(sync_file)
    return service, sync, files, dest


def test_the_hash_fallback_reads_the_file_back_and_is_checked(host_without_hash_tool, tmp_path):
    service, sync, files, dest = host_without_hash_tool
    remote = tmp_path / "remote" / MODEL_ID / "model.safetensors"
    with RemoteHost(sync.host("medical-mechanica")) as host:
        assert host.sha256(str(remote)) is None  # no hashing tool answers
        assert host.sha256_by_reading(str(remote)) == hashlib.sha256(
            files["model.safetensors"]).hexdigest()
    result = pull_model(service, MODEL_ID, sync=sync, dest=dest)
    assert result.files == len(files)
    assert (dest / "model.safetensors").read_bytes() == files["model.safetensors"]


def test_a_wrong_hash_from_the_fallback_is_refused(host_without_hash_tool, monkeypatch):
    service, sync, _, dest = host_without_hash_tool
    monkeypatch.setattr(RemoteHost, "sha256_by_reading", lambda self, path, ctx=None: "0" * 64)
    with pytest.raises(PullError, match="failed verification: sha256"):
        pull_model(service, MODEL_ID, sync=sync, dest=dest)
    assert not dest.exists() and "mac" not in service.info(MODEL_ID)["locations"]
