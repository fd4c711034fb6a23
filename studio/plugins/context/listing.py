"""Folder listings for the browser: sorted, classified, in batches (Qt-free, off the UI thread).

A folder of 100k files must show its first rows at once. ``scandir`` names and types come
without a ``stat`` per entry (``d_type``), so the whole folder is named and sorted first
(tens of ms), then entries are stat'ed and handed out in batches, the first one small. The
tree model inserts batches as the view asks for them (``canFetchMore``/``fetchMore``).
"""

from __future__ import annotations

import os
import stat as stat_module
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

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
    "folder_signature",
    "format_size",
    "iter_folder",
    "list_folder",
    "matches_filter",
]

FIRST_BATCH = 200
BATCH = 2000
_MAGIC_PEEK = 16  # bytes read from files whose name gives no kind

FolderSignature = tuple[int, int, int] | None


@dataclass(frozen=True, slots=True)
class Entry:
    """One row of the browser."""

    name: str
    path: str
    is_dir: bool
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


def _names(path: str) -> list[tuple[str, bool]]:
    """(name, is_dir), folders first, then by case-folded name.

    Folders and files are sorted apart with a C-level key (``str.casefold``): building a
    tuple key per entry made sorting 100k names several times slower than listing them.
    """
    folders: list[str] = []
    files: list[str] = []
    with os.scandir(path) as scan:
        for dir_entry in scan:
            try:
                is_dir = dir_entry.is_dir()  # d_type: no stat unless the type is unknown
            except OSError:
                is_dir = False
            (folders if is_dir else files).append(dir_entry.name)
    folders.sort()
    folders.sort(key=str.casefold)  # stable: equal case-folded names keep code-point order
    files.sort()
    files.sort(key=str.casefold)
    return [(name, True) for name in folders] + [(name, False) for name in files]


def _entry(folder: str, name: str, is_dir: bool, root: Path | None, parent_name: str) -> Entry:
    full = os.path.join(folder, name)
    try:
        st = os.stat(full)
    except OSError as exc:
        kind = classify(name, is_dir=is_dir, parent=parent_name)
        return Entry(name, full, is_dir, -1, 0, kind, error=exc.strerror or str(exc))
    is_dir = stat_module.S_ISDIR(st.st_mode)
    kind = classify(name, is_dir=is_dir, parent=parent_name)
    if is_dir:
        probe = frozenset(n for n in (".context", "trainer_state.json", "train.jsonl",
                                      "metadata.json", "val.jsonl")
                          if os.path.lexists(os.path.join(full, n)))
        mark, reason = folder_mark(Path(full), root, probe)
        return Entry(name, full, True, -1, st.st_mtime_ns, kind, mark, reason)
    if kind in (FileKind.BINARY, FileKind.TEXT) and st.st_size:
        kind = _peek_kind(full, kind)
    return Entry(name, full, False, st.st_size, st.st_mtime_ns, kind)


def _peek_kind(path: str, fallback: FileKind) -> FileKind:
    try:
        with open(path, "rb") as handle:
            return classify_by_magic(handle.read(_MAGIC_PEEK), fallback)
    except OSError:
        return fallback


def iter_folder(path: str | os.PathLike[str], root: Path | None = None, *,
                first_batch: int = FIRST_BATCH, batch: int = BATCH,
                cancelled: Callable[[], bool] = lambda: False) -> Iterator[list[Entry]]:
    """Yield the folder's entries (folders first, then by name) in batches.

    Raises OSError when the folder itself cannot be listed; entries that cannot be stat'ed
    come back with ``error`` set rather than stopping the listing.
    """
    folder = os.fspath(path)
    parent_name = os.path.basename(folder.rstrip(os.sep))
    names = _names(folder)
    start, size = 0, first_batch
    while start < len(names):
        if cancelled():
            return
        chunk = names[start:start + size]
        yield [_entry(folder, name, is_dir, root, parent_name) for name, is_dir in chunk]
        start += len(chunk)
        size = batch


def list_folder(path: str | os.PathLike[str], root: Path | None = None) -> list[Entry]:
    """Every entry of a folder at once (the CLI, polling and tests)."""
    return [entry for chunk in iter_folder(path, root) for entry in chunk]


def matches_filter(name: str, text: str) -> bool:
    """The browser's filter: every space-separated word occurs in the name (any case)."""
    lowered = name.casefold()
    return all(word in lowered for word in text.casefold().split())


def format_size(n: int) -> str:
    """``1536`` → ``"1.5 KiB"``; folders (-1) show nothing."""
    if n < 0:
        return ""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{n} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"
