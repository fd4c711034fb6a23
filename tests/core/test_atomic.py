"""Atomic writes never leave a torn or partial file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from studio.core.atomic import atomic_write_text, atomic_writer, backup_file


def test_replaces_content_and_keeps_mode(tmp_path):
    path = tmp_path / "f.txt"
    path.write_text("old")
    os.chmod(path, 0o640)
    atomic_write_text(path, "new ✓")
    assert path.read_text(encoding="utf-8") == "new ✓"
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_failure_inside_block_leaves_original_and_no_temp(tmp_path):
    path = tmp_path / "f.txt"
    path.write_text("original")
    with pytest.raises(RuntimeError), atomic_writer(path) as handle:
        handle.write(b"partial")
        raise RuntimeError("disk on fire")
    assert path.read_text() == "original"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_creates_parent_folders(tmp_path):
    atomic_write_text(tmp_path / "a" / "b" / "c.txt", "x")
    assert (tmp_path / "a" / "b" / "c.txt").read_text() == "x"


def test_backup_never_overwrites_an_older_backup(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text("v1")
    assert backup_file(path) == tmp_path / "settings.json.bak"
    path.write_text("v2")
    assert backup_file(path) == tmp_path / "settings.json.bak.1"
    assert (tmp_path / "settings.json.bak").read_text() == "v1"
    assert backup_file(tmp_path / "missing") is None


WRITER = """
import sys
from studio.core.atomic import atomic_writer

target, size = sys.argv[1], int(sys.argv[2])
with atomic_writer(target) as handle:
    handle.write(b"n" * (size // 2))
    handle.flush()
    print("half written", flush=True)
    sys.stdin.readline()  # the test kills us here, in the middle of the write
    handle.write(b"n" * (size - size // 2))
"""


def test_a_writer_killed_mid_write_leaves_the_old_file_whole(tmp_path):
    import signal
    import subprocess
    import sys

    target = tmp_path / "registry.json"
    old = b"o" * 3_000_000
    target.write_bytes(old)
    reader = open(target, "rb")  # noqa: SIM115 - held open across the kill on purpose
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(target), str(5_000_000)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert writer.stdout.readline() == b"half written\n"
        os.kill(writer.pid, signal.SIGKILL)
        assert writer.wait(timeout=30) == -signal.SIGKILL
    finally:
        writer.stdin.close()
        writer.stdout.close()
    assert target.read_bytes() == old  # never torn, never truncated
    assert reader.read() == old
    reader.close()
    # The half-written data went to a temp file of its own, not into the target.
    leftovers = [p for p in tmp_path.iterdir() if p != target]
    assert [p.stat().st_size for p in leftovers] == [2_500_000]


def test_a_write_replaces_the_file_and_never_rewrites_it_in_place(tmp_path):
    target = tmp_path / "registry.json"
    target.write_bytes(b"old content")
    before = os.stat(target)
    reader = open(target, "rb")  # noqa: SIM115 - what another program holding it open sees
    atomic_write_text(target, "new content")
    assert target.read_text() == "new content"
    assert os.stat(target).st_ino != before.st_ino  # a new file was renamed over the old one
    assert reader.read() == b"old content"  # the old one was never touched
    reader.close()


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to name an fd")
def test_data_is_fsynced_before_the_rename_and_the_folder_after(tmp_path, monkeypatch):
    import studio.core.atomic as atomic

    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(source, destination) -> None:
        events.append(("replace", f"{source} -> {destination}"))
        real_replace(source, destination)

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    monkeypatch.setattr(atomic.os, "replace", replace)
    target = tmp_path / "settings.json"
    atomic_write_text(target, "data")
    assert [kind for kind, _ in events] == ["fsync", "replace", "fsync"]
    temp = events[0][1]
    assert Path(temp).parent == tmp_path and Path(temp).name != target.name
    assert events[1][1] == f"{temp} -> {target}"
    assert events[2][1] == str(tmp_path)  # the directory entry is made durable too
