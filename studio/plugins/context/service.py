"""The Context plugin's per-studio service: roots, pins, folder watching, Q&A store.

One :class:`ContextService` per studio, provided as the studio service ``"context"`` by
``studio_startup`` (withdrawn and closed when the plugin is torn down). Everything is created
on first use (the CLI pays for nothing it does not touch). The GUI installs a *presenter*
(``plugin.py``) so that :func:`api.reveal` and :func:`api.open_path` can show things without
this module importing Qt.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from studio.api import FolderChange, hafs_path
from studio.plugins.context.pins import PinStore
from studio.plugins.context.qa import QAStore

if TYPE_CHECKING:
    from studio.api import Studio

__all__ = ["SETTINGS", "ContextService", "FolderWatch", "Root", "parse_roots"]

SETTINGS = "context"
SERVICE = "context"
PLUGIN = "context"
# Folders with more entries are watched for names only: tracking modifications stats a slice
# of every watched folder per poll, and sizes in a 100k-file folder are not worth that.
TRACK_MODIFIED_MAX = 5000

class FolderWatch(Protocol):
    """The platform's folder watch, as this plugin uses it."""

    def cancel(self) -> None: ...


# (action, path) -> shown?  action: "reveal", "open", "edit", "hex"
Presenter = Callable[[str, str], bool]


@dataclass(frozen=True)
class Root:
    path: Path
    label: str
    is_context_root: bool = False
    is_hafs: bool = False  # hafs writes here: its own folders below are marked

    @property
    def exists(self) -> bool:
        return self.path.is_dir()


def parse_roots(value: str) -> list[Path]:
    """The "Extra roots" setting: folders separated by the OS path separator (like PATH)."""
    return [Path(part).expanduser() for part in value.split(os.pathsep) if part.strip()]


def _setting(studio: Any, key: str, default: Any) -> Any:
    try:
        return studio.settings.get(SETTINGS, key)
    except Exception:  # the section is not registered (a studio without this plugin's settings)
        return default


class ContextService:
    """Shared state of the Context plugin for one studio."""

    def __init__(self, studio: Studio) -> None:
        self.studio = studio
        self.presenter: Presenter | None = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def config_dir(self) -> Path:
        return self.studio.paths.config / "context"

    @property
    def state_dir(self) -> Path:
        return self.studio.paths.state / "context"

    @cached_property
    def pins(self) -> PinStore:
        return PinStore(self.config_dir / "selected_context.json")

    def qa_store(self) -> QAStore:
        """hafs's expert Q&A files, in the training folder where hafs really keeps them
        (``~/.context/training`` whatever hafs's config says, hafs-formats §0)."""
        return QAStore(hafs_path(self.studio.context, "training"))

    def setting(self, key: str, default: Any) -> Any:
        return _setting(self.studio, key, default)

    # -- roots -------------------------------------------------------------------------------
    def roots(self) -> list[Root]:
        """The context root first, then ``~/.context`` when hafs's config moved the root (hafs
        still writes its registry and training files there), then the user's extra roots
        (setting ``context.roots``)."""
        context = self.studio.context
        roots = [Root(Path(context.path), f"Context ({context.path})", True, True)]
        if context.split:
            roots.append(Root(Path(context.hard_coded), f"hafs files ({context.hard_coded})",
                              False, True))
        seen = {os.path.normpath(root.path) for root in roots}
        for path in parse_roots(str(self.setting("roots", ""))):
            key = os.path.normpath(path)
            if key not in seen:
                seen.add(key)
                roots.append(Root(path, str(path)))
        return roots

    def add_root(self, path: str | os.PathLike[str]) -> None:
        folder = Path(path).expanduser()
        if not folder.is_dir():
            raise ValueError(f"{folder}: not a folder")
        current = parse_roots(str(self.setting("roots", "")))
        if any(os.path.normpath(p) == os.path.normpath(folder) for p in current):
            return
        value = os.pathsep.join(str(p) for p in [*current, folder])
        self.studio.settings.set(SETTINGS, "roots", value)

    def remove_root(self, path: str | os.PathLike[str]) -> None:
        target = os.path.normpath(Path(path).expanduser())
        current = parse_roots(str(self.setting("roots", "")))
        kept = [p for p in current if os.path.normpath(p) != target]
        self.studio.settings.set(SETTINGS, "roots", os.pathsep.join(str(p) for p in kept))

    # -- watching ----------------------------------------------------------------------------
    def watch_folder(self, path: str | os.PathLike[str],
                     callback: Callable[[FolderChange], None], entries: int = 0
                     ) -> FolderWatch:
        """Watch one folder's entries (the platform's folder watch, owned by this plugin).

        The watch lists the folder (and, tracking modifications, stats its entries) on the
        calling thread: call it off the GUI thread. ``entries``: how many the folder has, when
        known; big folders are watched for names only (:data:`TRACK_MODIFIED_MAX`).
        """
        return self.studio.watcher.watch_folder(
            path, callback, track_modified=entries <= TRACK_MODIFIED_MAX, owner=PLUGIN)

    # -- presenting --------------------------------------------------------------------------
    def present(self, action: str, path: str | os.PathLike[str]) -> bool:
        presenter = self.presenter
        return bool(presenter and presenter(action, os.fspath(path)))

    def close(self) -> None:
        """The plugin is torn down: its watches end (the studio cancels what it owns)."""
        with self._lock:
            self._closed = True
        self.studio.watcher.cancel_owned(PLUGIN)

    @property
    def closed(self) -> bool:
        return self._closed
