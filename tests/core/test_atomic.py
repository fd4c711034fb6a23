"""Atomic writes never leave a torn or partial file."""

from __future__ import annotations

import os

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
