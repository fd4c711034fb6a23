"""The cached plugin index: what the last start found, so the next one can paint at once.

Painting the window needs to know which plugins exist, their views (dock titles, icons, areas,
workspaces), their toolbar commands and their themes. All of that is data, and finding it the
usual way means importing pluggy, ``importlib.metadata`` (to read entry points) and every
plugin module. The index keeps that data from the last complete start in the studio's cache
folder (``<cache>/plugin-index.json``). A start with a valid index paints the window from it
(:meth:`studio.core.app.Studio.start_first_frame`) and imports the plugins right after the
first frame (:meth:`~studio.core.app.Studio.finish_start`), which then replaces every
placeholder with the real contribution.

The index is valid only for the same *fingerprint*: the studio version, the Python version,
the list of built-in plugins and the size and modification time of each built-in ``plugin.py``,
and the installed distributions (every ``*.dist-info``/``*.egg-info`` folder on ``sys.path``
with its ``entry_points.txt``). Installing, upgrading or removing anything makes a new index.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.core import small_json
from studio.core.atomic import atomic_write_bytes
from studio.core.contributions import CommandSpec, ThemeSpec, ViewSpec

if TYPE_CHECKING:
    from studio.core.app import Studio

__all__ = [
    "INDEX_FILE",
    "build_index",
    "fingerprint",
    "is_placeholder",
    "load_index",
    "placeholder_command",
    "placeholder_view",
    "save_index",
    "theme_specs",
]

log = logging.getLogger(__name__)

INDEX_FILE = "plugin-index.json"
FORMAT = 1
_RECORD_FIELDS = ("name", "module", "source", "version", "distribution", "requires", "optional")
_VIEW_FIELDS = ("id", "title", "icon", "area", "workspaces", "description", "plugin")
_COMMAND_FIELDS = ("id", "title", "shortcut", "category", "icon", "menu", "toolbar",
                   "description", "plugin")
_THEME_FIELDS = ("id", "name", "tokens", "dark", "source", "plugin")


def _not_loaded_yet(*_args: Any) -> None:
    """The factory and handler of placeholders: their plugin is imported after the first frame."""
    return None


def is_placeholder(spec: Any) -> bool:
    """True for a view or command standing in for a plugin that is not imported yet."""
    return getattr(spec, "factory", None) is _not_loaded_yet or getattr(
        spec, "handler", None) is _not_loaded_yet


def placeholder_view(data: dict[str, Any]) -> ViewSpec:
    values = {key: data[key] for key in _VIEW_FIELDS if key in data}
    values["workspaces"] = tuple(values.get("workspaces", ()))
    return ViewSpec(factory=_not_loaded_yet, **values)


def placeholder_command(data: dict[str, Any]) -> CommandSpec:
    values = {key: data[key] for key in _COMMAND_FIELDS if key in data}
    return CommandSpec(handler=_not_loaded_yet, enabled_when=lambda *_: False, **values)


# -- fingerprint ----------------------------------------------------------------------------------
def fingerprint(builtins: Sequence[tuple[str, str]], entry_points: bool) -> str:
    """What the index depends on (see the module docstring), as text (compared whole: no
    hashing module on the way to the first frame)."""
    from studio import __version__

    parts = [f"format {FORMAT}", f"studio {__version__}", f"python {sys.version}"]
    for name, module in builtins:
        parts.append(f"builtin {name}={module} {_module_stamp(module)}")
    if entry_points:
        parts.extend(_distributions())
    return "\n".join(parts)


def _module_stamp(module: str) -> str:
    path = _module_file(module)
    try:
        info = os.stat(path) if path is not None else None
    except OSError:
        info = None
    return f"{info.st_size}:{info.st_mtime_ns}" if info is not None else "missing"


def _module_file(module: str) -> Path | None:
    """The source file of a module, found without importing it (a studio module) or its
    parents only (anything else)."""
    if module.startswith("studio."):
        import studio

        base = Path(studio.__file__).parent.joinpath(*module.split(".")[1:])
        return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
    import importlib.util

    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    return Path(spec.origin) if spec is not None and spec.origin else None


def _distributions() -> list[str]:
    """Every installed distribution on sys.path, with its entry points file's size and time."""
    found = []
    for folder in dict.fromkeys(sys.path):
        try:
            entries = list(os.scandir(folder or "."))
        except OSError:
            continue
        for entry in entries:
            if not entry.name.endswith((".dist-info", ".egg-info")):
                continue
            try:
                info = os.stat(os.path.join(entry.path, "entry_points.txt"))
                stamp = f"{info.st_size}:{info.st_mtime_ns}"
            except OSError:
                stamp = "-"
            found.append(f"dist {folder}/{entry.name} {stamp}")
    return sorted(found)


# -- reading and writing ---------------------------------------------------------------------------
def load_index(path: Path, expected: str) -> dict[str, Any] | None:
    """The index at ``path`` if it matches the fingerprint ``expected``; None otherwise."""
    data = small_json.read_cache(path, "plugin index")
    if data is None or data.get("fingerprint") != expected:
        return None
    if not all(isinstance(data.get(key), list) for key in ("plugins", "views", "commands",
                                                           "themes")):
        return None
    return data


def save_index(path: Path, index: dict[str, Any]) -> bool:
    """Write ``index`` unless the file already holds exactly it; True when written."""
    payload = small_json.dumps(index, indent=True, sort_keys=True)
    try:
        if path.read_bytes() == payload:
            return False
    except OSError:
        pass
    try:
        atomic_write_bytes(path, payload)
    except OSError as exc:  # a read-only cache only costs the next start its head start
        log.warning("cannot write the plugin index %s: %s", path, exc)
        return False
    return True


def build_index(studio: Studio, expected: str) -> dict[str, Any]:
    """The index of a fully started studio: records, views, toolbar commands, themes."""
    plugins = []
    for key, record in studio.plugins.records.items():
        if key != record.name or record.source not in ("built-in", "entry point"):
            continue
        item = {name: getattr(record, name) for name in _RECORD_FIELDS}
        item["requires"], item["optional"] = list(record.requires), list(record.optional)
        item["entry_point"] = record.entry_point.value if record.entry_point else ""
        plugins.append(item)
    return {
        "fingerprint": expected,
        "plugins": plugins,
        "views": [_fields(spec, _VIEW_FIELDS) for spec in studio.contributions.views.values()],
        "commands": [_fields(spec, _COMMAND_FIELDS) for spec in studio.commands.all()
                     if spec.toolbar and spec.selection is None],
        "themes": [_fields(spec, _THEME_FIELDS) for spec in studio.contributions.themes.values()],
    }


def _fields(spec: Any, names: Iterable[str]) -> dict[str, Any]:
    values = {}
    for name in names:
        value = getattr(spec, name)
        values[name] = list(value) if isinstance(value, tuple) else value
    return values


def theme_specs(index: dict[str, Any]) -> list[ThemeSpec]:
    return [ThemeSpec(**{key: item[key] for key in _THEME_FIELDS if key in item})
            for item in index["themes"]]

