"""An open text file: load, save atomically, notice changes made on disk, merge them.

The editor never writes over a change it has not seen: :meth:`TextDocument.save` compares the
file on disk with the version it opened (signature, then content) and raises
:class:`ExternalChangeError` when they differ; the view then offers Reload or Merge, a 3-way
merge (``merge3``, breezy's well-kept implementation) with the opened version as base. hafs's
strictly parsed files are checked first and a save that would make hafs drop data is refused
(:class:`SaveRefusedError`, naming the line and the reason). Line endings, a UTF-8 BOM and the
encoding are kept as found.
"""

from __future__ import annotations

import codecs
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from studio.api import atomic_write_bytes
from studio.plugins.context.validate import Problem, refusals, validate_text

__all__ = [
    "DEFAULT_EDIT_LIMIT",
    "DocumentError",
    "ExternalChangeError",
    "MergeResult",
    "SaveRefusedError",
    "TextDocument",
    "TooLargeError",
    "merge_texts",
]

DEFAULT_EDIT_LIMIT = 8 * 1024 * 1024  # bytes; above: read-only paging (see paging.py)
_BINARY_SNIFF = 8192


class DocumentError(Exception):
    """A file cannot be opened as text or saved; the message names the file."""


class TooLargeError(DocumentError):
    """The file is above the edit limit: open it in the pager instead."""


class ExternalChangeError(DocumentError):
    """The file changed on disk since it was opened; nothing was written."""

    def __init__(self, path: Path, disk_text: str | None) -> None:
        state = "was deleted" if disk_text is None else "changed on disk"
        super().__init__(f"{path} {state} since it was opened; reload or merge before saving")
        self.path, self.disk_text = path, disk_text


