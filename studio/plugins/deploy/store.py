"""Deployments the studio made, kept in its own state folder (never in hafs's files).

``<state>/deploy/deployments.json`` = ``{"version": 1, "deployments": [<record>, …]}``, written
atomically under a file lock so the GUI and the CLI can both add and remove records. Reading
is lenient: a record that cannot be understood is skipped (and reported), a damaged file is
kept as ``.bak`` and never overwritten silently.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import orjson
from filelock import FileLock

from studio.api import atomic_write_bytes, backup_file
from studio.plugins.deploy.templates import ChatTemplate

__all__ = ["Deployment", "DeploymentStore", "StoreError", "new_deployment_id",
           "validate_deployment_id"]

T = TypeVar("T")
STORE_VERSION = 1
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,95}$")


class StoreError(Exception):
    """The deployments file cannot be used; the message names it."""


def validate_deployment_id(value: str) -> str:
    """Ids become file and URL parts: lower-case letters, digits, ``.``, ``_``, ``-`` only."""
    if not isinstance(value, str) or not _ID.match(value) or ".." in value:
        raise ValueError(f"invalid deployment id {value!r}: use a-z, 0-9, '.', '_' and '-' "
                         "(starting with a letter or digit, at most 96 characters)")
    return value


def new_deployment_id(backend: str, model: str | None) -> str:
    """``<backend>-<model>-<6 hex>``, cleaned to the id alphabet."""
    base = f"{backend}-{model or 'model'}".lower()
    base = re.sub(r"[^a-z0-9._-]+", "-", base).strip("-.")[:80] or "deployment"
    return validate_deployment_id(f"{base}-{secrets.token_hex(3)}")


@dataclass
class Deployment:
    """One model served by one backend."""

    id: str
    backend: str
    model_id: str | None
    artifact: str  # the GGUF file or CTranslate2 folder the backend serves
    artifact_kind: str  # "gguf" or "ct2" …
    endpoint: str  # "in-process", "http://127.0.0.1:11434 (model qwen-tiny)" …
    quant: str | None = None
    created_at: float = field(default_factory=time.time)
    template: ChatTemplate = field(default_factory=lambda: ChatTemplate(None))
    options: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)  # the backend's own fields

    @property
    def label(self) -> str:
        what = self.model_id or Path(self.artifact).name
        return f"{what} · {self.backend}" + (f" · {self.quant}" if self.quant else "")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["template"] = self.template.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Deployment:
        return cls(
            id=validate_deployment_id(str(data["id"])), backend=str(data["backend"]),
            model_id=data.get("model_id"), artifact=str(data["artifact"]),
            artifact_kind=str(data.get("artifact_kind") or "gguf"),
            endpoint=str(data.get("endpoint") or ""), quant=data.get("quant"),
            created_at=float(data.get("created_at") or 0.0),
            template=ChatTemplate.from_dict(data.get("template")),
            options=dict(data.get("options") or {}), data=dict(data.get("data") or {}))


class DeploymentStore:
    """Read/modify/write of ``deployments.json`` under an inter-process lock."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / "deployments.json"
        self.problems: list[str] = []  # records skipped at the last load
        self._lock: FileLock | None = None

    def _file_lock(self) -> FileLock:
        if self._lock is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._lock = FileLock(str(self.path) + ".lock", timeout=30)
        return self._lock

    def load(self) -> list[Deployment]:
        """Every readable record; unreadable ones are listed in :attr:`problems`."""
        try:
            raw = orjson.loads(self.path.read_bytes())
        except FileNotFoundError:
            self.problems = []
            return []
        except (OSError, orjson.JSONDecodeError) as exc:
            raise StoreError(f"{self.path}: cannot read deployments ({exc})") from exc
        records = raw.get("deployments") if isinstance(raw, dict) else None
        if not isinstance(records, list):
            raise StoreError(f'{self.path}: no "deployments" list')
        result, problems = [], []
        for index, record in enumerate(records):
            try:
                result.append(Deployment.from_dict(record))
            except (KeyError, TypeError, ValueError) as exc:
                problems.append(f"{self.path}: deployments[{index}] skipped: {exc}")
        self.problems = problems
        return result

    def get(self, deployment_id: str) -> Deployment:
        for deployment in self.load():
            if deployment.id == deployment_id:
                return deployment
        raise KeyError(f"no deployment {deployment_id!r} (see `hafs-studio deployments list`)")

    def _update(self, mutate: Callable[[list[dict[str, Any]]], T]) -> T:
        with self._file_lock():
            try:
                raw = orjson.loads(self.path.read_bytes())
                records = raw["deployments"]
                if not isinstance(records, list):
                    raise TypeError("deployments is not a list")
            except FileNotFoundError:
                records = []
            except (OSError, orjson.JSONDecodeError, KeyError, TypeError) as exc:
                backup = backup_file(self.path)
                raise StoreError(f"{self.path}: damaged ({exc}); not overwriting it "
                                 f"(a copy is in {backup}). Remove the file to start afresh."
                                 ) from exc
            result = mutate(records)
            document = {"version": STORE_VERSION, "deployments": records}
            atomic_write_bytes(self.path, orjson.dumps(document, option=orjson.OPT_INDENT_2))
        return result

    def add(self, deployment: Deployment) -> Deployment:
        def mutate(records: list[dict[str, Any]]) -> Deployment:
            if any(r.get("id") == deployment.id for r in records):
                raise StoreError(f"deployment {deployment.id!r} already exists")
            records.append(deployment.to_dict())
            return deployment

        return self._update(mutate)

    def remove(self, deployment_id: str) -> bool:
        def mutate(records: list[dict[str, Any]]) -> bool:
            before = len(records)
            records[:] = [r for r in records if r.get("id") != deployment_id]
            return len(records) != before

        return self._update(mutate)
