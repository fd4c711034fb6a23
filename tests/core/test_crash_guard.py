"""The crash guard names the plugin that was running, and only when it really died."""

from __future__ import annotations

import os

import orjson

from studio.core.crash_guard import CrashGuard


def test_a_guard_left_by_a_dead_process_is_reported_once(tmp_path):
    path = tmp_path / "guard.json"
    path.write_bytes(orjson.dumps({"plugin": "gpu-charts", "phase": "load", "pid": 2**22 + 7}))
    report = CrashGuard(path).previous_crash
    assert (report.plugin, report.phase) == ("gpu-charts", "load")
    assert not path.exists()
    assert CrashGuard(path).previous_crash is None


def test_a_guard_of_a_live_studio_starting_now_is_left_alone(tmp_path):
    path = tmp_path / "guard.json"
    payload = orjson.dumps({"plugin": "models", "phase": "activate", "pid": os.getppid()})
    path.write_bytes(payload)
    assert CrashGuard(path).previous_crash is None
    assert path.read_bytes() == payload


def test_damaged_or_empty_guards_blame_nobody(tmp_path):
    path = tmp_path / "guard.json"
    for content in (b"", b"{not json", b'{"plugin": "x"}'):
        path.write_bytes(content)
        assert CrashGuard(path).previous_crash is None
        assert not path.exists()


def test_enter_exit_close(tmp_path):
    path = tmp_path / "state" / "guard.json"
    guard = CrashGuard(path)
    guard.enter("models", "load")
    assert orjson.loads(path.read_bytes())["plugin"] == "models"
    guard.enter("themes", "activate")
    assert orjson.loads(path.read_bytes()) == {
        "plugin": "themes", "phase": "activate", "pid": os.getpid()
    }
    guard.exit()
    assert path.read_bytes() == b""
    guard.close()
    assert not path.exists()
    CrashGuard(None).enter("x", "load")  # disabled guard: nothing to do, nothing raised
