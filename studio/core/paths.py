"""The studio's own folders (never inside hafs's files), from platformdirs.

``HAFS_STUDIO_HOME`` relocates all of them under one folder: tests and portable installs use it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["StudioPaths", "studio_paths"]

APP_NAME = "hafs-studio"


@dataclass(frozen=True)
class StudioPaths:
    config: Path  # settings.json, keybindings.conf, layouts/
    state: Path  # crash guard, window session
    cache: Path

    @property
    def settings_file(self) -> Path:
        return self.config / "settings.json"

    @property
    def keybindings_file(self) -> Path:
        return self.config / "keybindings.conf"

    @property
    def layouts_dir(self) -> Path:
        return self.config / "layouts"

    @property
    def plugin_guard_file(self) -> Path:
        return self.state / "plugin-guard.json"

    def ensure(self) -> StudioPaths:
        for folder in (self.config, self.state, self.cache):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def studio_paths(environ: dict[str, str] | None = None) -> StudioPaths:
    """Resolve the folders for this user (or ``HAFS_STUDIO_HOME`` when set)."""
    env = os.environ if environ is None else environ
    home = env.get("HAFS_STUDIO_HOME")
    if home:
        root = Path(home).expanduser().absolute()
        return StudioPaths(root / "config", root / "state", root / "cache")
    import platformdirs  # not needed (nor imported) when HAFS_STUDIO_HOME is set

    return StudioPaths(
        Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_state_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
    )
