"""Where the hafs data lives: the context root, and where hafs really keeps each file.

**The context root.** Precedence: an explicit ``--context DIR``, then ``HAFS_CONTEXT_ROOT``, then
hafs's own setting ``[general].context_root`` read from hafs's config files exactly as hafs reads
them (:func:`read_hafs_context_root`), then ``~/.context``. ``--context`` and
``HAFS_CONTEXT_ROOT`` are the *studio's* switches (hafs has no such variable, hafs-formats §0):
they point the studio at one folder that holds everything, e.g. a copy of a user's data, a
sample workspace or a test's temp folder. The studio never writes hafs's config.

**Files hafs hard-codes.** hafs's setting moves only a few of its files: the autonomy and
observability daemons (with their logs) and the agent metrics follow it. Every other writer,
the model registry and all training files among them, hard-codes ``~/.context`` (hafs-formats §0,
"Context root users"). So when hafs's config puts the root elsewhere, one user's data lies in two
folders. :func:`hafs_path` answers "where does hafs keep file X" for every feature, so the
studio reads each file where hafs writes it and never splits the data further; ``hafs-studio
doctor`` and the status bar say when the two roots differ.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

__all__ = [
    "CONFIGURED_ROOT_PATHS",
    "HAFS_SKELETON",
    "ContextRoot",
    "HafsConfigRoot",
    "create_skeleton",
    "hafs_config_path",
    "hafs_path",
    "read_hafs_context_root",
    "resolve_context_root",
]

log = logging.getLogger(__name__)

# The folders hafs creates or expects below the context root (hafs-formats §1-§5).
HAFS_SKELETON: tuple[str, ...] = (
    "models",
    "training",
    "training/datasets",
    "training/logs",
    "metrics",
    "knowledge",
)

# What follows hafs's [general].context_root (``core.config.CONTEXT_ROOT``); everything else
# is written below ~/.context whatever the setting says. Refs in hafs's src/:
# services/daemons/autonomy_daemon.py:43-45,172-184; observability_daemon.py:30-32,220-223;
# core/metrics.py:9.
CONFIGURED_ROOT_PATHS: tuple[str, ...] = (
    "autonomy_daemon",
    "observability_daemon",
    "logs/autonomy_daemon.log",
    "logs/observability_daemon.log",
    "metrics",
)

STUDIO_SWITCHES = ("--context", "HAFS_CONTEXT_ROOT")


@dataclass(frozen=True)
class ContextRoot:
    """The resolved context root and where the answer came from (shown in doctor and the UI).

    ``hard_coded`` is where hafs's hard-coding writers put their files (``~/.context``) when
    that differs from ``path`` because hafs's config moved the root; None when everything is
    below ``path``. Use :func:`hafs_path` to find a file rather than joining ``path`` yourself.
    """

    path: Path
    source: str  # "--context", "HAFS_CONTEXT_ROOT", "<config file>", "default" (or a test's)
    hard_coded: Path | None = None
    problems: tuple[str, ...] = field(default=())  # config files hafs itself would refuse

    @property
    def split(self) -> bool:
        """hafs keeps this user's files in two folders (see the module docstring)."""
        return self.hard_coded is not None and self.hard_coded != self.path

    @property
    def roots(self) -> tuple[Path, ...]:
        return (self.path, self.hard_coded) if self.split else (self.path,)  # type: ignore[return-value]

    @property
    def exists(self) -> bool:
        return any(root.is_dir() for root in self.roots)

    @property
    def is_empty(self) -> bool:
        """True when no root holds anything hafs wrote (the welcome page shows)."""
        return all(_folder_is_empty(root) for root in self.roots)

    @property
    def training(self) -> Path:
        return hafs_path(self, "training")

    @property
    def models(self) -> Path:
        return hafs_path(self, "models")

    def describe(self) -> str:
        """One line for doctor and the status bar."""
        text = f"{self.path} (from {self.source})"
        if self.split:
            text += (f"; hafs still writes the model registry, training and most other files "
                     f"to {self.hard_coded}, so the studio reads them there")
        return text


def hafs_path(context: ContextRoot, relative: str | os.PathLike[str]) -> Path:
    """Where hafs keeps ``relative`` (a path below the context root, e.g.
    ``"models/registry.json"`` or ``"training/datasets"``) for this user.

    Everything is below ``context.path``, except when hafs's config moved the root: then only
    :data:`CONFIGURED_ROOT_PATHS` are there, and every other file is below ``~/.context``,
    where hafs's writers hard-code it. Raises ValueError for an absolute path or one with
    ``..`` (a caller's bug, never user data).
    """
    parts = PurePosixPath(os.fspath(relative).replace("\\", "/")).parts
    if not parts or parts[0] == "/" or ".." in parts or ":" in parts[0]:
        raise ValueError(f"{relative!r} is not a path below the context root")
    if context.split and not _follows_configured_root(parts):
        return Path(context.hard_coded, *parts)  # type: ignore[arg-type]
    return Path(context.path, *parts)


def _follows_configured_root(parts: tuple[str, ...]) -> bool:
    for prefix in CONFIGURED_ROOT_PATHS:
        prefix_parts = tuple(prefix.split("/"))
        if parts[:len(prefix_parts)] == prefix_parts:
            return True
    return False


def _folder_is_empty(folder: Path) -> bool:
    if not folder.is_dir():
        return True
    try:
        return not any(child.name != ".DS_Store" for child in folder.iterdir())
    except OSError:
        return True


