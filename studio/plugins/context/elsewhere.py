"""Files that belong to other workspaces: a model's files (Models), a log (Logs) (Qt-free).

Both plugins are OPTIONAL: without Models the model actions are simply not offered (nobody
collects them); without a Logs plugin that publishes ``open_log`` a log opens in the editor.
The lookups read the disk (a model's folder, its GGUFs): call them off the GUI thread.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from studio.api import Studio

__all__ = ["ModelFiles", "ModelFilesError", "log_opener", "model_files", "model_ggufs"]

LOGS_PLUGIN = "logs"
LOGS_API = "studio.plugins.logs.api"


class ModelFilesError(LookupError):
    """The model is unknown, or has no files on this machine (the message says which)."""


@dataclass(frozen=True)
class ModelFiles:
    model_id: str
    location: Path  # the recorded location that exists here: a folder, or one file
    ggufs: tuple[Path, ...]  # the GGUFs it holds, F16 first, then by name

    @property
    def folder(self) -> Path:
        return self.location if self.location.is_dir() else self.location.parent


def model_ggufs(location: Path) -> tuple[Path, ...]:
    """The GGUF files of a model: the file itself, or the ``*.gguf`` in its folder (where hafs's
    ``deploy`` looks, hafs-formats §1.5), the full-precision F16 first."""
    if location.is_file():
        return (location,) if location.suffix.lower() == ".gguf" else ()
    try:
        found = [location / e.name for e in os.scandir(location)
                 if e.name.lower().endswith(".gguf") and e.is_file()]
    except OSError:
        return ()
    return tuple(sorted(found, key=lambda p: (not p.stem.lower().endswith("-f16"), p.name)))


def model_files(studio: Studio, model_id: str) -> ModelFiles:
    """Where model ``model_id``'s files are on this machine (Models' registry and rules)."""
    from studio.plugins.models.api import models

    service = models(studio).service
    try:
        entry = service.load().models.get(model_id)  # read now: the list may lag the disk
    except Exception as exc:  # RegistryError (names the file and line) or OSError
        raise ModelFilesError(str(exc)) from exc
    if entry is None:
        raise ModelFilesError(f"model {model_id!r} is not in {service.registry.path}")
    location = service.local_path(entry)
    if location is None:
        recorded = ", ".join(f"{k}: {v}" for k, v in (entry["locations"] or {}).items())
        raise ModelFilesError(f"model {model_id!r} has no files on this machine"
                              + (f" (recorded: {recorded})" if recorded else ""))
    return ModelFiles(model_id, location, model_ggufs(location))


def log_opener(studio: Studio) -> Callable[[Any, str], Any] | None:
    """The Logs plugin's ``open_log(studio, path)`` when that plugin is active, else None
    (logs then open in the editor). Imported by name: Logs is optional and may not exist."""
    record = studio.plugins.records.get(LOGS_PLUGIN)
    if record is None or not record.state.live:
        return None
    try:
        opener = getattr(importlib.import_module(LOGS_API), "open_log", None)
    except ImportError:
        return None
    return opener if callable(opener) else None