class SaveRefusedError(DocumentError):
    """hafs would drop data if the file held this text; nothing was written."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        first = problems[0]
        super().__init__(f"{path}: not saved: {first}" + (
            f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
        self.path, self.problems = path, problems


Signature = tuple[int, int, int]


def _signature(path: Path) -> Signature | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


@dataclass(frozen=True)
class _Decoded:
    text: str
    encoding: str
    newline: str


def _decode(data: bytes, path: Path) -> _Decoded:
    if b"\0" in data[:_BINARY_SNIFF]:
        raise DocumentError(f"{path}: binary content (NUL bytes); open it in the hex view")
    if data.startswith(codecs.BOM_UTF8):
        encoding, body = "utf-8-sig", data[len(codecs.BOM_UTF8):]
    else:
        encoding, body = "utf-8", data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        encoding, text = "latin-1", data.decode("latin-1")  # every byte maps: nothing is lost
    newline = "\r\n" if "\r\n" in text[:65536] else ("\r" if "\r" in text[:65536] else "\n")
    if newline != "\n":
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _Decoded(text, encoding, newline)


def _encode(text: str, encoding: str, newline: str) -> bytes:
    if newline != "\n":
        text = text.replace("\n", newline)
    return text.encode(encoding)


@dataclass(frozen=True)
class MergeResult:
    text: str
    conflicts: int  # regions marked <<<<<<< / ======= / >>>>>>> for the user to resolve


def merge_texts(base: str, mine: str, theirs: str, *, mine_label: str = "editor",
                theirs_label: str = "on disk") -> MergeResult:
    """3-way merge by lines; conflicting regions are marked as git does."""
    from merge3 import Merge3

    merge = Merge3(base.splitlines(keepends=True), mine.splitlines(keepends=True),
                   theirs.splitlines(keepends=True))
    lines = list(merge.merge_lines(name_a=mine_label, name_b=theirs_label,
                                   start_marker="<<<<<<<", mid_marker="=======",
                                   end_marker=">>>>>>>"))
    conflicts = sum(1 for region in merge.merge_regions() if region[0] == "conflict")
    text = "".join(lines)
    # merge3 ends a marker line with the newline style it sees; a file without a final newline
    # may leave "=======" glued to the next line, so make sure every marker stands alone.
    return MergeResult(text, conflicts)


class TextDocument:
    """One file opened for editing; ``text`` uses ``\\n`` whatever the file's line endings."""

    def __init__(self, path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8",
                 newline: str = "\n", signature: Signature | None = None,
                 digest: str = "") -> None:
        self.path = Path(path)
        self.base_text = text  # as opened or last saved: the merge base
        self.encoding = encoding
        self.newline = newline
        self.signature = signature
        self.digest = digest

    @classmethod
    def load(cls, path: str | os.PathLike[str], limit: int = DEFAULT_EDIT_LIMIT
             ) -> TextDocument:
        """Read ``path``; :class:`TooLargeError` above ``limit`` bytes, DocumentError if binary."""
        path = Path(path)
        try:
            size = path.stat().st_size
            if size > limit:
                raise TooLargeError(f"{path}: {size} bytes is above the edit limit ({limit} "
                                    "bytes); it opens read-only, page by page")
            signature = _signature(path)
            data = path.read_bytes()
        except OSError as exc:
            raise DocumentError(f"{path}: {exc.strerror or exc}") from exc
        decoded = _decode(data, path)
        return cls(path, decoded.text, encoding=decoded.encoding, newline=decoded.newline,
                   signature=signature, digest=hashlib.sha256(data).hexdigest())

    @classmethod
    def new(cls, path: str | os.PathLike[str]) -> TextDocument:
        """A document for a file that does not exist yet."""
        return cls(path, "")

    # -- the file on disk ------------------------------------------------------------------
    def disk_text(self) -> str | None:
        """The file's current text (None when it is gone)."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise DocumentError(f"{self.path}: {exc.strerror or exc}") from exc
        return _decode(data, self.path).text

    def changed_on_disk(self) -> bool:
        """True when the file's content differs from the version opened or last saved.

        A signature change alone (a ``touch``, a rewrite with the same bytes) is not a change.
        """
        signature = _signature(self.path)
        if signature == self.signature:
            return False
        if signature is None:
            return self.signature is not None
        try:
            digest = hashlib.sha256(self.path.read_bytes()).hexdigest()
        except OSError:
            return True
        if digest == self.digest:
            self.signature = signature  # same bytes: remember, so the next check is one stat
            return False
        return True

    # -- saving ------------------------------------------------------------------------------
    def check(self, text: str) -> list[Problem]:
        """Syntax problems and hafs's rules for ``text`` at this path."""
        return validate_text(self.path, text)

    def save(self, text: str, *, overwrite_external: bool = False) -> None:
        """Write ``text`` atomically (temp file, fsync, rename).

        Refuses (:class:`SaveRefusedError`) text that would make hafs drop data, and
        (:class:`ExternalChangeError`) to overwrite a change made on disk since the document
        was opened, unless ``overwrite_external``.
        """
        refused = refusals(self.check(text))
        if refused:
            raise SaveRefusedError(self.path, refused)
        if not overwrite_external and self.changed_on_disk():
            raise ExternalChangeError(self.path, self.disk_text())
        data = _encode(text, self.encoding, self.newline)
        try:
            atomic_write_bytes(self.path, data)
        except OSError as exc:
            raise DocumentError(f"{self.path}: not saved: {exc.strerror or exc}") from exc
        self.base_text = text
        self.signature = _signature(self.path)
        self.digest = hashlib.sha256(data).hexdigest()

    def reload(self) -> str:
        """Re-read the file; it becomes the new base. Returns its text."""
        fresh = TextDocument.load(self.path, limit=1 << 62)
        self.base_text, self.encoding, self.newline = (fresh.base_text, fresh.encoding,
                                                      fresh.newline)
        self.signature, self.digest = fresh.signature, fresh.digest
        return fresh.base_text

    def merge(self, mine: str) -> MergeResult:
        """Merge the editor's ``mine`` with the file on disk, the opened version as base.

        The disk version becomes the new base, so saving the merge is no longer a conflict.
        """
        theirs = self.disk_text()
        if theirs is None:
            raise DocumentError(f"{self.path} was deleted; save to recreate it")
        base = self.base_text
        self.reload()
        return merge_texts(base, mine, theirs)
