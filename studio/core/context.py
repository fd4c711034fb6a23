"""Where the hafs data lives: the context root (``~/.context``) resolved exactly as hafs does.

Precedence (hafs-formats §0): an explicit ``--context DIR``, then ``HAFS_CONTEXT_ROOT``, then
``context_root`` in the hafs config file (``HAFS_CONFIG_PATH``, else
``~/.config/hafs/config.toml``), then ``~/.context``. The studio never writes hafs's config.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "HAFS_SKELETON",
    "ContextRoot",
    "create_skeleton",
    "hafs_config_path",
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


@dataclass(frozen=True)
class ContextRoot:
    """The resolved context root and where the answer came from (shown in doctor and the UI)."""

    path: Path
    source: str  # "--context", "HAFS_CONTEXT_ROOT", "<config file>", or "default"

    @property
    def exists(self) -> bool:
        return self.path.is_dir()

    @property
    def is_empty(self) -> bool:
        """True when the folder is missing or holds nothing hafs wrote (the welcome page shows)."""
        if not self.path.is_dir():
            return True
        try:
            return not any(child.name != ".DS_Store" for child in self.path.iterdir())
        except OSError:
            return True

    @property
    def training(self) -> Path:
        return self.path / "training"

    @property
    def models(self) -> Path:
        return self.path / "models"


def hafs_config_path(environ: dict[str, str] | None = None) -> Path:
    """The hafs user config file that may set ``context_root``."""
    env = os.environ if environ is None else environ
    explicit = env.get("HAFS_CONFIG_PATH")
    if explicit:
        return Path(explicit).expanduser()
    return Path(env.get("HOME", str(Path.home()))) / ".config" / "hafs" / "config.toml"


def resolve_context_root(
    explicit: str | os.PathLike[str] | None = None, environ: dict[str, str] | None = None
) -> ContextRoot:
    """Resolve the context root following hafs's precedence (see the module docstring)."""
    env = os.environ if environ is None else environ
    if explicit:
        return ContextRoot(_expand(explicit, env), "--context")
    from_env = env.get("HAFS_CONTEXT_ROOT")
    if from_env:
        return ContextRoot(_expand(from_env, env), "HAFS_CONTEXT_ROOT")
    config = hafs_config_path(env)
    configured = _read_context_root(config)
    if configured:
        return ContextRoot(_expand(configured, env), str(config))
    home = Path(env.get("HOME", str(Path.home())))
    return ContextRoot(home / ".context", "default")


def create_skeleton(root: Path) -> list[Path]:
    """Create the hafs folder skeleton below ``root``; return the folders that were new."""
    created = []
    for relative in HAFS_SKELETON:
        folder = root / relative
        if not folder.exists():
            folder.mkdir(parents=True, exist_ok=True)
            created.append(folder)
    return created


def _read_context_root(config: Path) -> str | None:
    if not config.is_file():
        return None
    import tomllib  # only when hafs has a config file: start-up time matters

    try:
        with config.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        # hafs itself would refuse this file; we fall back to the default and say why.
        log.warning("ignoring unreadable hafs config %s: %s", config, exc)
        return None
    value = data.get("context_root")
    if value is None:
        value = (
            data.get("general", {}).get("context_root")
            if isinstance(data.get("general"), dict)
            else None
        )
    if value is not None and not isinstance(value, str):
        log.warning("ignoring context_root in %s: expected a string, got %r", config, value)
        return None
    return value


def _expand(value: str | os.PathLike[str], env: dict[str, str]) -> Path:
    text = os.fspath(value)
    if text.startswith("~"):
        text = env.get("HOME", str(Path.home())) + text[1:]
    return Path(os.path.expandvars(text)).absolute()
