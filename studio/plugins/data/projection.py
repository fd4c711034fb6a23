"""2-D maps of embeddings: PCA in NumPy, UMAP only when ``umap-learn`` is installed.

PCA takes the top two eigenvectors of the dxd covariance (``eigh``, from Σx and XᵀX),
which for n ≫ d is far cheaper than an SVD of the nxd matrix and gives the same axes. Signs are
fixed (the largest-magnitude loading of each axis is positive) so the map does not flip
between runs.
"""

from __future__ import annotations

import numpy as np

from studio.api import NULL_CONTEXT, JobContext
from studio.plugins.data.diversity import Moments

__all__ = ["Projection", "pca_2d", "project", "umap_available"]


class Projection:
    """(n, 2) coordinates, the method used, and the variance share each PCA axis explains."""

    def __init__(self, points: np.ndarray, method: str, explained: tuple[float, ...] = (),
                 note: str = "") -> None:
        self.points = points
        self.method = method
        self.explained = explained
        self.note = note


def pca_2d(vectors: np.ndarray, moments: Moments | None = None) -> Projection:
    """Top-two principal components. ``moments`` (Σx and XᵀX of the same rows, as the
    diversity figures compute them) saves the one big matrix product."""
    x = np.asarray(vectors, dtype=np.float32)
    n = len(x)
    if n == 0:
        return Projection(np.zeros((0, 2), np.float32), "pca")
    if moments is None or moments.n != n:
        moments = Moments(n, x.sum(axis=0, dtype=np.float64), (x.T @ x).astype(np.float64))
    mean = moments.total / n
    covariance = (moments.gram - n * np.outer(mean, mean)) / max(1, n - 1)
    values, vectors_ = np.linalg.eigh(covariance)
    order = np.argsort(values)[::-1][:2]
    axes = vectors_[:, order]
    if axes.shape[1] < 2:  # one-dimensional input
        axes = np.pad(axes, ((0, 0), (0, 2 - axes.shape[1])))
    signs = np.sign(axes[np.abs(axes).argmax(axis=0), range(2)])
    axes = axes * np.where(signs == 0, 1, signs)
    total = float(values.sum())
    explained = tuple(float(values[i]) / total if total > 0 else 0.0 for i in order)
    points = (x - mean.astype(np.float32)) @ axes.astype(np.float32)
    return Projection(points.astype(np.float32), "pca", explained)


def umap_available() -> bool:
    try:
        import umap  # noqa: F401
    except ImportError:
        return False
    return True


def project(vectors: np.ndarray, method: str = "pca", ctx: JobContext = NULL_CONTEXT,
            moments: Moments | None = None) -> Projection:
    """``method`` "umap" falls back to PCA (with a note) when umap-learn is missing."""
    ctx.raise_if_cancelled()
    if method == "umap":
        if not umap_available():
            projection = pca_2d(vectors, moments)
            projection.note = "UMAP is not installed (pip install umap-learn); showing PCA"
            return projection
        if len(vectors) >= 4:
            import umap

            reducer = umap.UMAP(n_components=2, metric="cosine", random_state=0)
            return Projection(np.asarray(reducer.fit_transform(vectors), np.float32), "umap")
    return pca_2d(vectors, moments)
