"""The Data plugin's public, Qt-free API: what other plugins and scripts may import.

>>> from studio.plugins.data.api import data_state, read_dataset, EmbedderSpec
>>> state = data_state(studio)            # the per-studio state (service "data")
>>> state.embedders.get("native-hashed")  # embedders come from studio_register_embedders
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.plugins.data.analytics import Table
from studio.plugins.data.annotations import Annotation, AnnotationStore
from studio.plugins.data.dataset import Dataset, read_dataset, scan_dataset
from studio.plugins.data.embeddings import DEFAULT_EMBEDDER, EmbedderSpec
from studio.plugins.data.filters import SampleFilter
from studio.plugins.data.records import FieldMapping, Sample

if TYPE_CHECKING:
    from studio.api import Studio
    from studio.plugins.data.state import DataState

__all__ = [
    "DEFAULT_EMBEDDER",
    "SERVICE",
    "Annotation",
    "AnnotationStore",
    "Dataset",
    "EmbedderSpec",
    "FieldMapping",
    "Sample",
    "SampleFilter",
    "Table",
    "data_state",
    "read_dataset",
    "scan_dataset",
]

SERVICE = "data"


def data_state(studio: Studio) -> DataState:
    """The studio's Data state; ``ServiceUnavailableError`` when the plugin is not active."""
    return studio.services.get(SERVICE)
