"""HAFS Studio: a desktop IDE for fine-tuning, registering and serving small language models.

Plugin authors import :data:`hookimpl` from here and the contribution types from :mod:`studio.api`.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "hookimpl"]


def __getattr__(name: str) -> object:
    # hookimpl imports pluggy (and typing): only code that defines hooks pays for it, not every
    # entry point (`hafs-studio logs grep` starts in a few ms).
    if name == "hookimpl":
        from studio.core.hookspecs import hookimpl

        return hookimpl
    raise AttributeError(f"module 'studio' has no attribute {name!r}")
