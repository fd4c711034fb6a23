"""HAFS Studio: a desktop IDE for fine-tuning, registering and serving small language models.

Plugin authors import :data:`hookimpl` from here and the contribution types from :mod:`studio.api`.
"""

from studio.core.hookspecs import hookimpl

__version__ = "0.1.0"

__all__ = ["__version__", "hookimpl"]
