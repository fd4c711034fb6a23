"""Model id validation.

A model id is a key of hafs' registry.json and also becomes a folder and file name
(``~/Code/hafs/models/<id>``, ``<id>-Q4_K_M.gguf``), so it must never be able to escape the
folder it is joined to: no separators, no ``..``, no drive letters, no control characters.
"""

from __future__ import annotations

import re

__all__ = ["InvalidModelIdError", "suggest_model_id", "validate_model_id"]

MAX_ID_LENGTH = 128
# Letters, digits and . _ - + only; the first character is alphanumeric so the id can never
# be "." / ".." or a hidden file, and shells/URLs need no quoting.
_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")


class InvalidModelIdError(ValueError):
    """The text cannot be used as a model id; the message says why."""


def validate_model_id(model_id: str) -> str:
    """Return ``model_id`` unchanged if it is a safe id, else raise :class:`InvalidModelIdError`."""
    if not isinstance(model_id, str) or not model_id:
        raise InvalidModelIdError("model id is empty")
    if len(model_id) > MAX_ID_LENGTH:
        raise InvalidModelIdError(f"model id is longer than {MAX_ID_LENGTH} characters")
    if "/" in model_id or "\\" in model_id:
        raise InvalidModelIdError(f"model id {model_id!r} contains a path separator")
    if ".." in model_id:
        raise InvalidModelIdError(f"model id {model_id!r} contains '..'")
    if not _ID_PATTERN.fullmatch(model_id):
        raise InvalidModelIdError(
            f"model id {model_id!r} may only contain letters, digits and . _ - + "
            "and must start with a letter or digit"
        )
    if model_id.endswith("."):
        # Windows silently strips a trailing dot from folder names.
        raise InvalidModelIdError(f"model id {model_id!r} ends with '.'")
    return model_id


def suggest_model_id(text: str) -> str:
    """Turn a folder or display name into a valid id (``"My Model v2"`` → ``"my-model-v2"``)."""
    slug = re.sub(r"[^A-Za-z0-9._+-]+", "-", text.strip()).strip("-.")
    slug = re.sub(r"\.{2,}", ".", slug).lower()[:MAX_ID_LENGTH].rstrip(".-")
    return slug or "model"
