"""``tail -F`` semantics: tell an append from a truncation, a rotation or a delete/recreate.

:class:`FollowTracker` is a small state machine over what can be observed cheaply: the path's
``stat`` (which file the name points to now), the opened file's size, and a hash of the head of
the file. It never reads more than :data:`~studio.plugins.logs.source.HEAD_DIGEST_BYTES` per
check and only checks when the file watcher saw the path change, so following a quiet file
costs one ``stat`` per poll. While the path is gone the last content stays on screen.

| observation | change |
|---|---|
| the path is gone; the opened file has no name left | ``deleted`` (reported once) |
| the path is gone; the opened file still has a name | ``moved`` (a rotation under way) |
| the path names another file (device, inode) | ``rotated``; ``recreated`` after ``deleted`` |
| same file, smaller than what was read | ``truncated`` (``copytruncate``) |
| same file, its head hash changed | ``rewritten`` (replaced in place) |
| same file, larger | ``appended`` |
"""

from __future__ import annotations

import enum
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from studio.plugins.logs.source import HEAD_DIGEST_BYTES, FileIdentity, LogFile

__all__ = ["ChangeKind", "FileChange", "FollowTracker"]


class ChangeKind(enum.StrEnum):
    NONE = "none"
    APPENDED = "appended"
    TRUNCATED = "truncated"
    ROTATED = "rotated"
    RECREATED = "recreated"
    REWRITTEN = "rewritten"
    DELETED = "deleted"
    MOVED = "moved"

    @property
    def waits(self) -> bool:
        """The path is gone: keep showing the last content until a file appears there again."""
        return self in (ChangeKind.DELETED, ChangeKind.MOVED)

    @property
    def restarts(self) -> bool:
        """The content read so far is no longer the file's: start over from byte 0."""
        return self in (ChangeKind.TRUNCATED, ChangeKind.ROTATED, ChangeKind.RECREATED,
                        ChangeKind.REWRITTEN)


_DESCRIPTIONS = {
    ChangeKind.TRUNCATED: "the file was truncated (copytruncate?); showing it from the start",
    ChangeKind.ROTATED: "the file was rotated; showing the new file",
    ChangeKind.RECREATED: "the file was created again; showing the new file",
    ChangeKind.REWRITTEN: "the file was rewritten; showing the new content",
    ChangeKind.DELETED: "the file was deleted; waiting for it to appear again",
    ChangeKind.MOVED: "the file was renamed away (rotation?); waiting for the new file",
}


@dataclass(frozen=True, slots=True)
class FileChange:
    kind: ChangeKind
    size: int = 0  # size of the file now followed (0 when deleted)

    @property
    def description(self) -> str:
        return _DESCRIPTIONS.get(self.kind, self.kind.value)


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def _still_linked(opened: LogFile) -> bool:
    try:
        return opened.links() > 0
    except OSError:
        return False


class FollowTracker:
    """Compares the followed path with the file that was opened and read up to ``seen`` bytes."""

    def __init__(self, path: str | os.PathLike[str], opened: LogFile, seen: int = 0) -> None:
        self.path = Path(path)
        self.identity: FileIdentity = opened.identity
        self.absent = False  # the path named no file at the last check
        self._moved = False  # ... and the opened file still had a name (renamed, not deleted)
        self.seen = 0
        self._head = b""
        self.acknowledge(opened, seen)

    def acknowledge(self, opened: LogFile, seen: int) -> None:
        """Record that ``opened`` was read up to ``seen`` bytes (its head hashed)."""
        self.identity = opened.identity
        self.seen = seen
        self._head = opened.read(0, min(seen, HEAD_DIGEST_BYTES))
        self._head_digest = _digest(self._head)

    def check(self, opened: LogFile) -> FileChange:
        """What happened to the path since :meth:`acknowledge`; does not acknowledge it."""
        try:
            st = os.stat(self.path)
        except OSError:
            if self.absent:
                return FileChange(ChangeKind.NONE)
            self.absent = True
            # A rotation is a rename and then a new file; a check between the two must not
            # call it a delete. The opened file's link count tells them apart.
            self._moved = _still_linked(opened)
            return FileChange(ChangeKind.MOVED if self._moved else ChangeKind.DELETED)
        if FileIdentity.of(st) != self.identity:
            recreated = self.absent and not self._moved
            self.absent = self._moved = False
            return FileChange(ChangeKind.RECREATED if recreated else ChangeKind.ROTATED,
                              st.st_size)
        self.absent = self._moved = False
        try:
            size = opened.size()
        except OSError:
            return FileChange(ChangeKind.NONE)
        if size < self.seen:
            return FileChange(ChangeKind.TRUNCATED, size)
        if self._head and _digest(opened.read(0, len(self._head))) != self._head_digest:
            return FileChange(ChangeKind.REWRITTEN, size)
        if size > self.seen:
            return FileChange(ChangeKind.APPENDED, size)
        return FileChange(ChangeKind.NONE, size)
