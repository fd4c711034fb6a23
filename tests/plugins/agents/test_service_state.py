"""hafs managed services as the init system reports them (systemd user units, launchd)."""

from __future__ import annotations

import shutil

import pytest

from studio.plugins.agents.service_state import (
    launchd_plist,
    parse_launchctl_list,
    parse_systemctl_show,
    query_service,
    systemd_unit_file,
)


def test_nothing_is_asked_about_a_service_that_is_not_installed(tmp_path):
    calls = []
    assert query_service("autonomy-daemon", tmp_path, run=calls.append) is None
    assert query_service("autonomy-daemon", tmp_path, platform="darwin",
                         run=calls.append) is None
    assert calls == []


@pytest.mark.skipif(shutil.which("systemctl") is None, reason="systemctl is not installed")
def test_real_systemctl_answer_or_its_error_is_reported(tmp_path):
    unit = systemd_unit_file(tmp_path, "autonomy-daemon")
    unit.parent.mkdir(parents=True)
    unit.write_text("[Service]\nExecStart=/bin/true\n")
    state = query_service("autonomy-daemon", tmp_path, platform="linux")
    assert state.manager == "systemd" and state.unit == "hafs-autonomy-daemon"
    # Either a user bus answered (then a state), or systemctl said why it could not.
    assert state.error or state.state in ("running", "stopped", "failed", "starting",
                                          "stopping", "unknown")


def test_a_missing_tool_is_an_error_not_an_exception(tmp_path):
    plist = launchd_plist(tmp_path, "embedding-daemon")
    plist.parent.mkdir(parents=True)
    plist.write_text("<plist/>")
    state = query_service("embedding-daemon", tmp_path, platform="darwin",
                          which=lambda _name: None)
    assert state.state == "unknown" and state.error == "launchctl is not on PATH"


def test_systemctl_show_output():
    state = parse_systemctl_show("hafs-autonomy-daemon",
                                 "ActiveState=active\nMainPID=4242\nExecMainStatus=0\n")
    assert (state.state, state.pid, state.last_exit_code) == ("running", 4242, 0)
    failed = parse_systemctl_show("u", "ActiveState=failed\nMainPID=0\nExecMainStatus=1\n")
    assert (failed.state, failed.pid, failed.last_exit_code) == ("failed", None, 1)


def test_launchctl_list_output():
    running = parse_launchctl_list("com.hafs.x", '{\n\t"PID" = 512;\n\t"LastExitStatus" = 0;\n};')
    assert (running.state, running.pid) == ("running", 512)
    crashed = parse_launchctl_list("com.hafs.x", '{\n\t"LastExitStatus" = 256;\n};')
    assert (crashed.state, crashed.last_exit_code) == ("failed", 256)
