"""Model ids, and the file and folder names derived from them.

An id is a key of hafs's registry.json and hafs accepts any string there: ``hafs models
register`` uses the folder name, spaces included (hafs-formats §1.5). So the studio shows, edits,
converts and pulls any id it reads, and a new id only has to be non-empty and free of control
characters (which no one can see or type).

Only *paths* derived from an id are sanitised (:func:`id_path_part`): an id becomes a folder or
file name (``~/Code/hafs/models/<id>``, ``<id>-Q4_K_M.gguf``), and there it must never escape
the folder it is joined to or be a name Windows or macOS cannot store. An ordinary id
(``oracle-rauru-asm``, ``My Model``) maps to itself, as in hafs.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

__all__ = ["InvalidModelIdError", "id_path_part", "validate_model_id"]

# A file-name component: most file systems allow 255 bytes; leave room for "-Q4_K_M.gguf".
MAX_PART_BYTES = 200
# Separators, and what Windows does not allow in a file name (also refused by SMB shares).
_UNSAFE_CHARACTERS = re.compile(r'[/\\:<>"|?*\x00-\x1f\x7f]')
_WINDOWS_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"COM{i}" for i in range(1, 10)]
    + [f"LPT{i}" for i in range(1, 10)])


class InvalidModelIdError(ValueError):
    """The text cannot be used as a new model id; the message says why."""


def validate_model_id(model_id: str) -> str:
    """Return ``model_id`` unchanged if the studio may create an entry with it.

    Any non-empty string without control characters: hafs's ids are free text. Paths built
    from the id go through :func:`id_path_part`, so no id can reach outside its folder.
    """
    if not isinstance(model_id, str) or not model_id.strip():
        raise InvalidModelIdError("model id is empty")
    bad = next((c for c in model_id if unicodedata.category(c) == "Cc"), None)
    if bad is not None:
        raise InvalidModelIdError(
            f"model id {model_id!r} contains the control character U+{ord(bad):04X}")
    return model_id


def id_path_part(model_id: str) -> str:
    """A file or folder name for ``model_id`` that stays inside the folder it is joined to.

    Separators, ``: < > " | ? *`` and control characters become ``_``; a name made only of
    dots, a leading dot (a hidden file), trailing dots and spaces (Windows drops them) and
    Windows device names (``CON``, ``NUL`` …) are changed; an over-long id is shortened and
    gets a hash of the full id, so two long ids never share a folder. Everything else, spaces
    included, is kept: ``"My Model"`` stays ``"My Model"``.
    """
    part = _UNSAFE_CHARACTERS.sub("_", model_id).rstrip(". ")
    if part.startswith("."):
        part = "_" + part[1:]
    if not part.strip("._ "):
        part = "model" + ("_" + part if part else "")
    if part.split(".")[0].upper() in _WINDOWS_DEVICES:
        part = "_" + part
    if len(part.encode("utf-8")) > MAX_PART_BYTES:
        digest = hashlib.sha256(model_id.encode("utf-8")).hexdigest()[:12]
        head = part.encode("utf-8")[:MAX_PART_BYTES - 13].decode("utf-8", "ignore").rstrip(". ")
        part = f"{head}-{digest}"
    return part
