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

    Fires when the Deploy plugin starts (``studio_startup``; the built-in backends, llama.cpp
    in-process, Ollama and CTranslate2, are registered this way too) and for a plugin enabled
    later. Each backend is an instance of :class:`studio.plugins.deploy.api.Backend` with a
    unique ``id`` (a duplicate errors the contributor); it appears in the Deploy panel's
    backend step (with its ``available()`` reason), in ``hafs-studio deploy --backend``, in chat
    and prompt sets and in ``hafs-studio doctor``. docs/plugins.md §12 shows a third-party
    backend.
    """
