"""Studio-only facts about registered models, kept next to registry.json.

hafs rejects any extra key inside a registry entry, so what only the studio needs (the GGUF
files it produced and their quantization types, the source of a pull) lives in
``<context>/models/registry.studio.json``: ``{"version": 1, "models": {id: {...}}}``. It shares
the registry's lock, so a convert job and a registry edit never interleave badly.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypedDict, TypeVar

import orjson
from filelock import FileLock

from studio.api import atomic_write_bytes
from studio.plugins.models.registry import LOCK_POLL_S, LOCK_TIMEOUT_S
from studio.plugins.models.schema import now_iso

__all__ = ["ArtifactRecord", "SidecarStore", "sidecar_path"]

T = TypeVar("T")
SIDECAR_VERSION = 1


class ArtifactRecord(TypedDict):
    """A file the studio produced for a model (e.g. a converted or quantized GGUF)."""

    path: str
    kind: str  # "gguf"
    type: str  # "F16", "Q4_K_M" …
    size: int
    created_at: str


def sidecar_path(registry_file: str | os.PathLike[str]) -> Path:
    registry_file = Path(registry_file)
    return registry_file.with_name(registry_file.stem + ".studio.json")


class SidecarStore:
    """Read/modify/write of the sidecar under the registry's lock."""

    def __init__(self, registry_file: str | os.PathLike[str]) -> None:
        self.path = sidecar_path(registry_file)
        self._lock = FileLock(str(registry_file) + ".lock", timeout=LOCK_TIMEOUT_S)

    def load(self) -> dict[str, dict[str, Any]]:
        """Per-model studio data; a missing or unreadable sidecar is treated as empty."""
        try:
            raw = orjson.loads(self.path.read_bytes())
        except (FileNotFoundError, orjson.JSONDecodeError):
            return {}
        models = raw.get("models") if isinstance(raw, dict) else None
        return models if isinstance(models, dict) else {}

    def model(self, model_id: str) -> dict[str, Any]:
        return self.load().get(model_id, {})

    def update(self, mutate: Callable[[dict[str, dict[str, Any]]], T]) -> T:
        with self._lock.acquire(poll_interval=LOCK_POLL_S):
            models = self.load()
            result = mutate(models)
            document = {"version": SIDECAR_VERSION, "models": models}
            atomic_write_bytes(self.path, orjson.dumps(document, option=orjson.OPT_INDENT_2))
        return result

    def add_artifact(self, model_id: str, path: str | os.PathLike[str], kind: str,
                     type_name: str) -> ArtifactRecord:
        """Record a produced file (replacing an older record of the same path)."""
        file = Path(path)
        record: ArtifactRecord = {"path": str(file), "kind": kind, "type": type_name,
                                  "size": file.stat().st_size, "created_at": now_iso()}

        def mutate(models: dict[str, dict[str, Any]]) -> ArtifactRecord:
            data = models.setdefault(model_id, {})
            artifacts = [a for a in data.get("artifacts", []) if a.get("path") != record["path"]]
            data["artifacts"] = [*artifacts, record]
            return record

        return self.update(mutate)

    def set_field(self, model_id: str, key: str, value: Any) -> None:
        def mutate(models: dict[str, dict[str, Any]]) -> None:
            models.setdefault(model_id, {})[key] = value

        self.update(mutate)

    def forget(self, model_id: str) -> None:
        self.update(lambda models: models.pop(model_id, None))
