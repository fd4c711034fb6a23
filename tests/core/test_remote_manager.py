"""The shared SSH connections, against a real OpenSSH server on 127.0.0.1.

The server serves this machine's own disk, so "remote" paths are local temp paths the test can
check directly. Tests that break the server (drop its connections, stop it) start their own.
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import asyncssh
import psutil
import pytest

from studio.core.events import EventBus
from studio.core.jobs import JobCancelled, JobContext
from studio.core.remote import HostConfig, HostKeyError, RemoteError
from studio.core.remote_host import Backoff, RemoteConnectionChanged
from studio.core.remote_manager import RemoteManager
from studio.testing import BusSpy
from studio.testing.real_parts import missing_real_part
from studio.testing.sshd import (
    SshServer,
    commands_running,
    configure_host,
    start_sshd,
    wait_for,
)

FAST = Backoff(first_s=0.05, factor=2.0, max_s=0.2, attempts=4)


@pytest.fixture
def bus():
    return EventBus()


@pytest.fixture
def manager(ssh_host, bus, tmp_path):
    manager = RemoteManager(bus, sync_path=ssh_host.sync_path,
                            nodes_path=tmp_path / "nodes.toml", backoff=FAST)
    yield manager
    manager.shutdown()


@pytest.fixture
def own_server(tmp_path) -> SshServer:
    """An sshd of this test alone (it will be broken on purpose)."""
    try:
        server = start_sshd(tmp_path / "own-sshd")
    except RuntimeError as exc:
        missing_real_part(f"cannot run a local sshd (openssh-server): {exc}")
    yield server
    server.stop()


@pytest.fixture
def own_manager(own_server, bus, tmp_path):
    host = configure_host(own_server, tmp_path / "own-host")
    manager = RemoteManager(bus, sync_path=host.sync_path, nodes_path=tmp_path / "nodes.toml",
                            backoff=FAST)
    yield manager
    manager.shutdown()


def states(spy: BusSpy) -> list[str]:
    return [event.state for event in spy.of_type(RemoteConnectionChanged)]


# -- configuration ------------------------------------------------------------------------------
def test_hosts_come_from_sync_toml_and_nodes_toml(ssh_host, tmp_path):
    nodes = tmp_path / "nodes.toml"
    nodes.write_text(
        '[[nodes]]\nname = "gpu-box"\nhost = "10.0.0.5"\nplatform = "windows"\n\n'
        '[[nodes]]\nname = "mac-mini"\nhost = "mini.local"\nplatform = "mac"\n'
        'ssh_user = "ada"\nssh_port = 2222\n\n'
        '[[nodes]]\nname = "halext"\nhost = "node1.halext.org"\n'
        'gateway_url = "https://node1.halext.org/api"\n\n'
        '[[nodes]]\nname = "medical-mechanica"\nhost = "192.168.1.9"\n')
    manager = RemoteManager(sync_path=ssh_host.sync_path, nodes_path=nodes)
    hosts = manager.hosts()
    assert sorted(hosts) == ["gpu-box", "mac-mini", "medical-mechanica"]  # no gateway node
    assert hosts["medical-mechanica"].hostname == "127.0.0.1"  # sync.toml wins
    assert (hosts["gpu-box"].username, hosts["gpu-box"].port) == ("Administrator", 22)
    assert (hosts["mac-mini"].username, hosts["mac-mini"].port) == ("ada", 2222)
    nodes.write_text("[[nodes]\nbroken")
    assert sorted(manager.hosts()) == ["medical-mechanica"]  # re-read; sync.toml still counts
    assert str(nodes) in manager.problems[0]
    with pytest.raises(RemoteError) as unknown:
        manager.host("gpu-box")
    message = str(unknown.value)
    assert "host 'gpu-box' is not configured" in message and str(ssh_host.sync_path) in message
    assert str(nodes) in message  # the problem with nodes.toml is named too


# -- one shared connection ----------------------------------------------------------------------
def test_one_connection_is_shared_by_every_thread(manager, ssh_host, bus, tmp_path):
    # Connections of earlier tests end asynchronously on the server's side.
    wait_for(lambda: ssh_host.server.connections() == 0, what="earlier connections to end")
    spy = BusSpy(bus, RemoteConnectionChanged.topic)
    host = manager.host("medical-mechanica")
    assert manager.host("medical-mechanica") is host
    (tmp_path / "here").write_text("x")
    results, errors = [], []

    def work(n: int) -> None:
        try:
            status, out, _ = host.run(["echo", f"worker {n}"])
            results.append((status, out.strip(), host.exists(str(tmp_path / "here"))))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(results) == [(0, f"worker {n}", True) for n in range(8)]
    assert ssh_host.server.connections() == 1
    assert states(spy) == ["connecting", "connected"]
    assert manager.connections() == {"medical-mechanica": "connected"}


def test_argv_is_quoted_for_the_remote_shell(manager, tmp_path):
    host = manager.host("medical-mechanica")
    marker = tmp_path / "injected"
    status, out, _ = host.run(["printf", "%s|", "a b", f"$HOME;touch {marker}", "it's"])
    assert status == 0 and out == f"a b|$HOME;touch {marker}|it's|"
    assert not marker.exists()


def test_unknown_host_key_is_refused_showing_the_servers_fingerprint(ssh_host, tmp_path):
    ssh_host.known_hosts.write_text("")
    manager = RemoteManager(sync_path=ssh_host.sync_path, nodes_path=tmp_path / "n.toml")
    try:
        with pytest.raises(HostKeyError) as refused:
            manager.host("medical-mechanica").run("true")
        fingerprint = asyncssh.import_public_key(
            ssh_host.server.host_public_key).get_fingerprint("sha256")
        assert "never trusts a host key on its own" in str(refused.value)
        assert fingerprint in str(refused.value)
        # Nothing stays logged in: the fingerprint probe and the refused attempt both ended.
        wait_for(lambda: ssh_host.server.connections() == 0, what="the probes to end")
    finally:
        manager.shutdown()


# -- upload ---------------------------------------------------------------------------------------
@pytest.fixture
def payload(tmp_path) -> Path:
    path = tmp_path / "local" / "adapter.safetensors"
    path.parent.mkdir()
    path.write_bytes(os.urandom(3 << 20))
    return path


def test_upload_verifies_and_never_replaces_without_permission(manager, payload, tmp_path):
    host = manager.host("medical-mechanica")
    target = tmp_path / "remote" / "adapter.safetensors"
    target.parent.mkdir()
    reports: list[float] = []
    context = JobContext(on_progress=lambda fraction, message: reports.append(fraction),
                         min_interval=0)
    assert host.upload(payload, str(target), ctx=context) == payload.stat().st_size
    assert target.read_bytes() == payload.read_bytes()
    assert sorted(p.name for p in target.parent.iterdir()) == ["adapter.safetensors"]
    assert reports[-1] == 1.0
    target.write_bytes(b"the model already on the host")
    with pytest.raises(RemoteError, match="exists already"):
        host.upload(payload, str(target))
    assert target.read_bytes() == b"the model already on the host"
    host.upload(payload, str(target), overwrite=True)
    assert target.read_bytes() == payload.read_bytes()


def test_upload_resumes_a_partial_and_restarts_a_bad_one(manager, payload, tmp_path):
    host = manager.host("medical-mechanica")
    data = payload.read_bytes()
    target = tmp_path / "adapter.safetensors"
    partial = tmp_path / "adapter.safetensors.partial"
    partial.write_bytes(data[: 1 << 20])  # an earlier upload stopped after 1 MiB
    assert host.upload(payload, str(target)) == len(data) - (1 << 20)
    assert target.read_bytes() == data and not partial.exists()
    target.unlink()
    partial.write_bytes(bytes(1 << 20))  # not a prefix of this file
    sent = host.upload(payload, str(target))
    assert sent == len(data) - (1 << 20) + len(data)  # tried to resume, then sent it whole
    assert target.read_bytes() == data and not partial.exists()


def test_cancelled_upload_keeps_its_partial_for_later(manager, payload, tmp_path):
    host = manager.host("medical-mechanica")
    target = tmp_path / "adapter.safetensors"
    context = JobContext()
    seen = []

    def on_bytes(count: int) -> None:
        seen.append(count)
        context.cancel()

    with pytest.raises(JobCancelled):
        host.upload(payload, str(target), ctx=context, on_bytes=on_bytes)
    assert not target.exists()
    assert (tmp_path / "adapter.safetensors.partial").stat().st_size == sum(seen)
    host.upload(payload, str(target))  # continues from there
    assert target.read_bytes() == payload.read_bytes()


def test_download_resumes_and_a_bad_prefix_is_fetched_again(manager, payload, tmp_path):
    host = manager.host("medical-mechanica")
    data = payload.read_bytes()
    local = tmp_path / "copy" / "adapter.safetensors"
    local.parent.mkdir()
    local.write_bytes(data[: 1 << 20])  # an earlier download stopped after 1 MiB
    assert host.download(str(payload), local, verify=True) == len(data) - (1 << 20)
    assert local.read_bytes() == data
    local.write_bytes(bytes(1 << 20))  # kept bytes that are not this file's
    moved = host.download(str(payload), local, verify=True)
    assert moved == len(data) - (1 << 20) + len(data)  # resumed, found bad, fetched whole
    assert local.read_bytes() == data


# -- incremental reads ----------------------------------------------------------------------------
def test_read_from_follows_a_growing_file_and_sees_truncation(manager, tmp_path):
    host = manager.host("medical-mechanica")
    log = tmp_path / "train.log"
    log.write_text("step 1\n")
    first = host.read_from(str(log), 0)
    assert (first.data, first.next_offset, first.truncated) == (b"step 1\n", 7, False)
    assert host.read_from(str(log), first.next_offset).data == b""
    with log.open("a") as handle:
        handle.write("step 2\n")
    second = host.read_from(str(log), first.next_offset)
    assert (second.data, second.next_offset, second.size) == (b"step 2\n", 14, 14)
    log.write_text("new run\n")  # rotated
    third = host.read_from(str(log), second.next_offset)
    assert (third.data, third.truncated) == (b"new run\n", True)
    assert host.read_from(str(log), 0, max_bytes=3).data == b"new"
    with pytest.raises(RemoteError, match=r"missing\.log"):
        host.read_from(str(tmp_path / "missing.log"), 0)


def test_list_dir_and_stat_show_a_remote_folder_as_it_changes(manager, tmp_path):
    host = manager.host("medical-mechanica")
    run = tmp_path / "run"
    assert host.list_dir(str(run)) == []  # not created yet: no error
    assert host.stat(str(run / "trainer_state.json")) is None
    (run / "checkpoint-10").mkdir(parents=True)
    (run / "train.log").write_text("step 1\n")
    os.utime(run / "train.log", (1_700_000_000, 1_700_000_000))
    entries = host.list_dir(str(run))
    assert [(e.name, e.is_dir) for e in entries] == [("checkpoint-10", True), ("train.log", False)]
    log = entries[1]
    assert (log.path, log.size, log.mtime) == (f"{run}/train.log", 7, 1_700_000_000)
    assert host.stat(str(run / "train.log")) == log
    assert host.stat(str(run)).is_dir
    with pytest.raises(RemoteError, match=r"train\.log"):  # a file is not a folder: named
        host.list_dir(str(run / "train.log"))


# -- streams --------------------------------------------------------------------------------------
def tail_processes(path: Path) -> list[psutil.Process]:
    return commands_running("tail", path)


def follow(host, log: Path, **options):
    """``tail -F`` of a new, empty ``log`` on the host, as a stream, once tail reads the file.

    A running tail process is not yet a following one: ``-n 0`` seeks to the end when tail gets
    to it, so lines written before that are skipped (a loaded CI machine lost both lines of a
    test this way). Sync lines are written until one comes back; every later one is then past
    tail's position and arrives in order, so reading up to the last leaves the stream empty.
    """
    log.write_text("")
    stream = host.stream(["tail", "-n", "0", "-F", str(log)], **options)
    wait_for(lambda: tail_processes(log), what="tail to start")
    written, received = 0, None
    while received is None:
        assert written < 600, f"tail -F {log} never showed a line written to it"
        written += 1
        append(log, f"sync {written}\n")
        received = stream.next_line(0.1)
    while received != f"sync {written}":
        received = stream.next_line(20)
        assert received is not None, f"tail -F {log} stopped before sync line {written}"
    return stream


def append(log: Path, text: str) -> None:
    with log.open("a") as handle:
        handle.write(text)


def test_stream_yields_lines_and_close_stops_the_remote_command(manager, tmp_path):
    host = manager.host("medical-mechanica")
    log = tmp_path / "stream.log"
    with follow(host, log) as lines:
        append(log, "loss 1.0\nloss 0.9\n")
        assert [lines.next_line(20), lines.next_line(20)] == ["loss 1.0", "loss 0.9"]
    wait_for(lambda: not tail_processes(log), what="the remote tail to stop")
    assert lines.next_line(0) is None


def test_a_command_that_ends_ends_the_stream(manager):
    host = manager.host("medical-mechanica")
    with host.stream(["printf", "a\\nb\\n"], pty=False) as lines:
        assert list(lines) == ["a", "b"]
    assert lines.exit_status == 0


def test_a_stream_is_cancelled_with_its_job(manager, tmp_path):
    host = manager.host("medical-mechanica")
    context = JobContext()
    log = tmp_path / "quiet.log"
    with follow(host, log, ctx=context) as lines:
        threading.Timer(0.2, context.cancel).start()
        with pytest.raises(JobCancelled):
            lines.next_line()
    wait_for(lambda: not tail_processes(log), what="the remote tail to stop")


def test_a_dropped_connection_is_reopened_and_the_stream_restarted(own_manager, own_server,
                                                                   bus, tmp_path):
    spy = BusSpy(bus, RemoteConnectionChanged.topic)
    host = own_manager.host("medical-mechanica")
    log = tmp_path / "train.log"
    with follow(host, log) as lines:
        append(log, "before\n")
        assert lines.next_line(20) == "before"
        assert own_server.drop_connections() == 1  # the network drops the connection
        # Lines written while reconnecting may be missed (tail -n 0); keep writing until the
        # restarted command shows one.
        got = None
        for n in range(400):
            append(log, f"after {n}\n")
            got = lines.next_line(0.05)
            if got is not None:
                break
        assert got is not None and got.startswith("after ")
        assert lines.restarts == 1
    assert states(spy)[:2] == ["connecting", "connected"]
    assert "lost" in states(spy) and states(spy)[-1] in ("connected", "closed")
    assert own_server.connections() <= 1


# -- port forwarding -----------------------------------------------------------------------------
@pytest.fixture
def echo_server():
    """A TCP server on 127.0.0.1 that answers each line with ``echo: <line>``."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                continue
            with client:
                data = client.recv(1024)
                client.sendall(b"echo: " + data)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(5)
    listener.close()


