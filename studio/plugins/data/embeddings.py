"""Sample embeddings: a per-studio table of embedders and a content-addressed disk cache.

The default embedder is the native hashed character n-gram embedder (``studio.native``,
docs/native.md kernel 8): deterministic, 384 dimensions, no model download. Other plugins add
real models (a locally installed sentence-transformers model, …) as :class:`EmbedderSpec`\\ s
through the ``studio_register_embedders`` hook this plugin declares (hookspecs.py); the table
lives in the Data plugin's per-studio state, never in a module global, and the user's choice
is the ``data.embedder`` setting.

Vectors are cached per dataset file under the studio's cache folder
(``<cache>/data-embeddings``), keyed by the file's content hash (computed while the file is
read), the embedder id and version and the text recipe: a file hafs rewrites gets new keys, an
unchanged one is never embedded twice.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from studio.api import NULL_CONTEXT, ContributionTable, JobContext, atomic_writer

if TYPE_CHECKING:  # numpy loads with the first embedding, not with the plugin
    import numpy as np

__all__ = [
    "DEFAULT_EMBEDDER",
    "EMBED_MAX_CHARS",
    "EmbedderRegistry",
    "EmbedderSpec",
    "EmbeddingCache",
    "hashed_ngram_embedder",
]

DEFAULT_EMBEDDER = "native-hashed"
# Texts are cut to this many characters before embedding: the first part of a sample says
# what it is about, and one 10 MB sample must not dominate a batch's time.
EMBED_MAX_CHARS = 8_000
_BATCH = 4096

EmbedFunction = Callable[[Sequence[str], JobContext], "np.ndarray"]


@dataclass(frozen=True)
class EmbedderSpec:
    """An embedder: ``embed(texts, ctx)`` → (n, dim) float32 rows (L2-normalised or not).

    ``version`` changes whenever the same text would get a different vector (new model
    weights, other settings); it is part of the cache key.
    """

    id: str
    title: str
    embed: EmbedFunction
    version: str = "1"
    description: str = ""
    plugin: str = ""


def hashed_ngram_embedder(dim: int = 384, ngram_range: tuple[int, int] = (3, 5)) -> EmbedderSpec:
    """The built-in: ``native.embed_texts`` in batches, with progress and cancel."""
    def embed(texts: Sequence[str], ctx: JobContext) -> np.ndarray:
        import numpy as np

        from studio.api import native

        out = np.zeros((len(texts), dim), dtype=np.float32)
        for start in range(0, len(texts), _BATCH):
            ctx.raise_if_cancelled()
            batch = texts[start:start + _BATCH]
            out[start:start + len(batch)] = native.embed_texts(batch, dim=dim,
                                                               ngram_range=ngram_range)
            ctx.report((start + len(batch)) / max(1, len(texts)))
        return out

    return EmbedderSpec(DEFAULT_EMBEDDER, "Hashed character n-grams (built in)", embed,
                        version=f"dim{dim}-ng{ngram_range[0]}{ngram_range[1]}-v1",
                        description=f"{dim}-d signed feature hashing of character "
                                    f"{ngram_range[0]}-{ngram_range[1]}-grams; no download")


class EmbedderRegistry:
    """The embedders of one studio: what ``studio_register_embedders`` collected.

    The Data plugin registers the built-in through the same hook, so the table always holds
    it while the plugin is active; a contributor torn down drops out of the table by itself.
    """

    def __init__(self, table: ContributionTable[EmbedderSpec]) -> None:
        self.table = table

    def get(self, embedder_id: str) -> EmbedderSpec:
        if embedder_id in self.table:
            return self.table.get(embedder_id)
        known = ", ".join(sorted(self.table.ids())) or "none"
        raise KeyError(f"no embedder {embedder_id!r} (registered: {known})")

    def items(self) -> list[EmbedderSpec]:
        return self.table.items()

    def resolve(self, embedder_id: str) -> tuple[EmbedderSpec, str]:
        """The chosen embedder, or the default with a note saying why it was not used."""
        try:
            return self.get(embedder_id), ""
        except KeyError as exc:
            return self.get(DEFAULT_EMBEDDER), f"{exc.args[0]}; using {DEFAULT_EMBEDDER}"


class EmbeddingCache:
    """``.npy`` files named by (content hash, embedder, version, recipe), written atomically."""

    RECIPE = f"iio-{EMBED_MAX_CHARS}"  # instruction+input+output, cut to EMBED_MAX_CHARS

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def path_for(self, content_hash: str, spec: EmbedderSpec) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_." else "_"
                       for c in f"{spec.id}-{spec.version}-{self.RECIPE}")
        return self.folder / f"{content_hash}-{safe}.npy"

    def load(self, content_hash: str, spec: EmbedderSpec, rows: int) -> np.ndarray | None:
        """The cached vectors if present and of the expected row count, else None."""
        import numpy as np

        if not content_hash:
            return None
        path = self.path_for(content_hash, spec)
        try:
            vectors = np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            return None
        if vectors.ndim != 2 or vectors.shape[0] != rows or vectors.dtype != np.float32:
            return None
        return vectors

    def store(self, content_hash: str, spec: EmbedderSpec, vectors: np.ndarray) -> Path | None:
        import numpy as np

        if not content_hash:
            return None
        path = self.path_for(content_hash, spec)
        try:
            with atomic_writer(path) as handle:
                np.save(handle, np.ascontiguousarray(vectors, dtype=np.float32),
                        allow_pickle=False)
        except OSError:
            return None  # an unwritable cache only costs the next run the embedding time
        return path

    def embed(self, content_hash: str, texts: Sequence[str], spec: EmbedderSpec,
              ctx: JobContext = NULL_CONTEXT) -> tuple[np.ndarray, bool]:
        """(vectors, from_cache) for the texts of one file."""
        cached = self.load(content_hash, spec, len(texts))
        if cached is not None:
            ctx.report(1.0, "embeddings from cache")
            return cached, True
        import numpy as np

        cut = [text[:EMBED_MAX_CHARS] for text in texts]
        vectors = np.asarray(spec.embed(cut, ctx), dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(texts):
            raise ValueError(f"embedder {spec.id!r} returned shape {vectors.shape} for "
                             f"{len(texts)} texts")
        self.store(content_hash, spec, vectors)
        return vectors, False
