"""What the Data plugin publishes on the studio's bus; the views subscribe and repaint.

==========================  ==============================================================
topic                       event
==========================  ==============================================================
``data.datasets``           :class:`DatasetsListed` (the dataset folders, after a change)
``data.dataset``            :class:`DatasetLoaded` (a dataset finished loading, or failed)
``data.diversity``          :class:`DiversityReady` (embeddings, figures, clusters, map)
``data.quality-files``      :class:`QualityFilesLoaded` (the context-level files re-read)
``data.comparison``         :class:`ComparisonReady`
``data.open-sample``        :class:`SampleRequested` (e.g. a click on the map)
``data.review``             :class:`ReviewSaved` (annotations written, or why not)
``data.near-duplicates``    :class:`NearDuplicatesFound` ("near-duplicates of this")
==========================  ==============================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from studio.api import Event

if TYPE_CHECKING:
    from studio.plugins.data.analysis import DiversityResult
    from studio.plugins.data.compare import Comparison
    from studio.plugins.data.dataset import Dataset
    from studio.plugins.data.quality_files import QualityFiles

__all__ = [
    "ComparisonReady",
    "DatasetEntry",
    "DatasetLoaded",
    "DatasetsListed",
    "DiversityReady",
    "NearDuplicatesFound",
    "QualityFilesLoaded",
    "ReviewSaved",
    "SampleRequested",
]


@dataclass(frozen=True)
class DatasetEntry:
    """A dataset folder under hafs's ``training/datasets`` as the list shows it."""

    path: Path
    name: str
    created: str
    train: int | None = None
    domains: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class DatasetsListed(Event):
    topic = "data.datasets"
    folder: Path | None = None
    entries: tuple[DatasetEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class DatasetLoaded(Event):
    topic = "data.dataset"
    dataset: Dataset | None = None
    error: str = ""


@dataclass(frozen=True, slots=True)
class DiversityReady(Event):
    topic = "data.diversity"
    result: DiversityResult | None = None
    error: str = ""


@dataclass(frozen=True, slots=True)
class QualityFilesLoaded(Event):
    topic = "data.quality-files"
    files: QualityFiles | None = None


@dataclass(frozen=True, slots=True)
class ComparisonReady(Event):
    topic = "data.comparison"
    comparison: Comparison | None = None
    error: str = ""


@dataclass(frozen=True, slots=True)
class SampleRequested(Event):
    topic = "data.open-sample"
    key: str = ""


@dataclass(frozen=True, slots=True)
class ReviewSaved(Event):
    topic = "data.review"
    saved: int = 0
    error: str = ""


@dataclass(frozen=True, slots=True)
class NearDuplicatesFound(Event):
    """The samples whose text is a near-duplicate of sample ``key`` (itself first), with their
    exact Jaccard similarity; ``error`` when the search failed."""

    topic = "data.near-duplicates"
    dataset: Dataset | None = None
    key: str = ""
    matches: tuple[tuple[str, float], ...] = ()
    error: str = ""
