"""Hooks owned by the Data plugin, collected in its ``studio_startup``.

A plugin that adds an embedder lists ``"data"`` in its OPTIONAL (or REQUIRES) and implements::

    @hookimpl
    def studio_register_embedders(register):
        from studio.plugins.data.api import EmbedderSpec
        register(EmbedderSpec("my-model", "My model", embed, version="1"))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from studio.api import hookspec


@hookspec
def studio_register_embedders(register: Callable[[Any], None], studio: Any) -> None:
    """Add sentence embedders for dataset analytics (diversity, near-duplicates, the map).

    Fires when the Data plugin starts. Call ``register(EmbedderSpec(id, title, embed,
    version=...))`` once per embedder; ``embed(texts, ctx)`` returns an (n, d) float32 array,
    runs on a worker thread and should report progress and honour ``ctx`` cancellation. The
    user picks one in Preferences ▸ Data ▸ Embedder; embeddings are cached per file and
    ``version``. A contributor that is disabled later drops out of the table; the setting then
    falls back to the built-in, with a note in the Diversity view.
    """