# -- hafs's config -------------------------------------------------------------------------
@dataclass(frozen=True)
class HafsConfigRoot:
    """``[general].context_root`` after hafs's merge: the value, the file it came from, and
    the files hafs would refuse (it stops with an error on them; the studio skips them)."""

    value: Path | None
    source: Path | None
    problems: tuple[str, ...] = ()


def hafs_config_path(environ: dict[str, str] | None = None) -> Path:
    """The config file hafs's explicit path points to: ``HAFS_CONFIG_PATH``, else the user file."""
    env = os.environ if environ is None else environ
    explicit = env.get("HAFS_CONFIG_PATH")
    if explicit:
        return Path(_expanduser(explicit, env))
    return _home(env) / ".config" / "hafs" / "config.toml"


def read_hafs_context_root(environ: dict[str, str] | None = None,
                           cwd: str | os.PathLike[str] | None = None) -> HafsConfigRoot:
    """hafs's ``[general].context_root``, merged from its config files as hafs merges them.

    Mirrors hafs's ``config/loader.py::load_config`` (hafs-formats §0): all existing files
    are deep-merged, later wins: the legacy ``~/.context/hafs_config.toml`` (only its
    ``[core] context_root`` counts here; hafs ignores errors in it), then ``./hafs.toml`` and
    ``~/.config/hafs/config.toml`` (the user file wins unless ``HAFS_PREFER_REPO_CONFIG`` is
    true or ``HAFS_PREFER_USER_CONFIG`` false), then the explicit file (``HAFS_CONFIG_PATH``)
    if it exists. The value is expanded as hafs does: ``~`` and a path relative to the
    current folder, no environment variables.
    """
    env = os.environ if environ is None else environ
    folder = Path(cwd) if cwd is not None else Path.cwd()
    home = _home(env)
    problems: list[str] = []
    prefer_user = _parse_bool(env.get("HAFS_PREFER_USER_CONFIG"), default=True)
    if _parse_bool(env.get("HAFS_PREFER_REPO_CONFIG"), default=False):
        prefer_user = False
    legacy = home / ".context" / "hafs_config.toml"
    user = home / ".config" / "hafs" / "config.toml"
    local = folder / "hafs.toml"
    explicit = Path(_expanduser(env["HAFS_CONFIG_PATH"], env)) if env.get(
        "HAFS_CONFIG_PATH") else None
    layers: list[tuple[Path, dict[str, Any]]] = []
    legacy_data = _read_toml(legacy, problems, hafs_ignores_errors=True)
    core = legacy_data.get("core")
    if isinstance(core, dict) and "context_root" in core:
        layers.append((legacy, {"general": {"context_root": core["context_root"]}}))
    middle = [(local, _read_toml(local, problems)), (user, _read_toml(user, problems))]
    layers += middle if prefer_user else middle[::-1]
    if explicit is not None:
        layers.append((explicit, _read_toml(explicit, problems)))
    value: Any = None
    source: Path | None = None
    for path, data in layers:
        if "general" not in data:
            continue
        general = data["general"]
        if not isinstance(general, dict):  # a non-table replaces the merged table
            value, source = None, None
        elif "context_root" in general:
            value, source = general["context_root"], path
    if value is not None and not isinstance(value, str):
        problems.append(f"{source}: [general].context_root should be a path string, not "
                        f"{type(value).__name__} (hafs refuses this config)")
        value, source = None, None
    resolved = Path(folder, _expanduser(value, env)).resolve() if value else None
    return HafsConfigRoot(resolved, source, tuple(problems))


def resolve_context_root(
    explicit: str | os.PathLike[str] | None = None, environ: dict[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> ContextRoot:
    """Resolve the context root (see the module docstring for the precedence)."""
    env = os.environ if environ is None else environ
    if explicit:
        return ContextRoot(_expand(explicit, env), "--context")
    from_env = env.get("HAFS_CONTEXT_ROOT")
    if from_env:
        return ContextRoot(_expand(from_env, env), "HAFS_CONTEXT_ROOT")
    default = _home(env) / ".context"
    configured = read_hafs_context_root(env, cwd)
    for problem in configured.problems:
        log.warning("hafs config: %s", problem)
    if configured.value is not None and configured.source is not None:
        hard_coded = default if configured.value != default.resolve() else None
        return ContextRoot(configured.value, str(configured.source), hard_coded,
                           configured.problems)
    return ContextRoot(default, "default", problems=configured.problems)


def create_skeleton(root: Path) -> list[Path]:
    """Create the hafs folder skeleton below ``root``; return the folders that were new."""
    created = []
    for relative in HAFS_SKELETON:
        folder = root / relative
        if not folder.exists():
            folder.mkdir(parents=True, exist_ok=True)
            created.append(folder)
    return created


def _read_toml(path: Path, problems: list[str], hafs_ignores_errors: bool = False
               ) -> dict[str, Any]:
    if not path.is_file():
        return {}
    import tomllib  # only when hafs has a config file: start-up time matters

    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        if not hafs_ignores_errors:
            problems.append(f"{path}: {exc} (hafs stops with this error; the studio skips "
                            "the file)")
        return {}


def _parse_bool(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _home(env: Any) -> Path:
    return Path(env.get("HOME") or str(Path.home()))


def _expanduser(text: str, env: Any) -> str:
    if text == "~" or text.startswith(("~/", "~\\")):
        return str(_home(env)) + text[1:]
    return text


def _expand(value: str | os.PathLike[str], env: Any) -> Path:
    """The studio's own switches: ``~`` and environment variables, relative to the cwd."""
    text = _expanduser(os.fspath(value), env)
    return Path(os.path.expandvars(text)).absolute()
