"""The Context plugin's public API: what other plugins (and the CLI) may call.

Declare ``OPTIONAL = ("context",)`` and call, from any workspace::

    from studio.plugins.context.api import reveal
    reveal(studio, path)      # show the Context workspace's browser with ``path`` selected

Everything here is Qt-free; in the CLI (no window) the functions that show something return
False.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from studio.plugins.context.kinds import FileKind, KindInfo, classify, kind_info
from studio.plugins.context.service import SERVICE, ContextService

if TYPE_CHECKING:
    from studio.api import Studio

__all__ = [
    "ContextService",
    "FileKind",
    "KindInfo",
    "classify",
    "context_service",
    "kind_info",
    "open_path",
    "pin",
    "reveal",
]


def context_service(studio: Studio) -> ContextService:
    """The studio's Context service (``KeyError`` naming the plugin when it is not active)."""
    return studio.services.get(SERVICE)


def reveal(studio: Studio, path: str | os.PathLike[str]) -> bool:
    """Show ``path`` in the context browser (expanded to it and selected). False without a GUI.

    A path outside every root is added as a root for this session first, so any file can be
    revealed.
    """
    return context_service(studio).present("reveal", path)


def open_path(studio: Studio, path: str | os.PathLike[str], how: str = "auto") -> bool:
    """Open a file where it belongs: ``how`` is "auto", "edit" (text editor) or "hex"."""
    if how not in ("auto", "edit", "hex"):
        raise ValueError(f"how must be auto, edit or hex, not {how!r}")
    return context_service(studio).present("open" if how == "auto" else how, path)


def pin(studio: Studio, path: str | os.PathLike[str]) -> None:
    """Add ``path`` to the Selected Context list (saved in the studio's config)."""
    context_service(studio).pins.add(path)
