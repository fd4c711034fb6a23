"""Folder listings for the browser: classified entries in batches (Qt-free, off the UI thread).

A folder of 100k files must show its first rows at once, and sorting 100k names takes longer
than that on a busy machine. So :func:`stream_folder` hands out entries in the order the
directory yields them: the first batch after :data:`FIRST_BATCH` names (each ``stat``-ed and
classified), later ones bigger, each batch sorted within itself. The browser keeps its rows
sorted while they arrive (:mod:`~studio.plugins.context.folder_rows`). :func:`list_folder`
returns a whole folder sorted (the CLI, tests). Order everywhere: folders first, then by
case-folded name, then by code points (:func:`sort_key`).
"""

from __future__ import annotations

import operator
import os
import stat as stat_module
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from studio.api import format_bytes
from studio.plugins.context.kinds import (
    FileKind,
    FolderMark,
    classify,
    classify_by_magic,
    folder_mark,
)

__all__ = [
    "FIRST_BATCH",
    "Entry",
    "FolderSignature",
    "entries_named",
    "folder_signature",
    "format_size",
    "list_folder",
    "matches_filter",
    "sort_key",
    "stream_folder",
]

FIRST_BATCH = 200
BATCH = 2000
_MAGIC_PEEK = 16  # bytes read from files whose name gives no kind

FolderSignature = tuple[int, int, int] | None
_KEY = operator.attrgetter("key")


@dataclass(frozen=True, slots=True)
class Entry:
    """One row of the browser."""

    name: str
    path: str
    is_dir: bool
    key: str  # sort_key(name, is_dir)
    size: int  # bytes; -1 for folders
    mtime_ns: int
    kind: FileKind
    mark: FolderMark = FolderMark.NONE
    mark_reason: str = ""
    error: str = ""  # a stat that failed (a broken link, permission denied)

    @property
    def suffix(self) -> str:
        return os.path.splitext(self.name)[1].lower()


def folder_signature(path: str | os.PathLike[str]) -> FolderSignature:
    """Cheap change signature of a folder: adding, removing or renaming changes its mtime."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def sort_key(name: str, is_dir: bool) -> str:
    """The browser's order as one string (compared in C, unlike a tuple key): folders first,
    then the case-folded name, then the name itself (``\\0`` sorts below every character a
    file name can hold, so ``"a"`` comes before ``"ab"``)."""
    return ("0" if is_dir else "1") + name.casefold() + "\0" + name


def _entry(folder: str, name: str, is_dir: bool, root: Path | None, parent_name: str) -> Entry:
    full = os.path.join(folder, name)
    try:
        st = os.stat(full)
    except OSError as exc:
        kind = classify(name, is_dir=is_dir, parent=parent_name)
        return Entry(name, full, is_dir, sort_key(name, is_dir), -1, 0, kind,
                     error=exc.strerror or str(exc))
    is_dir = stat_module.S_ISDIR(st.st_mode)
    kind = classify(name, is_dir=is_dir, parent=parent_name)
    if is_dir:
        probe = frozenset(n for n in (".context", "trainer_state.json", "train.jsonl",
                                      "metadata.json", "val.jsonl")
                          if os.path.lexists(os.path.join(full, n)))
        mark, reason = folder_mark(Path(full), root, probe)
        return Entry(name, full, True, sort_key(name, True), -1, st.st_mtime_ns, kind, mark,
                     reason)
    if kind in (FileKind.BINARY, FileKind.TEXT) and st.st_size:
        kind = _peek_kind(full, kind)
    return Entry(name, full, False, sort_key(name, False), st.st_size, st.st_mtime_ns, kind)


def _peek_kind(path: str, fallback: FileKind) -> FileKind:
    try:
        with open(path, "rb") as handle:
            return classify_by_magic(handle.read(_MAGIC_PEEK), fallback)
    except OSError:
        return fallback


def stream_folder(path: str | os.PathLike[str], root: Path | None = None, *,
                  first_batch: int = FIRST_BATCH, batch: int = BATCH,
                  cancelled: Callable[[], bool] = lambda: False) -> Iterator[list[Entry]]:
    """Yield the folder's entries in batches, in directory order between batches and sorted
    (:func:`sort_key`) within each; the first after ``first_batch`` names.

    ``root``: the hafs root the folder lies in (its hafs folders are marked), or None. Raises
    OSError when the folder itself cannot be listed; entries that cannot be ``stat``-ed come
    back with ``error`` set rather than stopping the listing.
    """
    folder = os.fspath(path)
    parent_name = os.path.basename(folder.rstrip(os.sep))
    names: list[tuple[str, bool]] = []
    size = first_batch

    def entries() -> list[Entry]:
        chunk = [_entry(folder, name, is_dir, root, parent_name) for name, is_dir in names]
        chunk.sort(key=_KEY)
        names.clear()
        return chunk

    with os.scandir(folder) as scan:
        for dir_entry in scan:
            try:
                is_dir = dir_entry.is_dir()  # d_type: no stat unless the type is unknown
            except OSError:
                is_dir = False
            names.append((dir_entry.name, is_dir))
            if len(names) >= size:
                if cancelled():
                    return
                yield entries()
                size = batch
    if names and not cancelled():
        yield entries()


def entries_named(folder: str | os.PathLike[str], names: list[str], root: Path | None = None
                  ) -> tuple[list[Entry], list[str]]:
    """Fresh entries for ``names`` in ``folder`` (after a watch reported them), sorted, and
    the names that are gone meanwhile."""
    folder = os.fspath(folder)
    parent_name = os.path.basename(folder.rstrip(os.sep))
    found, gone = [], []
    for name in names:
        full = os.path.join(folder, name)
        if not os.path.lexists(full):
            gone.append(name)
            continue
        found.append(_entry(folder, name, os.path.isdir(full), root, parent_name))
    found.sort(key=_KEY)
    return found, gone


def list_folder(path: str | os.PathLike[str], root: Path | None = None) -> list[Entry]:
    """Every entry of a folder at once, sorted (the CLI and tests)."""
    entries = [entry for chunk in stream_folder(path, root) for entry in chunk]
    entries.sort(key=_KEY)
    return entries


def matches_filter(name: str, text: str) -> bool:
    """The browser's filter: every space-separated word occurs in the name (any case)."""
    lowered = name.casefold()
    return all(word in lowered for word in text.casefold().split())


def format_size(n: int) -> str:
    """``1536`` → ``"1.5 KiB"``; folders (-1) show nothing."""
    return "" if n < 0 else format_bytes(n)
