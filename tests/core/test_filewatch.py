"""File watcher: changes by other programs are seen, our own acknowledged writes are not."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from studio.core.events import EventBus
from studio.core.filewatch import FileWatcher, FileWatchError, FolderChange
from studio.testing import BusSpy


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


# -- folders ------------------------------------------------------------------------------------
def changes_of(watcher: FileWatcher, path, **options) -> list[FolderChange]:
    seen: list[FolderChange] = []
    watcher.watch_folder(path, seen.append, **options)
    return seen


def names(paths) -> list[str]:
    return [p.name for p in paths]


def test_folder_entries_added_removed_and_modified(tmp_path):
    runs = tmp_path / "run"
    runs.mkdir()
    (runs / "checkpoint-100").mkdir()
    (runs / "train.log").write_text("step 1\n")
    watcher = FileWatcher()
    seen = changes_of(watcher, runs)
    assert watcher.poll() == 0  # the first listing is the baseline
    (runs / "checkpoint-200").mkdir()
    (runs / "eval.log").write_text("")
    with (runs / "train.log").open("a") as log:
        log.write("step 2\n")
    assert watcher.poll() == 1
    change = seen[-1]
    assert change.folder == runs
    assert names(change.added) == ["checkpoint-200", "eval.log"]
    assert names(change.modified) == ["train.log"] and change.removed == ()
    (runs / "checkpoint-100").rmdir()
    assert watcher.poll() == 1 and names(seen[-1].removed) == ["checkpoint-100"]
    assert watcher.poll() == 0


def test_a_change_in_the_same_clock_tick_as_the_listing_is_seen_at_the_next_poll(tmp_path):
    runs = tmp_path / "run"
    runs.mkdir()
    (runs / "train.log").write_text("")
    watcher = FileWatcher()
    seen = changes_of(watcher, runs)
    assert watcher.poll() == 0  # the baseline
    listed = os.stat(runs)
    (runs / "eval.log").write_text("")
    # File times tick coarsely: the folder's mtime may not move for a change made in the tick
    # of the listing. Force that tie; the change must still be seen now, not at the 5 s rescan.
    os.utime(runs, ns=(listed.st_atime_ns, listed.st_mtime_ns))
    assert watcher.poll() == 1 and names(seen[-1].added) == ["eval.log"]


def test_glob_recursion_and_names_only_mode(tmp_path):
    root = tmp_path / "logs"
    (root / "a").mkdir(parents=True)
    watcher = FileWatcher()
    logs = changes_of(watcher, root, pattern=["*.log", "*.jsonl"], recursive=True)
    top_only = changes_of(watcher, root, pattern="*.log", track_modified=False)
    (root / "a" / "deep.log").write_text("x")
    (root / "a" / "metrics.jsonl").write_text("{}")
    (root / "notes.txt").write_text("ignored")
    (root / "top.log").write_text("x")
    watcher.poll()
    assert names(logs[-1].added) == ["deep.log", "metrics.jsonl", "top.log"]
    assert names(top_only[-1].added) == ["top.log"]
    (root / "top.log").write_text("longer now")  # modified: only the tracking watch says so
    watcher.poll()
    assert names(logs[-1].modified) == ["top.log"] and len(top_only) == 1


def test_a_folder_that_appears_later_reports_its_entries(tmp_path):
    future = tmp_path / "not-yet"
    watcher = FileWatcher()
    seen = changes_of(watcher, future)
    assert watcher.poll() == 0  # missing from the start: waiting quietly, no error
    future.mkdir()
    (future / "adapter_model.safetensors").write_bytes(b"x")
    assert watcher.poll() == 1 and names(seen[0].added) == ["adapter_model.safetensors"]


def test_each_watch_keeps_its_own_interval(tmp_path):
    watcher = FileWatcher(interval=60)
    fast, slow = [], []
    watcher.watch(tmp_path / "fast", fast.append, interval=0.01)
    watcher.watch_folder(tmp_path, slow.append, interval=60)
    (tmp_path / "fast").write_text("x")
    try:
        deadline = time.monotonic() + 10
        while not fast and time.monotonic() < deadline:
            time.sleep(0.01)
        assert fast[0] == tmp_path / "fast"  # the thread polled it long before 60 s
        assert slow == []  # the folder watch is not due yet
        watcher.poll()  # a poll by hand checks every watch, due or not
        assert names(slow[0].added) == ["fast"]
    finally:
        watcher.stop()


def test_a_vanished_folder_is_an_error_not_a_mass_removal(tmp_path):
    bus = EventBus()
    spy = BusSpy(bus, FileWatchError.topic)
    watched = tmp_path / "mm-d"
    watched.mkdir()
    (watched / "checkpoint-1").mkdir()
    watcher = FileWatcher(bus=bus)
    seen = changes_of(watcher, watched, owner="training")
    watched.rename(tmp_path / "elsewhere")  # the share dropped
    assert watcher.poll() == 0 and watcher.poll() == 0
    (error,) = spy.of_type(FileWatchError)  # said once, not once per poll
    assert (error.kind, error.path, error.owner, error.recovered) == (
        "vanished", str(watched), "training", False)
    (tmp_path / "elsewhere").rename(watched)
    (watched / "checkpoint-2").mkdir()
    assert watcher.poll() == 1
    assert names(seen[-1].added) == ["checkpoint-2"] and seen[-1].removed == ()
    assert spy.of_type(FileWatchError)[-1].recovered


@pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="mounting needs root")
def test_an_unmounted_share_is_an_error_not_a_mass_removal(tmp_path):
    mount_point = tmp_path / "Mounts" / "mm-d"
    mount_point.mkdir(parents=True)
    if subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(mount_point)],
                      capture_output=True, check=False).returncode:
        pytest.skip("this container does not allow mounting")
    try:
        for name in ("checkpoint-100", "checkpoint-200"):
            (mount_point / name).mkdir()
        bus = EventBus()
        spy = BusSpy(bus, FileWatchError.topic)
        watcher = FileWatcher(bus=bus)
        seen = changes_of(watcher, mount_point)
        share_root = os.stat(mount_point)
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)
    # Now an empty folder of the parent file system, as after an SMB share dropped. Give it the
    # share's mtime: file times tick coarsely, and a CI run made exactly this tie (the folder
    # made and the share filled within one tick), so the change of device alone must tell.
    os.utime(mount_point, ns=(share_root.st_atime_ns, share_root.st_mtime_ns))
    assert watcher.poll() == 0 and seen == []
    (error,) = spy.of_type(FileWatchError)
    assert error.kind == "vanished" and "mount" in error.message


PERMISSION_PROBE = """
import json, os, sys
from pathlib import Path
from studio.core.events import EventBus
from studio.core.filewatch import FileWatcher, FileWatchError
folder = Path(sys.argv[1])
bus, events = EventBus(), []
bus.subscribe(FileWatchError.topic, events.append, thread="publisher")
watcher, seen = FileWatcher(bus=bus), []
watcher.watch_folder(folder, seen.append)
(folder / "a.log").write_text("x")
os.chmod(folder, 0)
watcher.poll(); watcher.poll()
os.chmod(folder, 0o755)
watcher.poll()
print(json.dumps({"events": [[e.kind, e.recovered] for e in events],
                  "added": [p.name for c in seen for p in c.added]}))
