"""The Context plugin's per-studio service: roots, pins, folder watching, Q&A store.

One :class:`ContextService` per studio, published as ``studio.services.get("context")`` by
``studio_startup``. Everything is created on first use (the CLI pays for nothing it does not
touch). The GUI installs a *presenter* (``plugin.py``) so that :func:`api.reveal` and
:func:`api.open_path` can show things without this module importing Qt.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.plugins.context.folderwatch import FolderChange, FolderPoller, FolderWatch, watch_folder
from studio.plugins.context.pins import PinStore
from studio.plugins.context.qa import QAStore

if TYPE_CHECKING:
    from studio.core.app import Studio

__all__ = ["SETTINGS", "ContextService", "Root", "parse_roots"]

SETTINGS = "context"
SERVICE = "context"

# (action, path) -> shown?  action: "reveal", "open", "edit", "hex"
Presenter = Callable[[str, str], bool]


@dataclass(frozen=True)
class Root:
    path: Path
    label: str
    is_context_root: bool = False

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

    @cached_property
    def poller(self) -> FolderPoller:
        return FolderPoller(interval=1.0)

    def qa_store(self) -> QAStore:
        return QAStore(self.studio.context.path / "training")

    def setting(self, key: str, default: Any) -> Any:
        return _setting(self.studio, key, default)

    # -- roots -------------------------------------------------------------------------------
    def roots(self) -> list[Root]:
        """The context root first, then the user's extra roots (setting ``context.roots``)."""
        context = Path(self.studio.context.path)
        roots = [Root(context, f"Context ({context})", True)]
        seen = {os.path.normpath(context)}
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
                     callback: Callable[[FolderChange], None]) -> FolderWatch:
        return watch_folder(self.studio.watcher, self.poller, path, callback)

    # -- presenting --------------------------------------------------------------------------
    def present(self, action: str, path: str | os.PathLike[str]) -> bool:
        presenter = self.presenter
        return bool(presenter and presenter(action, os.fspath(path)))

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if "poller" in self.__dict__:
            self.poller.stop()
