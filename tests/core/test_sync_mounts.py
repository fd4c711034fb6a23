"""Remote paths below a sync.toml mount: hafs's prefix rule, with boundaries and Windows forms."""

from __future__ import annotations

import pytest

from studio.core.sync_mounts import remote_path_below


@pytest.mark.parametrize(("prefix", "path", "rest"), [
    ("D:/hafs_training", "D:/hafs_training/models/x", "models/x"),
    ("D:/hafs_training", "D:\\hafs_training\\models\\x", "models/x"),
    ("D:/hafs_training", "d:/HAFS_training/Models/x", "Models/x"),  # NTFS ignores case
    ("D:\\hafs_training\\", "D:/hafs_training/x", "x"),
    ("D:/hafs_training/", "D:/hafs_training", ""),
    ("D:/", "D:/hafs_training/x", "hafs_training/x"),
    ("/mnt/storage/hafs", "/mnt/storage/hafs/models/x", "models/x"),
    ("/mnt/storage/hafs", "/mnt/storage/hafs//models/./x", "models/x"),
    ("/", "/mnt/x", "mnt/x"),
])
def test_below(prefix: str, path: str, rest: str):
    assert remote_path_below(prefix, path) == rest


@pytest.mark.parametrize(("prefix", "path"), [
    ("D:/hafs_training", "D:/hafs_training2/models/x"),  # hafs maps this to <local>/2/...
    ("D:/hafs_training", "E:/hafs_training/x"),
    ("D:/hafs_training", "D:/hafs"),
    ("/mnt/storage/hafs", "/mnt/Storage/hafs/x"),  # POSIX paths keep their case
    ("/mnt/storage/hafs", "mnt/storage/hafs/x"),
    ("D:/hafs_training", "/D/hafs_training/x"),
    ("", "D:/x"),
])
def test_not_below(prefix: str, path: str):
    assert remote_path_below(prefix, path) is None
