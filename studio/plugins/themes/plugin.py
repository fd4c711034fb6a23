"""Registers every built-in theme file, exactly as a third-party theme plugin would.

A malformed file is skipped with a warning naming it (the plugin manager shows warnings), so
one broken theme never costs the user the others. The shell's ThemeManager validates the
specs again and falls back to an embedded Cobalt if ``cobalt.json`` itself is unusable.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from studio import hookimpl
from studio.api import ThemeSpec
from studio.core.themes import builtin_theme_dir, load_theme_dir

log = logging.getLogger(__name__)


def register_theme_files(directory: Path, register: Callable[[ThemeSpec], None]) -> int:
    """Register each valid ``*.json`` theme in ``directory``; return how many were registered."""
    if not directory.is_dir():
        log.warning("theme folder %s is missing; only the fallback theme is available", directory)
        return 0
    specs, errors = load_theme_dir(directory)
    for error in errors:
        log.warning("%s (theme skipped)", error)
    for spec in specs:
        register(spec)
    return len(specs)


@hookimpl
def studio_register_themes(register: Callable[[ThemeSpec], None]) -> None:
    register_theme_files(builtin_theme_dir(), register)
