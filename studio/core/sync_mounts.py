"""Map a path on another machine to this one through sync.toml ``[mounts]`` (Qt-free).

hafs's rule (hafs-formats §0, ``cross_platform.py:189-196,231-268``): a mount counts only if its
``local_path`` is an existing folder here; the first such mount, in file order, whose
``remote_path`` prefixes the path wins, and the rest of the path is appended. The studio keeps
that order and adds what hafs lacks, because hafs itself writes the other spellings:

* a path-boundary check: ``D:/hafs_training2/x`` is *not* below ``D:/hafs_training`` (hafs maps
  it to ``<local>/2/x``);
* Windows spellings: ``D:\\hafs_training\\models\\x`` (hafs stores ``str(Path)`` on Windows) and
  ``d:/…`` match ``D:/…``. A path with a drive letter compares case-insensitively, as NTFS
  does; any other path compares exactly.
"""

from __future__ import annotations

import re

__all__ = ["remote_path_below"]

_DRIVE = re.compile(r"^[A-Za-z]:(?:[/\\]|$)")


def _parts(path: str) -> tuple[list[str], bool]:
    """Path components for comparison, and whether the path is a Windows drive path."""
    windows = bool(_DRIVE.match(path))
    text = path.replace("\\", "/") if windows else path
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if text.startswith("/"):
        parts.insert(0, "/")
    return parts, windows


def remote_path_below(prefix: str, path: str) -> str | None:
    """The part of ``path`` below ``prefix`` (``"models/x"``, ``""`` for the prefix itself),
    or None when ``path`` is not at or below ``prefix``. Separators in the result are ``/``."""
    prefix_parts, prefix_windows = _parts(prefix.strip())
    path_parts, path_windows = _parts(path.strip())
    if not prefix_parts or prefix_windows != path_windows:
        return None
    head = path_parts[:len(prefix_parts)]
    if prefix_windows:
        same = [p.casefold() for p in head] == [p.casefold() for p in prefix_parts]
    else:
        same = head == prefix_parts
    if len(head) < len(prefix_parts) or not same:
        return None
    return "/".join(path_parts[len(prefix_parts):])
