"""Remote logs over a real OpenSSH server on 127.0.0.1: mirrored byte for byte, followed over
one long-lived ``tail -F`` channel, truncation and replacement noticed, stopped with the tab."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from studio.api import JobState
from studio.plugins.logs.api import logs_service, open_remote_log
from studio.plugins.logs.remote import mirror_path
from studio.plugins.logs.service import LogOpenRequested
from studio.testing.sshd import commands_running, wait_for


def remote_tails(path) -> list:
    return commands_running("tail", path)


@pytest.fixture
def host(studio, ssh_host):
    return studio.services.remote.host_for(ssh_host.config)


def test_a_remote_log_is_mirrored_followed_and_stopped_with_its_tab(studio, host, tmp_path
                                                                    ) -> None:
    remote = tmp_path / "node" / "train.log"
    remote.parent.mkdir()
    first = b"2025-01-01 00:00:00,000 - trainer - INFO - start\n 10%|# | 1/10\r 20%|## | 2/10\r"
    remote.write_bytes(first + b"bad \xff byte\n")
    job = open_remote_log(studio, host, str(remote))
    local = job.future.result(timeout=60)
    service = logs_service(studio)
    assert local == mirror_path(service.cache_dir, host.name, str(remote))
    assert local.read_bytes() == remote.read_bytes()  # \r and invalid bytes as written
    assert [(p.path, p.follow) for p in service.take_pending()] == [(str(local), True)]
    assert service.remote_label(local) == f"{host.name}:{remote}"
    wait_for(lambda: remote_tails(remote), what="the remote tail -F")

    with remote.open("ab") as handle:  # appended lines arrive
        handle.write(b"2025-01-01 00:00:01,000 - trainer - WARNING - loss spike\n")
    wait_for(lambda: local.read_bytes() == remote.read_bytes(), what="the append")

    inode = local.stat().st_ino
    remote.write_bytes(b"after copytruncate\n")  # shorter: truncated
    wait_for(lambda: local.read_bytes() == b"after copytruncate\n", what="the truncation")
    assert local.stat().st_ino != inode  # a new mirror file: the viewer marks it

    inode = local.stat().st_ino
    rotated = b"x" * 200 + b" a new file, longer than the old one\n"
    os.rename(remote, remote.with_suffix(".log.1"))  # rotation: rename + a new file
    remote.write_bytes(rotated)
    wait_for(lambda: local.read_bytes() == rotated, what="the rotation")
    assert local.stat().st_ino != inode

    service.document_closed(local)  # the tab closed: the remote tail is hung up
    wait_for(lambda: not remote_tails(remote), what="the remote tail to stop")
    assert service.remote_label(local) is None


def test_opening_it_again_brings_the_tab_forward(studio, bus_spy, host, tmp_path) -> None:
    remote = tmp_path / "serve.log"
    remote.write_text("INFO: started\n")
    local = open_remote_log(studio, host, str(remote)).future.result(timeout=60)
    assert open_remote_log(studio, host, str(remote)) is None  # no second mirror
    assert [e.path for e in bus_spy.of_type(LogOpenRequested)] == [str(local)] * 2


def test_a_missing_remote_file_fails_the_job_naming_host_and_path(studio, host, tmp_path
                                                                  ) -> None:
    missing = tmp_path / "nope.log"
    job = open_remote_log(studio, host, str(missing))
    job.future.result(timeout=60)
    assert job.state is JobState.FAILED and f"{host.name}:{missing}" in job.error
    assert logs_service(studio).remote_label(
        mirror_path(logs_service(studio).cache_dir, host.name, str(missing))) is None


def test_a_host_by_name_from_sync_toml(studio, ssh_host, tmp_path) -> None:
    studio.services.remote.sync_path.parent.mkdir(parents=True, exist_ok=True)
    studio.services.remote.sync_path.write_text(ssh_host.sync_path.read_text())
    remote = tmp_path / "named.log"
    remote.write_text("INFO: hello\n")
    job = open_remote_log(studio, ssh_host.name, str(remote), follow=False)
    assert job.future.result(timeout=60).read_text() == "INFO: hello\n"


def test_an_unknown_host_key_is_refused(studio, ssh_host, tmp_path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    stranger = studio.services.remote.host_for(ssh_host.config, known_hosts=empty)
    remote = tmp_path / "secret.log"
    remote.write_text("INFO: nothing to see\n")
    job = open_remote_log(studio, stranger, str(remote))
    job.future.result(timeout=60)
    assert job.state is JobState.FAILED and "host key" in job.error.lower(), job.error


def test_mirror_paths_stay_in_the_cache(tmp_path) -> None:
    inside = mirror_path(tmp_path, "node-1", "../../../etc/passwd")
    assert inside.is_relative_to(tmp_path / "remote" / "node-1") and inside.name == "passwd"
    assert mirror_path(tmp_path, "n", "/a/b/run.log") != mirror_path(tmp_path, "n", "/c/run.log")
    for bad_host in ("../x", "a/b", "", "-x"):
        with pytest.raises(ValueError, match="invalid host name"):
            mirror_path(tmp_path, bad_host, "/var/log/x.log")
    with pytest.raises(ValueError, match="invalid remote path"):
        mirror_path(tmp_path, "node", "  ")


def test_the_logs_view_opens_follows_and_closes_a_remote_log(qtbot, studio, ssh_host,
                                                            tmp_path) -> None:
    from studio.plugins.logs.widgets.logs_view import LogsView
    from studio.shell.api import ViewContext

    studio.services.remote.sync_path.parent.mkdir(parents=True, exist_ok=True)
    studio.services.remote.sync_path.write_text(ssh_host.sync_path.read_text())
    remote = tmp_path / "node" / "serve.log"
    remote.parent.mkdir()
    remote.write_text("INFO:     Started server process\n")
    view = LogsView(ViewContext(studio, None, None, "logs.viewer"))
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()

    dialog = view.open_remote_dialog()
    assert dialog.host.currentText() == ssh_host.name
    dialog.path.setText(str(tmp_path / "node" / "missing.log"))
    dialog.accept()
    qtbot.waitUntil(view.banner.isVisible, timeout=30_000)
    assert f"{ssh_host.name}:{tmp_path}/node/missing.log" in view.banner.text()

    dialog = view.open_remote_dialog()
    dialog.path.setText(str(remote))
    dialog.accept()
    qtbot.waitUntil(lambda: view.tabs.count() == 1, timeout=30_000)
    tab = view.current_tab()
    assert view.tabs.tabToolTip(0) == f"{ssh_host.name}:{remote}"
    assert tab.follow
    wait_for(lambda: remote_tails(remote), what="the remote tail -F")
    with remote.open("a") as handle:
        handle.write('INFO:     127.0.0.1:5000 - "POST /v1/completions HTTP/1.1" 200 OK\n')
    qtbot.waitUntil(lambda: tab.doc.line_count == 2 and tab.view.at_bottom(), timeout=30_000)
    view.close_tab(0)
    wait_for(lambda: not remote_tails(remote), what="the remote tail to stop")


def test_logs_view_with_a_host_opens_the_remote_log_at_a_line(studio, ssh_host, bus_spy,
                                                              tmp_path) -> None:
    from studio.plugins.logs.view_command import view_options

    studio.services.remote.sync_path.parent.mkdir(parents=True, exist_ok=True)
    studio.services.remote.sync_path.write_text(ssh_host.sync_path.read_text())
    remote = tmp_path / "node.log"
    remote.write_text("".join(f"INFO: line {i}\n" for i in range(1, 101)))
    options = view_options([str(remote), "--host", ssh_host.name, "--line", "40"])
    assert options.workspace == "logs"
    for action in options.after_start:
        action(studio)
    wait_for(lambda: bus_spy.of_type(LogOpenRequested), what="the mirror to open")
    request = bus_spy.of_type(LogOpenRequested)[0]
    assert request.line == 39 and request.path.endswith("/node.log")
    assert Path(request.path).read_bytes() == remote.read_bytes()  # whole before the tab opens


def test_logs_view_refuses_a_bad_host_name_before_any_window(capsys) -> None:
    from studio.plugins.logs.view_command import view_options

    assert view_options(["/var/log/x.log", "--host", "../etc"]) == 2
    assert "invalid host name '../etc'" in capsys.readouterr().err
