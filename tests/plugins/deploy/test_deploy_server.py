"""Backend 2: a real llama.cpp server run as a studio-managed process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
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
)
from studio.plugins.models.api import ModelsService
from studio.testing import BUILTIN_PLUGINS, make_studio

CHAT = GenerationRequest.chat([{"role": "user", "content": "hello world"}])
ROOT = Path(__file__).resolve().parents[3]


def _servers(studio) -> list:
    return [p for p in studio.services.process.processes("deploy") if p.running]


def _nothing_recorded(manager, context: Path) -> None:
    assert manager.deployments() == []
    assert ModelsService(context).info(MODEL_ID)["deployed_backends"] == []


def test_deploy_serves_streams_records_and_logs(studio, manager, context):
    deployment = manager.deploy(JobContext(), MODEL_ID, "server", DeployOptions())
    url = deployment.endpoint
    assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
    assert httpx.get(f"{url}/models", timeout=5).json()["data"][0]["id"] == MODEL_ID
    [process] = _servers(studio)
    assert process.long_lived and process.owner == "deploy"
    assert ModelsService(context).info(MODEL_ID)["deployed_backends"] == ["llama.cpp"]
    status = manager.status(deployment)
    assert status.state == "ready" and status.memory_bytes > 0 and status.since

    pieces = []
    stream = manager.generate(deployment, CHAT, GenerationParams(max_tokens=12,
                                                                 temperature=0))
    for piece in stream:
        pieces.append(piece)
    result = stream.result
    assert result.text == "".join(pieces) and result.stats.completion_tokens >= 1
    assert result.stats.time_to_first_token_ms is not None
    local = manager.deploy(JobContext(), MODEL_ID, "llama.cpp", DeployOptions(), record=False)
    assert local.artifact == deployment.artifact  # the same GGUF, the same prompt text
    in_process = manager.generate(local, CHAT, GenerationParams(max_tokens=12, temperature=0)
                                  ).run().text
    # The same greedy tokens; the server drops bytes that are not UTF-8 where the in-process
    # decoder shows U+FFFD (random weights produce such byte tokens).
    assert in_process.replace("\ufffd", "") == result.text.replace("\ufffd", "")
    log = Path(deployment.data["log_file"])
    assert log.is_file() and "llama_cpp.server" in log.read_text(errors="replace")


def test_stop_and_restart_on_first_use(studio, manager):
    deployment = manager.deploy(JobContext(), MODEL_ID, "server", DeployOptions())
    [first] = _servers(studio)
    manager.stop(deployment.id)
    assert not first.running and _servers(studio) == []
    assert manager.status(deployment).state == "idle"
    result = manager.generate(deployment, CHAT, GenerationParams(max_tokens=4)).run()
    assert result.stats.completion_tokens >= 1
    [second] = _servers(studio)
    assert second.pid != first.pid


def test_port_taken_fails_clearly_and_leaves_nothing(studio, manager, context):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(DeployError, match=f"port {port} on 127.0.0.1 is already in use"):
            manager.deploy(JobContext(), MODEL_ID, "server",
                           DeployOptions(extra={"port": port}))
    _nothing_recorded(manager, context)
    assert _servers(studio) == []


def test_bad_gguf_fails_clearly_and_a_server_that_exits_names_its_log(studio, manager,
                                                                        tiny_gguf, tmp_path):
    truncated = tmp_path / "truncated.gguf"
    data = tiny_gguf.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])  # header fine, tensor data cut off
    with pytest.raises(DeployError, match=r"truncated.gguf: tensor .* ends past the end"):
        manager.deploy(JobContext(), str(truncated), "server", DeployOptions())
    # A well-formed GGUF llama.cpp cannot load: the server starts, then exits.
    import gguf
    import numpy as np

    unknown = tmp_path / "unknown-arch.gguf"
    writer = gguf.GGUFWriter(str(unknown), "no-such-architecture")
    writer.add_tensor("token_embd.weight", np.zeros((8, 32), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with pytest.raises(DeployError, match=r"exited with .* before it was ready \(log: ") as info:
        manager.deploy(JobContext(), str(unknown), "server", DeployOptions())
    log = Path(str(info.value).split("(log: ", 1)[1].split(")", 1)[0])
    assert log.is_file() and "no-such-architecture" in log.read_text(errors="replace")
    assert _servers(studio) == [] and manager.deployments() == []


def test_cancel_while_starting_stops_the_server(studio, manager, context):
    with pytest.raises(JobCancelled):
        manager.deploy(CancelWhen("Starting the llama.cpp server"), MODEL_ID, "server",
                       DeployOptions())
    _nothing_recorded(manager, context)
    assert _servers(studio) == []


def test_server_crash_mid_stream_is_a_clear_error(studio, manager):
    deployment = manager.deploy(JobContext(), MODEL_ID, "server", DeployOptions())
    [process] = _servers(studio)
    stream = manager.generate(deployment, CHAT, GenerationParams(max_tokens=200,
                                                                 temperature=0))
    with pytest.raises(GenerationError, match="server log: ") as info:
        for _ in stream:
            os.kill(process.pid, signal.SIGKILL)  # the server dies while answering
    assert "connection broke while answering" in str(info.value) or \
        "no server answers" in str(info.value)
    assert stream.result.stats.finish_reason == "error"


def test_studio_exit_stops_the_server(studio_factory, context):
    studio = studio_factory(builtins=BUILTIN_PLUGINS, context=context)
    studio.settings.set("deploy", "n_ctx", 256)
    from studio.plugins.deploy.api import deploy_manager

    deploy_manager(studio).deploy(JobContext(), MODEL_ID, "server", DeployOptions())
    [process] = _servers(studio)
    studio.shutdown()
    assert not psutil.pid_exists(process.pid) or \
        psutil.Process(process.pid).status() == psutil.STATUS_ZOMBIE


CRASHING_STUDIO = r"""
import json, os, sys
from studio.api import JobContext
from studio.testing import BUILTIN_PLUGINS, make_studio
from studio.plugins.deploy.api import DeployOptions, deploy_manager
home, context, model = sys.argv[1:4]
from pathlib import Path
studio = make_studio(Path(home), builtins=BUILTIN_PLUGINS, context=Path(context))
studio.settings.set("deploy", "n_ctx", 256)
deploy_manager(studio).deploy(JobContext(), model, "server", DeployOptions())
[process] = studio.services.process.processes("deploy")
print(json.dumps({"pid": process.pid}), flush=True)
os.kill(os.getpid(), 9)  # the studio crashes: nothing runs its shutdown
"""


def test_a_crashed_studio_leaves_a_pid_file_the_next_start_offers(tmp_path, context):
    home = tmp_path / "crash-home"
    done = subprocess.run([sys.executable, "-c", CRASHING_STUDIO, str(home), str(context),
                           MODEL_ID], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert done.returncode == -9, done.stderr[-2000:]
    pid = json.loads(done.stdout.strip().splitlines()[-1])["pid"]
    try:
        assert psutil.pid_exists(pid)  # the server outlived the crashed studio
        studio = make_studio(home, builtins=BUILTIN_PLUGINS, context=context)
        try:
            [orphan] = [o for o in studio.services.process.orphans() if o.pid == pid]
            assert orphan.owner == "deploy" and orphan.name.startswith("llama-server-")
            assert orphan.still_running()
            orphan.terminate(grace_s=5)
            assert not orphan.still_running()
            assert studio.services.process.orphans() == []
        finally:
            studio.shutdown()
    finally:
        if psutil.pid_exists(pid):
            os.kill(pid, signal.SIGKILL)


def test_deployments_view_opens_the_servers_log(qtbot, studio, manager, monkeypatch):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QDesktopServices

    from studio.plugins.deploy.widgets.deployments_view import DeploymentsView
    from studio.plugins.logs.api import logs_service
    from studio.shell.api import ViewContext

    deployment = manager.deploy(JobContext(), MODEL_ID, "server", DeployOptions())
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", opened.append)
    view = DeploymentsView(ViewContext(studio=studio, shell=None, window=None, view_id="d"))
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.table.rowCount() == 1, timeout=60_000)
    view.table.selectRow(0)
    assert view.buttons["log"].isEnabled()
    log = studio.services.process.processes("deploy")[0].log_file
    assert log.stat().st_size > 0  # the server's start-up output
    qtbot.mouseClick(view.buttons["log"], Qt.MouseButton.LeftButton)
    # The Logs plugin is active: the request waits for the Logs view (no window here).
    [request] = logs_service(studio).take_pending()
    assert Path(request.path) == log and request.follow and opened == []
    studio.disable_plugin("logs")  # without Logs: the desktop's viewer
    qtbot.mouseClick(view.buttons["log"], Qt.MouseButton.LeftButton)
    [url] = opened
    assert Path(url.toLocalFile()) == log
    manager.stop(deployment.id)


def test_same_answer_as_in_process_and_every_token_counted(studio, manager):
    """Greedy through the server is greedy in-process on the same GGUF (the server's own
    repeat-penalty default is not applied), and every streamed token is counted, also those
    whose bytes end mid-character and arrive as empty events (random weights make many)."""
    from studio.plugins.deploy.backends.openai_stream import completion_body

    params = GenerationParams(max_tokens=48, temperature=0)
    served = manager.deploy(JobContext(), MODEL_ID, "server", DeployOptions())
    local = manager.deploy(JobContext(), MODEL_ID, "llama.cpp", DeployOptions())
    assert served.artifact == local.artifact
    over_http = manager.generate(served, CHAT, params).run()
    in_process = manager.generate(local, CHAT, params).run()
    # Bytes that are no UTF-8 are U+FFFD in-process and dropped by the server, which may also
    # run a token or two past max_tokens (llama-cpp-python's count skips incomplete bytes).
    expected = in_process.text.replace("\ufffd", "")
    assert expected and over_http.text.startswith(expected)
    body = dict(completion_body(served, CHAT, params, MODEL_ID), stream=False)
    # Greedy asks the server for the top token only (its samplers then skip the vocabulary);
    # the answer above is still in-process greedy's. Sampling keeps the user's top_k.
    assert body["top_k"] == 1
    sampled = GenerationParams(max_tokens=4, temperature=0.8, top_k=40)
    assert completion_body(served, CHAT, sampled, MODEL_ID)["top_k"] == 40
    usage = httpx.post(f"{served.endpoint}/completions", json=body, timeout=60).json()["usage"]
    assert over_http.stats.completion_tokens == usage["completion_tokens"]


def _llama_server_binary() -> Path | None:
    """llama.cpp's C++ server when this machine has one (``make llama-server`` builds it from
    the llama.cpp that llama-cpp-python vendors; HAFS_STUDIO_TEST_LLAMA_SERVER names another)."""
    import shutil

    named = os.environ.get("HAFS_STUDIO_TEST_LLAMA_SERVER")
    for candidate in (named, ROOT / "build" / "llama-server" / "bin" / "llama-server",
                      shutil.which("llama-server")):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def test_the_llama_server_binary_when_the_user_has_one(studio, manager):
    """The same deployment through llama.cpp's own ``llama-server`` (the tools setting):
    ready, the same greedy answer as in-process, its log is the binary's."""
    binary = _llama_server_binary()
    if binary is None:
        pytest.skip("no llama-server binary here (make llama-server builds one)")
    studio.settings.set("tools", "llama_server", str(binary))
    params = GenerationParams(max_tokens=24, temperature=0)
    served = manager.deploy(JobContext(), MODEL_ID, "server", DeployOptions())
    assert served.data["kind"] == "binary"
    [process] = _servers(studio)
    assert Path(process.argv[0]) == binary
    local = manager.deploy(JobContext(), MODEL_ID, "llama.cpp", DeployOptions(), record=False)
    over_http = manager.generate(served, CHAT, params).run()
    expected = manager.generate(local, CHAT, params).run().text.replace("\ufffd", "")
    assert expected and over_http.text.replace("\ufffd", "").startswith(expected)
    assert over_http.stats.completion_tokens >= 1
    manager.stop(served.id)
    assert not process.running
