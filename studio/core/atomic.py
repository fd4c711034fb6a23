"""Crash-safe file writes shared by every feature that writes user-visible files.

A write goes to a temporary file in the same directory, is fsynced, then renamed over the
target, so a reader (hafs, another studio window, the CLI) sees either the old or the new
content, never a torn file. Unreadable user files are preserved as ``.bak`` before a reset.

Big outputs (a converted GGUF, a quantized model) are written by code that wants a *path*, often
a child process, not a file object: :func:`partial_output` hands out ``<path>.partial`` and
renames it onto ``path`` only when the block succeeds, so a failure, a cancel or a crash never
leaves a complete-looking file behind.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = [
    "NoOutputError",
    "OutputBusyError",
    "OutputExistsError",
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_writer",
    "backup_bytes",
    "backup_file",
    "partial_output",
]

PARTIAL_SUFFIX = ".partial"


class _PathMessage:
    """``<path>: <what happened>`` rather than ``[Errno 17] …: '<path>'``."""

    def __str__(self) -> str:
        return f"{self.filename}: {self.strerror}"  # type: ignore[attr-defined]


class OutputExistsError(_PathMessage, FileExistsError):
    """The output already exists and the caller did not allow replacing it."""


class NoOutputError(_PathMessage, FileNotFoundError):
    """The writer inside :func:`partial_output` finished without writing anything."""


class OutputBusyError(_PathMessage, OSError):
    """Another writer (another job or studio) is producing the same output right now."""


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


@contextlib.contextmanager
def partial_output(path: str | os.PathLike[str], overwrite: bool = False) -> Iterator[Path]:
    """Yield ``<path>.partial`` to write; on success it becomes ``path``, else it is deleted.

    * ``path`` existing already is an :class:`OutputExistsError` (before any work is done, and
      again at the rename, where it cannot race) unless ``overwrite`` is true.
    * On success the partial file is fsynced (the writer may have been a child process that
      never syncs), renamed onto ``path`` and the directory entry flushed.
    * On any exception, ``JobCancelled`` and ``KeyboardInterrupt`` included, the partial file is
      deleted and ``path`` is untouched.
    * An empty or missing partial file after the block counts as a failure (a writer that
      silently produced nothing): for big outputs an empty file is never the right result.
    * A second writer of the same output while one is active is an :class:`OutputBusyError`
      (POSIX advisory lock on the partial file, which is created empty before the block); a
      partial left by a crash is simply replaced.
    """
    target = Path(path)
    if not overwrite and target.exists():
        raise OutputExistsError(
            errno.EEXIST, "the output exists already; allow overwriting to replace it", str(target)
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + PARTIAL_SUFFIX)
    with _exclusive(partial):
        try:
            yield partial
            if not partial.is_file() or partial.stat().st_size == 0:
                raise NoOutputError(
                    errno.ENOENT, "the writer finished without producing any output", str(partial)
                )
            _fsync_file(partial)
            _publish(partial, target, overwrite)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
            raise


@contextlib.contextmanager
def _exclusive(partial: Path) -> Iterator[None]:
    """Hold an advisory lock on ``partial`` (created empty) so two writers never share it."""
    if os.name != "posix":  # Windows: byte-range locks would block the writer itself
        yield
        return
    import fcntl

    fd = os.open(partial, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputBusyError(
                errno.EBUSY, "another job is writing this output right now", str(partial)
            ) from None
        yield
    finally:
        os.close(fd)  # releases the lock


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _publish(partial: Path, target: Path, overwrite: bool) -> None:
    """Rename ``partial`` onto ``target``; without ``overwrite`` never replace a file that
    appeared meanwhile (a hard link fails on an existing name, where a rename would not)."""
    if overwrite:
        os.replace(partial, target)
    else:
        try:
            os.link(partial, target)
        except FileExistsError:
            raise OutputExistsError(
                errno.EEXIST, "the output appeared while it was being written; not replaced",
                str(target),
            ) from None
        except OSError:  # no hard links here (FAT, some SMB shares): check, then rename
            if target.exists():
                raise OutputExistsError(
                    errno.EEXIST, "the output appeared while it was being written; not replaced",
                    str(target),
                ) from None
            os.rename(partial, target)
        else:
            partial.unlink()
    _fsync_directory(target.parent)


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
