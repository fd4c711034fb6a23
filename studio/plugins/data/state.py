"""The Data plugin's per-studio state: the open dataset, its analyses, the review session.

One :class:`DataState` per studio, published as the studio service ``"data"`` in
``studio_startup`` (two studios in one process share nothing). Everything slow runs as a
``studio.jobs`` job with progress and cancel; results are published on the bus and the views
repaint from the events (their topics are listed in ``events.py``).

hafs's files are watched (``studio.watcher``): when the daemon rewrites train.jsonl, when
another process writes user_annotations.json, or when a quality file changes, the state
reloads by itself.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.api import Job, JobContext
from studio.plugins.data.dataset import Dataset, read_dataset, read_json_file
from studio.plugins.data.embeddings import (
    DEFAULT_EMBEDDER,
    EmbedderRegistry,
    EmbeddingCache,
)
from studio.plugins.data.events import (
    ComparisonReady,
    DatasetEntry,
    DatasetLoaded,
    DatasetsListed,
    DiversityReady,
    NearDuplicatesFound,
    QualityFilesLoaded,
    ReviewSaved,
    SampleRequested,
)
from studio.plugins.data.quality_files import QualityFiles
from studio.plugins.data.records import DEFAULT_MAPPING, FieldMapping
from studio.plugins.data.review import ReviewSession, SaveResult

# The analyses load numpy and the native kernels: imported by the jobs that run them, so a
# CLI command or a studio start that never analyses does not pay for them.
if TYPE_CHECKING:
    from studio.api import Studio, WatchHandle
    from studio.plugins.data.analysis import DiversityResult
    from studio.plugins.data.compare import Comparison

__all__ = [
    "ComparisonReady",
    "DataState",
    "DatasetEntry",
    "DatasetLoaded",
    "DatasetsListed",
    "DiversityReady",
    "NearDuplicatesFound",
    "QualityFilesLoaded",
    "ReviewSaved",
    "SampleRequested",
    "list_datasets",
]

SETTINGS = "data"
# Datasets up to this size are analysed as soon as they load (embeddings are cached per file;
# ~2 s for 50k samples); larger ones wait for the Analyse button.
AUTO_ANALYSE_MAX = 50_000


def list_datasets(folder: Path) -> list[DatasetEntry]:
    """Dataset folders, newest first (by metadata.json's ``created``, else the name)."""
    entries = []
    try:
        children = [c for c in folder.iterdir() if c.is_dir()]
    except OSError:
        return []
    for child in children:
        meta = read_json_file(child / "metadata.json")
        data = meta.data if meta.ok else {}
        created = str(data.get("created") or child.name[-15:])
        train = data.get("train_count")
        entries.append(DatasetEntry(child, child.name, created,
                                    train if isinstance(train, int) else None,
                                    tuple(str(d) for d in data.get("domains") or ())))
    entries.sort(key=lambda e: (e.created, e.name), reverse=True)
    return entries


class DataState:
    """See the module docstring."""

    def __init__(self, studio: Studio, embedders: EmbedderRegistry) -> None:
        self.studio = studio
        self.embedders = embedders
        self.cache = EmbeddingCache(studio.paths.cache / "data-embeddings")
        self.quality = QualityFiles(studio.context.path)
        self.dataset: Dataset | None = None
        self.diversity: DiversityResult | None = None
        self.comparison: Comparison | None = None
        self.review: ReviewSession | None = None
        self.job_ids: set[int] = set()
        self._lock = threading.Lock()
        self._dataset_watches: list[WatchHandle] = []
        self._annotations_watch: WatchHandle | None = None
        self._quality_watches = [studio.watcher.watch(a.path, lambda _p: self.reload_quality())
                                 for a in self.quality.audit.values()]
        self._save_lock = threading.Lock()
        # The dataset folders as last listed; hafs adds one per generation run. A folder watch
        # (names plus each folder's own mtime, which moves when hafs writes a file into it)
        # re-lists them, on the watcher thread, and publishes DatasetsListed.
        self.entries: tuple[DatasetEntry, ...] = ()
        self._signatures: tuple[Dataset, Any] | None = None  # MinHash rows of the open dataset
        self._datasets_watch = studio.watcher.watch_folder(
            self.datasets_folder, lambda _change: self._list_datasets(), owner="data")

    # -- settings ----------------------------------------------------------------------------
    def setting(self, key: str) -> Any:
        return self.studio.settings.get(SETTINGS, key)

    @property
    def datasets_folder(self) -> Path:
        return self.studio.context.training / "datasets"

    def datasets(self) -> list[DatasetEntry]:
        return list_datasets(self.datasets_folder)

    def refresh_datasets(self) -> Job:
        """List the dataset folders in a job; publishes :class:`DatasetsListed`."""
        return self.submit("List dataset folders", lambda _ctx: self._list_datasets())

    def _list_datasets(self) -> tuple[DatasetEntry, ...]:
        entries = tuple(list_datasets(self.datasets_folder))
        self.entries = entries
        self.studio.bus.publish(DatasetsListed(folder=self.datasets_folder, entries=entries))
        return entries

    def submit(self, title: str, fn: Any, *args: Any) -> Job:
        job = self.studio.jobs.submit(title, fn, *args)
        self.job_ids.add(job.id)
        return job

    # -- loading -----------------------------------------------------------------------------
    def open_dataset(self, path: str | Path, mapping: FieldMapping = DEFAULT_MAPPING) -> Job:
        """Load a dataset folder or JSONL file in a job; publishes :class:`DatasetLoaded`."""
        target = Path(path).expanduser()
        return self.submit(f"Load dataset {target.name}", self._load, target, mapping)

    def _load(self, ctx: JobContext, path: Path, mapping: FieldMapping) -> Dataset:
        try:
            dataset = read_dataset(path, mapping, ctx)
        except Exception as exc:
            self.studio.bus.publish(DatasetLoaded(error=f"{type(exc).__name__}: {exc}"))
            raise
        session = ReviewSession(dataset.folder)
        session.reload()
        with self._lock:
            self.dataset, self.diversity, self.review = dataset, None, session
        self._watch_dataset(dataset)
        self.studio.bus.publish(DatasetLoaded(dataset=dataset))
        if self.setting("auto_analyse") and len(dataset.samples) <= AUTO_ANALYSE_MAX:
            self.analyse()
        return dataset

    def _watch_dataset(self, dataset: Dataset) -> None:
        for handle in self._dataset_watches:
            handle.cancel()
        watcher = self.studio.watcher
        reload_dataset = lambda _p: self._reload_if_current(dataset)  # noqa: E731
        self._dataset_watches = [watcher.watch(r.path, reload_dataset)
                                 for r in dataset.files.values()]
        session = self.review
        if session is not None:
            self._annotations_watch = watcher.watch(
                session.store.path, lambda _p: self._annotations_changed(session))
            self._dataset_watches.append(self._annotations_watch)

    def _reload_if_current(self, dataset: Dataset) -> None:
        if self.dataset is dataset:  # hafs rewrote a split file: load it again
            self.open_dataset(dataset.path, dataset.mapping)

    def _annotations_changed(self, session: ReviewSession) -> None:
        session.reload()
        self.studio.bus.publish(ReviewSaved(saved=0, error=session.load_error))

    def reload_quality(self) -> Job:
        """Re-read the three context-level files; the last good data stays on errors."""
        return self.submit("Read hafs quality files", self._reload_quality)

    def _reload_quality(self, ctx: JobContext) -> QualityFiles:
        with self._lock:
            self.quality.reload()
        self.studio.bus.publish(QualityFilesLoaded(files=self.quality))
        return self.quality

    # -- analyses ----------------------------------------------------------------------------
    def analyse(self) -> Job | None:
        """Embeddings, diversity, near-duplicates, lengths and the map of the open dataset."""
        dataset = self.dataset
        if dataset is None:
            return None
        return self.submit(f"Analyse {dataset.name}", self._analyse, dataset)

    def embedder(self) -> tuple[Any, str]:
        return self.embedders.resolve(str(self.setting("embedder") or DEFAULT_EMBEDDER))

    def _analyse(self, ctx: JobContext, dataset: Dataset) -> DiversityResult:
        from studio.plugins.data.analysis import analyse_diversity
        from studio.plugins.data.lengths import load_token_counter

        spec, note = self.embedder()
        counter, token_note = load_token_counter(self.setting("tokenizer_json"))
        try:
            result = analyse_diversity(
                dataset, spec, self.cache,
                threshold=float(self.setting("near_duplicate_threshold")),
                map_method=str(self.setting("map_method")), token_counter=counter,
                token_note=token_note, embedder_note=note, ctx=ctx)
        except Exception as exc:
            self.studio.bus.publish(DiversityReady(error=f"{type(exc).__name__}: {exc}"))
            raise
        if self.dataset is dataset:
            self.diversity = result
            self.studio.bus.publish(DiversityReady(result=result))
        return result

    def compare_with(self, other: str | Path) -> Job | None:
        dataset = self.dataset
        if dataset is None:
            return None
        return self.submit(f"Compare {dataset.name} with {Path(other).name}", self._compare,
                            dataset, Path(other).expanduser())

    def _compare(self, ctx: JobContext, left: Dataset, other: Path) -> Comparison:
        from studio.plugins.data.compare import compare_datasets

        try:
            right = read_dataset(other, left.mapping, ctx)
            spec, _ = self.embedder()
            comparison = compare_datasets(left, right, spec, self.cache,
                                          threshold=float(self.setting("near_duplicate_threshold")),
                                          ctx=ctx)
        except Exception as exc:
            self.studio.bus.publish(ComparisonReady(error=f"{type(exc).__name__}: {exc}"))
            raise
        self.comparison = comparison
        self.studio.bus.publish(ComparisonReady(comparison=comparison))
        return comparison

    def open_sample(self, key: str) -> None:
        """Ask the review view to show one sample (the map, the cluster list use this)."""
        self.studio.bus.publish(SampleRequested(key=key))

    def find_near_duplicates(self, key: str) -> Job | None:
        """The near-duplicates of sample ``key`` in a job; publishes
        :class:`NearDuplicatesFound`. The dataset's MinHash signatures are computed once."""
        dataset = self.dataset
        if dataset is None:
            return None
        return self.submit(f"Near-duplicates of {key}", self._near_duplicates, dataset, key)

    def _near_duplicates(self, ctx: JobContext, dataset: Dataset,
                         key: str) -> NearDuplicatesFound:
        from studio.plugins.data.diversity import minhash_signatures, near_duplicates_of

        try:
            index = next(i for i, s in enumerate(dataset.samples) if s.key == key)
        except StopIteration:
            event = NearDuplicatesFound(dataset=dataset, key=key,
                                        error=f"no sample {key!r} in {dataset.name}")
            self.studio.bus.publish(event)
            return event
        texts = [s.text for s in dataset.samples]
        cached = self._signatures
        if cached is None or cached[0] is not dataset:
            ctx.report(0.0, "MinHash signatures")
            cached = (dataset, minhash_signatures(texts))
            self._signatures = cached
        ctx.raise_if_cancelled()
        ctx.report(0.8, "exact check of the candidates")
        found = near_duplicates_of(texts, index, float(self.setting("near_duplicate_threshold")),
                                   cached[1])
        matches = ((key, 1.0), *((dataset.samples[i].key, score) for i, score in found))
        event = NearDuplicatesFound(dataset=dataset, key=key, matches=matches)
        self.studio.bus.publish(event)
        return event

    # -- review ------------------------------------------------------------------------------
    def save_review(self) -> SaveResult:
        """Commit pending review changes (worker threads only; serialised)."""
        session = self.review
        if session is None:
            return SaveResult(0)
        with self._save_lock:
            result = session.save()
            if result.saved and self._annotations_watch is not None:
                self._annotations_watch.acknowledge()  # our own write: no reload
        self.studio.bus.publish(ReviewSaved(saved=result.saved, error=result.error))
        return result

    def close(self) -> None:
        for handle in [*self._dataset_watches, *self._quality_watches, self._datasets_watch]:
            handle.cancel()
        if self.review is not None and self.review.dirty:
            self.review.save()  # the studio is closing: nothing the user did is lost