def ask(port: int, text: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
        client.sendall(text)
        return client.recv(1024)


def test_a_forward_reaches_a_port_on_the_host_and_survives_a_reconnect(
        own_manager, own_server, echo_server):
    host = own_manager.host("medical-mechanica")
    forward = host.forward_local_port(echo_server)
    assert forward.local_port not in (0, echo_server)
    assert ask(forward.local_port, b"hello") == b"echo: hello"
    port = forward.local_port
    own_server.drop_connections()

    def answers() -> bool:
        try:
            return ask(port, b"again") == b"echo: again"
        except OSError:
            return False

    wait_for(answers, what="the forward to listen again after the reconnect")
    assert forward.local_port == port  # same URL as before
    forward.close()
    with pytest.raises(OSError):
        ask(port, b"closed")


# -- reconnect with backoff -----------------------------------------------------------------------
def test_a_host_that_stays_away_fails_after_the_backoff_then_recovers(own_manager, own_server,
                                                                      bus):
    spy = BusSpy(bus, RemoteConnectionChanged.topic)
    host = own_manager.host("medical-mechanica")
    assert host.run("echo up")[1].strip() == "up"
    own_server.stop()
    wait_for(lambda: "lost" in states(spy), what="the loss to be noticed")
    with pytest.raises(RemoteError, match="could not reconnect after 4 attempts"):
        host.run("echo still there?")
    attempts = [e.attempt for e in spy.of_type(RemoteConnectionChanged)
                if e.state == "reconnecting"]
    assert attempts == [1, 2, 3, 4]
    assert states(spy)[-1] == "failed" and host.state == "failed"
    own_server.restart()
    assert host.run("echo back")[1].strip() == "back"
    assert states(spy)[-1] == "connected"


def test_shutdown_closes_streams_forwards_and_the_loop(ssh_host, tmp_path, echo_server):
    manager = RemoteManager(sync_path=ssh_host.sync_path, nodes_path=tmp_path / "nodes.toml")
    host = manager.host("medical-mechanica")
    log = tmp_path / "x.log"
    lines = follow(host, log)
    forward = host.forward_local_port(echo_server)
    manager.shutdown()
    assert lines.next_line(5) is None
    wait_for(lambda: not tail_processes(log), what="the remote tail to stop")
    with pytest.raises(OSError):
        ask(forward.local_port, b"x")
    with pytest.raises(RemoteError, match="shutting down"):
        manager.host("medical-mechanica")
    assert not any(t.name == "studio-remote" for t in threading.enumerate())
    manager.shutdown()  # a second shutdown (the studio's, after a test's own) is harmless


def test_standalone_host_config_still_works(ssh_host):
    config: HostConfig = ssh_host.config
    from studio.core.remote_host import connected

    with connected(config) as host:
        assert host.run(["echo", "standalone"])[1] == "standalone\n"
