"""Atomic writes never leave a torn or partial file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from studio.core.atomic import (
    NoOutputError,
    OutputBusyError,
    OutputExistsError,
    atomic_write_text,
    atomic_writer,
    backup_file,
    partial_output,
)
from studio.core.jobs import JobCancelled


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


# -- partial_output: big outputs written by path (often by a child process) -----------------
def test_partial_output_renames_on_success_only(tmp_path):
    target = tmp_path / "model.gguf"
    with partial_output(target) as partial:
        assert partial == tmp_path / "model.gguf.partial"
        # The writer is another program, as llama.cpp's quantizer is.
        subprocess.run([sys.executable, "-c", "import sys; open(sys.argv[1], 'wb')"
                        ".write(b'GGUF' * 1000)", str(partial)], check=True)
        assert not target.exists()  # nothing under the real name while writing
    assert target.read_bytes() == b"GGUF" * 1000
    assert [p.name for p in tmp_path.iterdir()] == ["model.gguf"]


@pytest.mark.parametrize("error", [RuntimeError("writer crashed"), JobCancelled(),
                                   KeyboardInterrupt()])
def test_partial_output_is_deleted_on_failure_and_cancel(tmp_path, error):
    target = tmp_path / "model.gguf"
    with pytest.raises(type(error)), partial_output(target) as partial:
        partial.write_bytes(b"half a model")
        raise error
    assert list(tmp_path.iterdir()) == []


def test_partial_output_never_overwrites_without_permission(tmp_path):
    target = tmp_path / "model.gguf"
    target.write_bytes(b"the user's model")
    entered = []
    with pytest.raises(OutputExistsError, match="exists already") as refused, \
            partial_output(target) as partial:
        entered.append(partial)  # pragma: no cover - must not run
    assert entered == [] and refused.value.filename == str(target)
    assert target.read_bytes() == b"the user's model"
    with partial_output(target, overwrite=True) as partial:
        partial.write_bytes(b"new model")
    assert target.read_bytes() == b"new model"
    assert [p.name for p in tmp_path.iterdir()] == ["model.gguf"]


def test_an_output_appearing_meanwhile_is_not_replaced(tmp_path):
    target = tmp_path / "model.gguf"
    with pytest.raises(OutputExistsError, match="appeared while"), \
            partial_output(target) as partial:
        partial.write_bytes(b"ours")
        target.write_bytes(b"someone else's")
    assert target.read_bytes() == b"someone else's"
    assert [p.name for p in tmp_path.iterdir()] == ["model.gguf"]


def test_a_writer_that_writes_nothing_fails(tmp_path):
    target = tmp_path / "model.gguf"
    with pytest.raises(NoOutputError), partial_output(target):
        pass
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.name != "posix", reason="advisory locks are POSIX-only")
def test_two_writers_of_one_output_do_not_mix(tmp_path):
    target = tmp_path / "model.gguf"
    with partial_output(target) as partial:
        second = partial_output(target)
        with pytest.raises(OutputBusyError, match="another job"):
            second.__enter__()
        assert partial.exists()  # the second writer did not delete the first one's file
        partial.write_bytes(b"first")
    assert target.read_bytes() == b"first"


def test_a_partial_left_by_a_crash_is_replaced(tmp_path):
    target = tmp_path / "model.gguf"
    (tmp_path / "model.gguf.partial").write_bytes(b"stale bytes from a crash" * 100)
    with partial_output(target) as partial:
        partial.write_bytes(b"fresh")  # writers truncate, as GGUFWriter does
    assert target.read_bytes() == b"fresh"
