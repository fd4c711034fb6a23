"""Hooks the Deploy plugin owns (declared here, beside the plugin that calls them).

A plugin that implements one lists ``"deploy"`` in its ``REQUIRES`` or ``OPTIONAL``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from studio.api import hookspec

if TYPE_CHECKING:
    from studio.api import Studio
    from studio.plugins.deploy.backend import Backend


@hookspec
def studio_register_deploy_backends(register: Callable[[Backend], None], studio: Studio) -> None:
    """Add deployment backends: ``register(MyBackend(...))``, once per backend.

    Fires when the Deploy plugin starts (``studio_startup``), after the built-in backends
    (llama.cpp in-process, Ollama, CTranslate2) are registered. Each backend is an instance of
    :class:`studio.plugins.deploy.api.Backend` with a unique ``id``; it appears in the Deploy
    panel's backend step (with its ``available()`` reason), in ``hafs-studio deploy --backend``
    and in ``hafs-studio doctor``.
    """