"""


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_permission_denied_is_published_and_recovers(tmp_path):
    folder = tmp_path / "private"
    folder.mkdir()
    command = [sys.executable, "-c", PERMISSION_PROBE, str(folder)]
    if os.geteuid() == 0:
        # Root reads everything: run the probe as root without the capabilities that bypass
        # file permissions, so a chmod 000 folder really is unreadable to it.
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv (util-linux) to drop capabilities")
        command = [setpriv, "--bounding-set", "-dac_override,-dac_read_search", *command]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    report = json.loads(result.stdout)
    assert report["events"] == [["permission", False], ["permission", True]]
    assert report["added"] == ["a.log"]  # nothing reported removed while unreadable


def test_a_failing_folder_callback_is_published(tmp_path):
    bus = EventBus()
    spy = BusSpy(bus, FileWatchError.topic)
    watcher = FileWatcher(bus=bus)
    watcher.watch_folder(tmp_path, lambda change: 1 / 0, owner="logs")
    (tmp_path / "x").write_text("")
    watcher.poll()
    (error,) = spy.of_type(FileWatchError)
    assert (error.kind, error.owner) == ("callback", "logs")
    assert "ZeroDivisionError" in error.message


def test_cancel_owned_stops_a_plugins_watches(tmp_path):
    watcher = FileWatcher(owner_of=lambda: "training")
    seen = []
    watcher.watch(tmp_path / "f", seen.append)
    watcher.watch_folder(tmp_path, seen.append, owner="logs")
    assert watcher.cancel_owned("training") == 1
    (tmp_path / "f").write_text("x")
    watcher.poll()
    assert len(seen) == 1 and isinstance(seen[0], FolderChange)


def test_a_big_folder_is_swept_in_slices_while_hot_files_are_checked_every_poll(tmp_path):
    from studio.core.folderwatch import SWEEP_POLLS

    for n in range(1000):
        (tmp_path / f"checkpoint-{n:04d}.json").write_text("{}")
    watcher = FileWatcher()
    seen = changes_of(watcher, tmp_path)
    cold = tmp_path / "checkpoint-0500.json"
    cold.write_text('{"step": 500}')  # untouched since the watch began: found by the sweep
    polls = 0
    while not seen and polls < SWEEP_POLLS:
        watcher.poll()
        polls += 1
    assert names(seen[-1].modified) == ["checkpoint-0500.json"]
    log = tmp_path / "train.log"
    log.write_text("step 1\n")
    watcher.poll()
    assert names(seen[-1].added) == ["train.log"]
    for step in (2, 3):  # a file being written is checked on every poll
        with log.open("a") as handle:
            handle.write(f"step {step}\n")
        assert watcher.poll() == 1 and names(seen[-1].modified) == ["train.log"]
    with cold.open("a") as handle:  # changed recently, so hot too
        handle.write(" ")
    assert watcher.poll() == 1 and names(seen[-1].modified) == ["checkpoint-0500.json"]
