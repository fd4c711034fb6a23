"""File watcher: changes by other programs are seen, our own acknowledged writes are not."""

from __future__ import annotations

import threading

from studio.core.filewatch import FileWatcher


def test_create_modify_delete_and_acknowledge(tmp_path):
    watcher = FileWatcher()
    seen = []
    path = tmp_path / "registry.json"
    handle = watcher.watch(path, seen.append)
    assert watcher.poll() == 0
    path.write_text("{}")
    assert watcher.poll() == 1
    path.write_text('{"a": 1}')
    assert watcher.poll() == 1
    path.write_text('{"a": 2}')
    handle.acknowledge()
    assert watcher.poll() == 0
    path.unlink()
    assert watcher.poll() == 1
    handle.cancel()
    path.write_text("again")
    assert watcher.poll() == 0
    assert seen == [path, path, path]


def test_background_thread_reports_changes(tmp_path):
    watcher = FileWatcher(interval=0.02)
    changed = threading.Event()
    path = tmp_path / "f"
    watcher.watch(path, lambda p: changed.set())
    path.write_text("x")
    try:
        assert changed.wait(5)
    finally:
        watcher.stop()


def test_a_failing_callback_does_not_stop_others(tmp_path):
    watcher = FileWatcher()
    seen = []
    path = tmp_path / "f"
    watcher.watch(path, lambda p: 1 / 0)
    watcher.watch(path, seen.append)
    path.write_text("x")
    assert watcher.poll() == 2
    assert seen == [path]
