"""The live registry of one studio process: loaded off the GUI thread, reloaded on change.

Every Models view, card and command shares one :class:`ModelsState` per studio: the Models
plugin provides it as the studio service ``"models"`` when it starts, and withdraws (and
closes) it when it is torn down; :func:`models_state` finds it. It starts watching and reading
on first use. It reads registry.json (and the sidecar) on a background thread, keeps
the newest :class:`RegistrySnapshot` and publishes it on the bus (``models.registry``); views
subscribe and repaint. The file watcher (``studio.watcher``, a 250 ms stat poll) triggers a
reload when hafs, the CLI or another window writes, so external edits appear within a second.
A registry hafs could not load produces a snapshot with ``error`` set and ``read_only`` true:
views show the message (file:line:col) and disable every write. Damaged *entries* are listed in
``damaged`` (file:line and reason each) while every other model is shown and the registry stays
writable (see :data:`~.registry.DAMAGED_ENTRY_POLICY`).

Qt-free: the bus hands snapshots to the GUI thread in the shell; views re-emit them through a
Qt signal so they are safe in tests without the shell's dispatcher too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from studio.api import ContributionTable, Event
from studio.plugins.models.action_spec import ModelActionSpec

if TYPE_CHECKING:
    from studio.api import Studio
    from studio.plugins.models.api import ModelsService
    from studio.plugins.models.schema import ModelEntry

__all__ = [
    "SELECTION_KIND",
    "SERVICE",
    "ModelsState",
    "RegistrySnapshot",
    "models_state",
]

SERVICE = "models"  # the studio service name of the ModelsState
SELECTION_KIND = "model"  # studio.selection kind: model ids


@dataclass(frozen=True, slots=True)
class RegistrySnapshot(Event):
    """The registry as last read. ``models`` keeps the file's order."""

    topic = "models.registry"
    models: tuple[ModelEntry, ...] = ()
    studio_data: dict[str, dict[str, Any]] = field(default_factory=dict)
    updated_at: str = ""
    path: str = ""
    error: str | None = None
    read_only: bool = False
    generation: int = 0
    loaded: bool = False  # False until the first read finished
    damaged: tuple[str, ...] = ()  # one "file:line:col: model 'x' …" message per damaged entry
    unknown_keys: dict[str, dict[str, Any]] = field(default_factory=dict)  # id → kept keys

    def get(self, model_id: str) -> ModelEntry | None:
        return next((m for m in self.models if m["model_id"] == model_id), None)


class ModelsState:
    """Shared, asynchronously refreshed view of the registry for one studio."""

    def __init__(self, studio: Studio, read_only: bool = False) -> None:
        # Cheap: the plugin creates this when the studio starts; the registry code is imported
        # and the file read on first use (start_watching / service).
        self.studio = studio
        self._read_only = read_only
        self._service: ModelsService | None = None
        self.snapshot = RegistrySnapshot()
        self.job_ids: set[int] = set()  # jobs started from the Models views (the job strip)
        # Actions other plugins offer on a model (studio_register_model_actions).
        self.actions: ContributionTable[ModelActionSpec] | None = None
        self._generation = 0
        self._lock = threading.Lock()
        self._reload_pending = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="models-registry")
        self._watches: list[Any] = []
        self._watching = False
        self._closed = False

    @property
    def service(self) -> ModelsService:
        """The registry-aware operations for this studio's context root (created on use)."""
        if self._service is None:
            from studio.plugins.models.api import ModelsService

            self._service = ModelsService(self.studio.context, read_only=self._read_only,
                                          processes=self.studio.services.process)
            if not self.snapshot.path:
                self.snapshot = RegistrySnapshot(path=str(self._service.registry.path))
        return self._service

    def start_watching(self) -> None:
        """First use: watch registry.json and the sidecar, and start the first read."""
        with self._lock:
            if self._watching:
                return
            self._watching = True
        self.service  # noqa: B018 - creates the service (and the snapshot's path) now
        self._watches = [self.studio.watcher.watch(path, lambda _path: self.refresh())
                         for path in (self.service.registry.path, self.service.sidecar.path)]
        self.refresh()

    # -- reading -------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload in the background; requests arriving during a load fold into one more."""
        with self._lock:
            if self._reload_pending or self._closed:
                return
            self._reload_pending = True
        self._executor.submit(self._reload)

    def reload_now(self) -> RegistrySnapshot:
        """Read synchronously (CLI, tests and worker threads only; never on the GUI thread)."""
        return self._reload()

    def _reload(self) -> RegistrySnapshot:
        with self._lock:
            self._reload_pending = False
            self._generation += 1
            generation = self._generation
        from studio.plugins.models.registry import RegistryError

        service = self.service
        path = str(service.registry.path)
        try:
            registry = service.load()
            snapshot = RegistrySnapshot(
                models=tuple(registry.models.values()), studio_data=service.sidecar.load(),
                updated_at=registry.updated_at, path=path,
                read_only=service.registry.read_only, generation=generation, loaded=True,
                damaged=tuple(str(damage) for damage in registry.damaged.values()),
                unknown_keys={model_id: keys for model_id in registry.kept
                              if (keys := registry.unknown_keys(model_id))})
        except RegistryError as exc:
            # Keep showing the last good entries (read-only) next to the error.
            snapshot = RegistrySnapshot(path=path, error=str(exc), read_only=True,
                                        generation=generation, loaded=True,
                                        models=self.snapshot.models,
                                        studio_data=self.snapshot.studio_data)
        except OSError as exc:
            snapshot = RegistrySnapshot(path=path, error=f"{path}: {exc}", read_only=True,
                                        generation=generation, loaded=True)
        with self._lock:
            if generation < self.snapshot.generation:
                return self.snapshot  # a newer read already landed
            self.snapshot = snapshot
        self.studio.bus.publish(snapshot)
        return snapshot

    # -- selection (the studio's "model" selection, which selection commands act on) ---------
    @property
    def selected(self) -> str | None:
        return self.studio.selection.first(SELECTION_KIND)

    def select(self, model_id: str | None) -> None:
        self.studio.selection.set(SELECTION_KIND, model_id)

    def selected_entry(self) -> ModelEntry | None:
        return self.snapshot.get(self.selected) if self.selected else None

    # -- writing -------------------------------------------------------------------------
    def run_write(self, title: str, work: Callable[..., Any], *args: Any) -> Any:
        """Submit ``work(ctx, *args)`` as a job and reload the registry when it ends."""

        def job(ctx: Any) -> Any:
            try:
                return work(ctx, *args)
            finally:
                self.refresh()

        submitted = self.studio.jobs.submit(title, job)
        self.job_ids.add(submitted.id)
        return submitted

    def close(self) -> None:
        """The plugin is torn down or the studio closes: stop watching and reading."""
        with self._lock:
            self._closed = True
        for handle in self._watches:
            handle.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)


def models_state(studio: Studio) -> ModelsState:
    """The studio's shared state (started on first use); ServiceUnavailableError when the
    Models plugin is not active in this studio."""
    state: ModelsState = studio.services.get(SERVICE)
    state.start_watching()
    return state
