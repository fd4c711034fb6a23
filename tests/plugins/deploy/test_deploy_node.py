"""Backend 5: a llama.cpp server on a node, for real, through the OpenSSH server on 127.0.0.1.

The "node" is this machine reached over SSH: the GGUF is uploaded over SFTP into a folder of
its own, the server (llama-cpp-python's, started by the node's command line) runs attached to
the SSH session, and the studio talks to it through a port forward.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from deploy_helpers import MODEL_ID, CancelWhen

from studio.api import JobCancelled, JobContext
from studio.plugins.deploy.api import (
    DeployError,
    DeployOptions,
    GenerationError,
    GenerationParams,
    GenerationRequest,
    deploy_manager,
)
from studio.plugins.models.api import ModelsService
from studio.testing import BUILTIN_PLUGINS

NODE = "gpu-box"
CHAT = GenerationRequest.chat([{"role": "user", "content": "hello world"}])
SERVER = (f"{sys.executable} -m llama_cpp.server --host 127.0.0.1 --port {{port}} "
          "--model {model} --n_ctx {n_ctx} --model_alias {alias}")


@pytest.fixture
def node(sshd_server, tmp_path):
    from studio.testing.sshd import configure_host

    return configure_host(sshd_server, tmp_path / "ssh", NODE)


def _studio(studio_factory, context, sync_path: Path, remote_dir: Path):
    studio = studio_factory(builtins=BUILTIN_PLUGINS, context=context,
                            environ={"HAFS_SYNC_CONFIG": str(sync_path)})
    studio.settings.set("deploy", "n_ctx", 256)
    studio.settings.set("deploy", "node_server_command", SERVER)
    studio.settings.set("deploy", "node_models_dir", str(remote_dir))
    return studio


@pytest.fixture
def remote_dir(tmp_path) -> Path:
    return tmp_path / "on-the-node" / "models"


@pytest.fixture
def studio(studio_factory, context, node, remote_dir):
    return _studio(studio_factory, context, node.sync_path, remote_dir)


def _deploy(manager, host: str = NODE):
    return manager.deploy(JobContext(), MODEL_ID, "node", DeployOptions(extra={"host": host}))


def _node_servers(remote_dir: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if "llama_cpp.server" in cmdline and str(remote_dir) in cmdline:
            found.append(process)
    return found


def _nothing_recorded(manager, context):
    assert manager.deployments() == []
    entry = ModelsService(context).info(MODEL_ID)
    assert entry["deployed_backends"] == [] and entry["halext_node_id"] is None


def test_deploy_uploads_starts_forwards_and_records(studio, manager, context, remote_dir):
    deployment = _deploy(manager)
    entry = ModelsService(context).info(MODEL_ID)
    assert entry["deployed_backends"] == ["halext-node"]
    assert entry["halext_node_id"] == MODEL_ID  # what hafs records
    local = Path(deployment.artifact)
    remote = Path(deployment.data["remote_model"])
    assert remote.parent == remote_dir and remote.read_bytes() == local.read_bytes()
    assert deployment.data["uploaded_bytes"] == local.stat().st_size
    assert deployment.endpoint.startswith(f"{NODE} → http://127.0.0.1:")
    assert manager.status(deployment).state == "ready"
    result = manager.generate(deployment, CHAT, GenerationParams(max_tokens=10,
                                                                 temperature=0)).run()
    assert result.stats.completion_tokens >= 1
    assert "llama_cpp.server" in Path(deployment.data["log_file"]).read_text(errors="replace")
    [server] = _node_servers(remote_dir)
    manager.stop(deployment.id)  # the hang-up stops the server on the node
    psutil.wait_procs([server], timeout=15)
    assert not server.is_running() or server.status() == psutil.STATUS_ZOMBIE
    # Started again on first use.
    assert manager.generate(deployment, CHAT, GenerationParams(max_tokens=3)
                            ).run().stats.completion_tokens >= 1
    again = _deploy(manager)  # the node has the file: nothing is sent
    assert again.data["uploaded_bytes"] == 0 and again.data["remote_model"] == str(remote)


def test_an_interrupted_upload_resumes(studio, manager, remote_dir, context):
    deploy_gguf = ModelsService(context).convert(MODEL_ID, outtype="f16").path  # reused
    data = deploy_gguf.read_bytes()
    remote = remote_dir / f"{hashlib.sha256(data).hexdigest()[:16]}-{deploy_gguf.name}"
    remote_dir.mkdir(parents=True)
    Path(str(remote) + ".partial").write_bytes(data[: len(data) // 2])
    deployment = _deploy(manager)
    assert deployment.data["remote_model"] == str(remote) and remote.read_bytes() == data
    assert 0 < deployment.data["uploaded_bytes"] < len(data)


@pytest.mark.parametrize("stage", ["Uploading", "Starting the llama.cpp server"])
def test_cancel_leaves_nothing_recorded_and_no_server(studio, manager, context, remote_dir,
                                                       stage):
    with pytest.raises(JobCancelled):
        manager.deploy(CancelWhen(stage), MODEL_ID, "node", DeployOptions(extra={"host": NODE}))
    _nothing_recorded(manager, context)
    psutil.wait_procs(_node_servers(remote_dir), timeout=15)  # the hang-up ends it
    assert all(p.status() == psutil.STATUS_ZOMBIE for p in _node_servers(remote_dir))


def test_host_key_mismatch_is_refused_with_the_fingerprint(studio_factory, context, node,
                                                           remote_dir, tmp_path):
    import asyncssh

    impostor = asyncssh.generate_private_key("ssh-ed25519").export_public_key()
    node.known_hosts.write_text(node.server.known_hosts_line(impostor))
    manager = deploy_manager(_studio(studio_factory, context, node.sync_path, remote_dir))
    real = asyncssh.import_public_key(node.server.host_public_key).get_fingerprint()
    with pytest.raises(DeployError, match="does NOT match") as info:
        _deploy(manager)
    assert real in str(info.value) and "nothing was sent" in str(info.value)
    assert not remote_dir.exists()
    _nothing_recorded(manager, context)


def test_authentication_failure(studio_factory, context, node, remote_dir, tmp_path):
    import asyncssh

    stranger = tmp_path / "stranger_key"
    asyncssh.generate_private_key("ssh-ed25519").write_private_key(str(stranger))
    os.chmod(stranger, 0o600)
    node.sync_path.write_text(node.sync_path.read_text().replace(
        str(node.server.client_key), str(stranger)))
    manager = deploy_manager(_studio(studio_factory, context, node.sync_path, remote_dir))
    with pytest.raises(DeployError, match=f"{NODE}: cannot connect"):
        _deploy(manager)
    _nothing_recorded(manager, context)


def test_unknown_node_names_the_known_ones(manager, context):
    with pytest.raises(DeployError, match=rf"'nowhere' is not configured \(known: {NODE}\)"):
        _deploy(manager, "nowhere")
    _nothing_recorded(manager, context)


@pytest.fixture
def full_disk(tmp_path):
    mount = tmp_path / "small-disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill ({done.stderr.strip()}); needs root")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_remote_disk_full_fails_clearly_and_leaves_no_server(studio_factory, context, node,
                                                            full_disk):
    manager = deploy_manager(_studio(studio_factory, context, node.sync_path, full_disk))
    with pytest.raises(DeployError, match=f"{NODE}: uploading .* failed .* the node's disk is "
                                          "full"):
        _deploy(manager)
    _nothing_recorded(manager, context)
    assert _node_servers(full_disk) == []


def test_server_crash_mid_stream(studio, manager, remote_dir):
    deployment = _deploy(manager)
    [server] = _node_servers(remote_dir)
    stream = manager.generate(deployment, CHAT, GenerationParams(max_tokens=200,
                                                                 temperature=0))
    with pytest.raises(GenerationError, match=f"node {NODE}, server log"):
        for _ in stream:
            os.kill(server.pid, signal.SIGKILL)
    assert manager.status(deployment).state in ("idle", "ready")


def test_studio_exit_leaves_nothing_running_on_the_node(studio_factory, context, node,
                                                        remote_dir):
    studio = _studio(studio_factory, context, node.sync_path, remote_dir)
    _deploy(deploy_manager(studio))
    servers = _node_servers(remote_dir)
    assert len(servers) == 1
    studio.shutdown()
    psutil.wait_procs(servers, timeout=15)
    assert _node_servers(remote_dir) == [] or all(
        p.status() == psutil.STATUS_ZOMBIE for p in _node_servers(remote_dir))


def test_the_panel_offers_the_nodes_and_deploys_on_the_chosen_one(qtbot, studio, manager,
                                                                   context):
    from PySide6.QtCore import Qt

    from studio.plugins.deploy.widgets.pipeline_view import PipelineView
    from studio.shell.api import ViewContext

    view = PipelineView(ViewContext(studio=studio, shell=None, window=None, view_id="p"))
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: len(view._availability) == len(manager.backends)
                    and view.model_box.findData(MODEL_ID) >= 0, timeout=60_000)
    hosts = view.backends.host_box("node")
    assert [hosts.itemText(i) for i in range(hosts.count())] == [NODE]
    next(b for b in view.backend_group.buttons()
         if b.property("backend_id") == "node").setChecked(True)
    assert view.backends.host() == NODE
    view.quant_box.setCurrentIndex(view.quant_box.findData(None))  # keep the F16 GGUF
    qtbot.waitUntil(view.deploy_button.isEnabled, timeout=60_000)
    qtbot.mouseClick(view.deploy_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.job is None, timeout=120_000)
    assert view.status.text().startswith("Deployed"), view.status.text()
    assert view.deployment.data["host"] == NODE
    assert ModelsService(context).info(MODEL_ID)["halext_node_id"] == MODEL_ID
    manager.stop(view.deployment.id)
