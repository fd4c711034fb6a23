"""HAFS Studio: a desktop IDE for fine-tuning, registering and serving small language models.

Plugin authors import :data:`hookimpl` from here (or :mod:`studio.api`) and the contribution
types from :mod:`studio.api`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from studio.core.hookspecs import hookimpl

__version__ = "0.1.0"

__all__ = ["__version__", "hookimpl"]


def __getattr__(name: str) -> Any:
    # hookimpl comes with pluggy: imported when a plugin asks for it, not by every
    # `import studio` (the window paints before any plugin is imported).
    if name == "hookimpl":
        from studio.core.hookspecs import hookimpl

        return hookimpl
    raise AttributeError(f"module 'studio' has no attribute {name!r}")
