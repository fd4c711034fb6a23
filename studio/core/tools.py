"""External programs the studio can drive, from ``third_party/tools.toml``.

Each tool is looked for in order: an explicit path from the studio settings, the manifest's
search folders (hafs defaults such as ``~/Code/llama.cpp``), then ``PATH``. Versions are read by
running the tool with its version arguments: no shell, a short timeout, output parsed with the
manifest's regex.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "ToolSpec",
    "ToolStatus",
    "ToolsManifestError",
    "load_manifest",
    "locate",
    "manifest_path",
]

_REQUIRED = ("description", "executables", "without")


class ToolsManifestError(ValueError):
    """The manifest is unreadable or an entry lacks a field; the message names which."""


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    executables: tuple[str, ...]
    without: str
    search: tuple[str, ...] = ()
    setting: str | None = None
    version_args: tuple[str, ...] = ()
    version_regex: str | None = None
    known: tuple[str, ...] = ()
    homepage: str = ""


@dataclass
class ToolStatus:
    spec: ToolSpec
    path: Path | None = None
    found_by: str = ""  # "setting", "search path", "PATH"
    version: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.path is not None


def manifest_path() -> Path:
    """The manifest in a source checkout, else the copy installed inside the package."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "third_party" / "tools.toml", here / "_data" / "tools.toml"):
        if candidate.is_file():
            return candidate
    raise ToolsManifestError("third_party/tools.toml was not found next to the studio package")


def load_manifest(path: Path | None = None) -> list[ToolSpec]:
    path = path or manifest_path()
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ToolsManifestError(f"{path}: {exc}") from exc
    specs = []
    for name, entry in data.get("tools", {}).items():
        missing = [key for key in _REQUIRED if not entry.get(key)]
        if missing:
            raise ToolsManifestError(f"{path}: [tools.{name}] lacks {', '.join(missing)}")
        specs.append(
            ToolSpec(
                name=name,
                description=entry["description"],
                executables=tuple(entry["executables"]),
                without=entry["without"],
                search=tuple(entry.get("search", ())),
                setting=entry.get("setting"),
                version_args=tuple(entry.get("version_args", ())),
                version_regex=entry.get("version_regex"),
                known=tuple(entry.get("known", ())),
                homepage=entry.get("homepage", ""),
            )
        )
    return specs


def locate(spec: ToolSpec, override: str | None = None, read_version: bool = True) -> ToolStatus:
    """Find ``spec`` on this machine; ``override`` is the user's explicit path setting."""
    status = ToolStatus(spec)
    names = [
        n + ".exe" if sys.platform == "win32" and "." not in n else n for n in spec.executables
    ]
    if override:
        candidate = Path(override).expanduser()
        if candidate.is_dir():
            candidate = next((candidate / n for n in names if (candidate / n).is_file()), candidate)
        if candidate.is_file():
            status.path, status.found_by = candidate, "setting"
        else:
            status.problems.append(f"the path in setting {spec.setting} does not exist: {override}")
    if status.path is None:
        for folder in spec.search:
            base = Path(os.path.expanduser(folder))
            hit = next((base / n for n in names if (base / n).is_file()), None)
            if hit is not None:
                status.path, status.found_by = hit, "search path"
                break
    if status.path is None:
        for name in names:
            which = shutil.which(name)
            if which:
                status.path, status.found_by = Path(which), "PATH"
                break
    if status.path is not None and read_version and spec.version_args:
        status.version = _read_version(status, spec)
    return status


def _read_version(status: ToolStatus, spec: ToolSpec) -> str | None:
    assert status.path is not None
    try:
        completed = subprocess.run(
            [str(status.path), *spec.version_args],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        status.problems.append(f"could not run {status.path} {' '.join(spec.version_args)}: {exc}")
        return None
    output = completed.stdout + completed.stderr
    if spec.version_regex:
        match = re.search(spec.version_regex, output, re.IGNORECASE)
        return match.group(1) if match else None
    first = output.strip().splitlines()
    return first[0] if first else None
