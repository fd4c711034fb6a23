"""Crash-safe file writes shared by every feature that writes user-visible files.

A write goes to a temporary file in the same directory, is fsynced, then renamed over the
target, so a reader (hafs, another studio window, the CLI) sees either the old or the new
content, never a torn file. Unreadable user files are preserved as ``.bak`` before a reset.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = [
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_writer",
    "backup_bytes",
    "backup_file",
]


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[IO]:
    """Yield a file object whose content replaces ``path`` atomically on success.

    On an exception inside the block the temporary file is removed and ``path`` is untouched.
    The original file's permission bits are kept.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_writer supports 'wb' and 'w', not {mode!r}")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        kwargs = {} if mode == "wb" else {"encoding": "utf-8", "newline": ""}
        with os.fdopen(fd, mode, **kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileNotFoundError):
            shutil.copymode(target, tmp)
        os.replace(tmp, target)
        _fsync_directory(target.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (temp file, fsync, rename)."""
    with atomic_writer(path, "wb") as handle:
        handle.write(data)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Replace ``path`` with UTF-8 ``text`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def backup_file(path: str | os.PathLike[str]) -> Path | None:
    """Copy ``path`` to ``path.bak`` (``.bak.1``, ``.bak.2`` … if taken) and return the copy.

    Used before a damaged user file is replaced by defaults, so nothing the user wrote is lost.
    Returns None when ``path`` does not exist.
    """
    source = Path(path)
    if not source.exists():
        return None
    candidate = _free_backup_name(source)
    shutil.copy2(source, candidate)
    return candidate


def backup_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Keep ``data`` (bytes read from ``path``) as ``path.bak`` (``.bak.1`` … if taken).

    For a file another program may be rewriting at this moment: the copy is exactly the bytes
    the caller judged, never whatever the file holds by the time it is copied.
    """
    candidate = _free_backup_name(Path(path))
    atomic_write_bytes(candidate, data)
    return candidate


def _free_backup_name(source: Path) -> Path:
    candidate = source.with_name(source.name + ".bak")
    counter = 1
    while candidate.exists():
        candidate = source.with_name(f"{source.name}.bak.{counter}")
        counter += 1
    return candidate


def _fsync_directory(directory: Path) -> None:
    # The rename is durable only once the directory entry is flushed (POSIX); Windows has no
    # directory handles to fsync, and there os.replace is already transactional enough.
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
