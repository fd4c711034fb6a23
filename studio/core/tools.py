"""External programs the studio can drive, from ``third_party/tools.toml``.

Each tool is looked for in order: an explicit path from the studio settings, the manifest's
search folders (hafs defaults such as ``~/Code/llama.cpp``), then ``PATH``. Versions are read by
running the tool with its version arguments: no shell, a short timeout, output parsed with the
manifest's regex.

Per studio, :class:`ToolRegistry` (``studio.services.tools``) holds the manifest, the user's
override file (``<config>/tools.toml``, same format: a table there replaces fields of a bundled
tool or adds a tool) and the tools plugins contribute through the ``studio_register_tools``
hook, all parsed once; :meth:`ToolRegistry.locate` looks a tool up with the user's path
setting applied.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import sys
import threading
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "ToolRegistry",
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
    plugin: str = ""  # who contributed it: "" for the bundled manifest and the user's overrides

    @property
    def id(self) -> str:
        return self.name


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


def load_manifest(path: Path | None = None,
                  base: dict[str, ToolSpec] | None = None) -> list[ToolSpec]:
    """Read a manifest; with ``base`` (an override file) tables may give only changed fields."""
    path = path or manifest_path()
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ToolsManifestError(f"{path}: {exc}") from exc
    specs = []
    for name, entry in (data.get("tools") or {}).items():
        if not isinstance(entry, dict):
            raise ToolsManifestError(f"{path}: tools.{name} is not a table")
        known = base.get(name) if base else None
        fields = dataclasses.asdict(known) if known is not None else {"name": name}
        fields.update({key: _field_value(path, name, key, value) for key, value in entry.items()})
        missing = [key for key in _REQUIRED if not fields.get(key)]
        if missing:
            raise ToolsManifestError(f"{path}: [tools.{name}] lacks {', '.join(missing)}")
        specs.append(ToolSpec(**fields))
    return specs


_TUPLES = ("executables", "search", "version_args", "known")
_STRINGS = ("description", "without", "setting", "version_regex", "homepage")


def _field_value(path: Path, name: str, key: str, value: Any) -> Any:
    if key in _TUPLES:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ToolsManifestError(f"{path}: [tools.{name}] {key} must be a list of strings")
        return tuple(value)
    if key in _STRINGS:
        if not isinstance(value, str):
            raise ToolsManifestError(f"{path}: [tools.{name}] {key} must be a string")
        return value
    raise ToolsManifestError(f"{path}: [tools.{name}] has an unknown field {key!r}")


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
    from studio.core.process import ProcessFailed, ProcessManager

    assert status.path is not None
    lines: list[str] = []
    try:
        # A managed run (no shell, own process group, killed whole on timeout); a tool that
        # prints its version and exits non-zero (some do) still has its output read.
        ProcessManager().run([str(status.path), *spec.version_args], name="version-probe",
                             owner="studio", on_line=lambda _stream, line: lines.append(line),
                             timeout=5, grace_s=0.5)
    except ProcessFailed:
        pass
    except (OSError, TimeoutError) as exc:
        status.problems.append(f"could not run {status.path} {' '.join(spec.version_args)}: {exc}")
        return None
    output = "\n".join(lines)
    if spec.version_regex:
        match = re.search(spec.version_regex, output, re.IGNORECASE)
        return match.group(1) if match else None
    first = output.strip().splitlines()
    return first[0] if first else None


class ToolRegistry:
    """The tools of one studio: bundled manifest + the user's overrides + plugin contributions.

    Files are parsed once, at construction; a problem in them is kept in :attr:`problems` (and
    shown by ``hafs-studio doctor``) instead of breaking the studio. ``setting_value(section,
    key)`` reads the user's explicit path settings when a tool is located.
    """

    def __init__(self, manifest: Path | None = None, overrides: Path | None = None,
                 setting_value: Any = None) -> None:
        self._manifest = manifest
        self._overrides = overrides
        self._setting_value = setting_value
        self._lock = threading.RLock()
        self._specs: dict[str, ToolSpec] | None = None  # parsed on first use, then kept
        self._problems: list[str] = []
        self._contributed: list[ToolSpec] = []

    @property
    def problems(self) -> list[str]:
        """What was wrong with the manifest or the override file (shown by doctor)."""
        self._loaded()
        return list(self._problems)

    def _loaded(self) -> dict[str, ToolSpec]:
        # Parsed when a tool is first asked for, not at start-up (the window shows sooner).
        with self._lock:
            if self._specs is None:
                specs: dict[str, ToolSpec] = {}
                try:
                    specs = {spec.name: spec for spec in load_manifest(self._manifest)}
                except ToolsManifestError as exc:
                    self._problems.append(str(exc))
                if self._overrides is not None and self._overrides.is_file():
                    try:
                        for spec in load_manifest(self._overrides, base=specs):
                            specs[spec.name] = spec
                    except ToolsManifestError as exc:
                        self._problems.append(str(exc))
                self._specs = specs
                for spec in self._contributed:
                    self._add(spec)
            return self._specs

    def register(self, spec: ToolSpec) -> None:
        """Add a plugin's tool (``spec.plugin`` stamped by the hook); ids are unique."""
        if not isinstance(spec, ToolSpec):
            raise TypeError(f"expected a ToolSpec, got {type(spec).__name__}")
        missing = [key for key in _REQUIRED if not getattr(spec, key)]
        if missing:
            raise ToolsManifestError(f"tool {spec.name!r} lacks {', '.join(missing)}")
        with self._lock:
            self._add(spec)
            self._contributed.append(spec)

    def _add(self, spec: ToolSpec) -> None:
        specs = self._loaded()
        existing = specs.get(spec.name)
        if existing is not None and existing is not spec:
            who = f"plugin {existing.plugin!r}" if existing.plugin else "the tools manifest"
            raise ValueError(f"tool {spec.name!r} is already defined by {who}")
        specs[spec.name] = spec

    def remove_plugin(self, plugin: str) -> None:
        with self._lock:
            self._contributed = [s for s in self._contributed if s.plugin != plugin]
            specs = self._loaded()
            for name in [n for n, s in specs.items() if s.plugin == plugin]:
                del specs[name]

    def specs(self) -> list[ToolSpec]:
        with self._lock:
            return list(self._loaded().values())

    def spec(self, tool_id: str) -> ToolSpec:
        with self._lock:
            specs = self._loaded()
            found = specs.get(tool_id)
        if found is None:
            raise KeyError(f"no tool {tool_id!r}: known tools are {', '.join(sorted(specs))}")
        return found

    def override_for(self, spec: ToolSpec) -> str | None:
        """The user's explicit path setting for ``spec`` (``section.key``), if set."""
        if not spec.setting or self._setting_value is None:
            return None
        section, _, key = spec.setting.partition(".")
        try:
            return self._setting_value(section, key) or None
        except Exception:  # the section is not registered (its plugin is disabled)
            return None

    def locate(self, tool_id: str, read_version: bool = True,
               override: str | None = None) -> ToolStatus:
        """Find ``tool_id`` now: ``override`` (else the user's setting), search folders, PATH."""
        spec = self.spec(tool_id)
        return locate(spec, override or self.override_for(spec), read_version=read_version)
