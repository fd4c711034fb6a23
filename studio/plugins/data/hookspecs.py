"""Hooks owned by the Data plugin (collected once the platform's plugin-owned hooks land).

Until then a plugin adds an embedder from its ``studio_startup`` with
``studio.plugins.data.api.data_state(studio).embedders.register(EmbedderSpec(...))``.
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
    ``version``.
    """
