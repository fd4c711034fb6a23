"""The Logs plugin's per-studio service: formats, bookmarks, recent files, watching, opening.

One :class:`LogsService` per studio (``studio.services.get("logs")``, created at start-up):
nothing here is module-level, so two studios in one process share nothing. It opens
documents, loads them as studio jobs (progress and cancel in the Jobs view), watches them for
``tail -F`` following, and carries "open this log" requests from other plugins to the Logs view
(:class:`LogOpenRequested` on the bus, kept until a view takes them).
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.api import Event, FileWatcher
from studio.plugins.logs.stores import BookmarkStore, RecentFiles

if TYPE_CHECKING:
    from studio.api import ContributionTable, Job, JobContext, RemoteHost, Studio, WatchHandle
    from studio.plugins.logs.document import LogDocument
    from studio.plugins.logs.formats import FormatRegistry
    from studio.plugins.logs.remote import RemoteLogMirror

__all__ = [
    "FOLLOW_INTERVAL_S",
    "FORMATS_HOOK",
    "WATCH_INTERVAL_S",
    "BookmarksChanged",
    "LogFocused",
    "LogOpenRequested",
    "LogsService",
]

log = logging.getLogger(__name__)

FORMATS_HOOK = "studio_register_log_formats"
FOLLOW_INTERVAL_S = 0.025  # followed files: appended lines on screen well within 100 ms
WATCH_INTERVAL_S = 0.5  # other open files: noticed, not raced


@dataclass(frozen=True, slots=True)
class LogOpenRequested(Event):
    """Show a log in the Logs workspace (published by :func:`~.api.open_log`)."""

    topic = "logs.open"
    path: str = ""
    line: int | None = None  # 0-based line to show, None: the start (or the end if follow)
    follow: bool = False


@dataclass(frozen=True, slots=True)
class LogFocused(Event):
    """The current log of a Logs view changed (empty path: none open)."""

    topic = "logs.focused"
    path: str = ""


@dataclass(frozen=True, slots=True)
class BookmarksChanged(Event):
    topic = "logs.bookmarks"
    path: str = ""


class LogsService:
    """Everything the Logs views, the CLI and other plugins share within one studio."""

    def __init__(self, studio: Studio) -> None:
        self.studio = studio
        self._formats: FormatRegistry | None = None
        self._formats_lock = threading.Lock()
        self._format_table: ContributionTable[Any] | None = None
        state = studio.paths.state / "logs"
        self.bookmarks = BookmarkStore(state / "bookmarks.json")
        self.recent = RecentFiles(state / "recent.json")
        self.cache_dir = studio.paths.cache / "logs"
        # Two watchers of the Logs service's own, not the studio's shared one: their callback
        # indexes appended bytes (a whole re-created file after a rotation), which on the
        # shared thread would delay every other plugin's watches. Stopped in close().
        self._followers = FileWatcher(interval=FOLLOW_INTERVAL_S)
        self._watchers = FileWatcher(interval=WATCH_INTERVAL_S)
        self._pending: list[LogOpenRequested] = []
        self._lock = threading.Lock()
        self.view_active = False  # a Logs view takes requests directly
        self.subscriptions: list[Any] = []  # bus subscriptions of the plugin, ended on close
        self.views: weakref.WeakSet[Any] = weakref.WeakSet()  # Logs views of this studio
        self._mirrors: dict[str, RemoteLogMirror] = {}  # remote logs by their local mirror

    @property
    def formats(self) -> FormatRegistry:
        """The studio's log formats: every plugin's ``studio_register_log_formats``, the Logs
        plugin's built-in ones included. Collected on first use (building formats loads the
        native kernels, which a studio start, the CLI's included, should not pay for) and
        rebuilt when a contributing plugin is enabled or torn down."""
        with self._formats_lock:
            if self._formats is None:
                self._formats = self._build_formats()
            return self._formats

    def _build_formats(self) -> FormatRegistry:
        from studio.plugins.logs.formats import PLAIN_FORMAT, FormatRegistry, LogFormat

        if self._format_table is None:
            with self.studio.plugins.acting_as("logs"):  # the table is the Logs plugin's
                self._format_table = self.studio.plugins.collect(FORMATS_HOOK, LogFormat)
            self._format_table.subscribe(self._formats_changed)
        registry = FormatRegistry()
        for fmt in self._format_table.items():
            if fmt.id == PLAIN_FORMAT.id:  # the fallback every registry has
                log.warning("log format id 'plain' (plugin %s) is reserved: ignored", fmt.plugin)
                continue
            registry.register(fmt)
        return registry

    def _formats_changed(self) -> None:
        with self._formats_lock:
            self._formats = None  # rebuilt on next use; open documents keep their format

    # -- documents -----------------------------------------------------------------------
    def open_document(self, path: str | Path, format_id: str | None = None) -> LogDocument:
        """Open a log (LogOpenError with a clear message if it cannot be read)."""
        from studio.plugins.logs.document import LogDocument

        doc = LogDocument(path, self.formats, cache_dir=self.cache_dir, format_id=format_id)
        if not doc.path.is_relative_to(self.cache_dir / "remote"):  # mirrors are not recent
            self.recent.add(str(doc.path))
        return doc

    def load(self, doc: LogDocument) -> Job | None:
        """Index the rest of ``doc`` as a studio job; None when it is already indexed."""
        if doc.complete:
            return None
        return self.studio.jobs.submit(f"Indexing {doc.path.name}", doc.load)

    def watch(self, doc: LogDocument, *, follow: bool,
              on_sync: Callable[[Any], None] | None = None) -> WatchHandle:
        """Poll ``doc``'s path (fast when following) and sync it on every change."""
        watcher = self._followers if follow else self._watchers

        def changed(_path: Path) -> None:
            change = doc.sync()
            if on_sync is not None:
                on_sync(change)

        return watcher.watch(doc.path, changed)

    # -- remote logs (over SSH) ----------------------------------------------------------
    def open_remote(self, host: str | RemoteHost, remote_path: str, *,
                    follow: bool = True, line: int | None = None) -> Job | None:
        """Mirror ``host:remote_path`` into the cache and open the mirror (see ``remote.py``).

        ``host``: a name from sync.toml / nodes.toml, or a :class:`RemoteHost`; ``line``:
        0-based (the tab opens when the file is mirrored; without a line, after the first
        8 MiB). Returns the catch-up job (progress, cancel; it fails with a RemoteError naming
        host and path), or None when that log is already mirrored and followed (its tab is
        brought forward).
        """
        from studio.plugins.logs.remote import RemoteLogMirror, mirror_path

        name = host if isinstance(host, str) else host.name
        local = mirror_path(self.cache_dir, name, remote_path)  # ValueError on a bad name
        with self._lock:
            current = self._mirrors.get(_key(local))
        if current is not None and current.following:
            self.request_open(local, line, follow)
            return None

        def mirror_job(ctx: JobContext) -> Path:
            remote_host = self.studio.services.remote.host(host) if isinstance(host, str) \
                else host
            mirror = RemoteLogMirror(remote_host, remote_path, local)
            with self._lock:
                previous = self._mirrors.pop(_key(local), None)
                self._mirrors[_key(local)] = mirror
            if previous is not None:
                previous.stop()

            def show() -> None:
                self.request_open(local, line, follow)

            try:  # at a line: once all is there (the line exists); else after the first step
                mirror.catch_up(ctx, on_first=show if line is None else None)
            except BaseException:  # failed, cancelled, or replaced by a newer open of it
                with self._lock:
                    if self._mirrors.get(_key(local)) is mirror:
                        del self._mirrors[_key(local)]
                mirror.stop()
                raise
            if line is not None:
                show()
            if follow:
                mirror.start_following()
            else:
                mirror.stop()
            return local

        return self.studio.jobs.submit(f"Opening {name}:{remote_path}", mirror_job, owner="logs")

    def remote_label(self, path: str | Path) -> str | None:
        """``host:/remote/path`` when ``path`` is the mirror of a remote log."""
        with self._lock:
            mirror = self._mirrors.get(_key(path))
        return None if mirror is None else mirror.label

    def document_closed(self, path: str | Path) -> None:
        """A tab showing ``path`` closed: stop mirroring it if it is a remote log's mirror."""
        with self._lock:
            mirror = self._mirrors.pop(_key(path), None)
        if mirror is not None:
            mirror.stop()

    # -- requests from other plugins -----------------------------------------------------
    def request_open(self, path: str | Path, line: int | None = None,
                     follow: bool = False) -> LogOpenRequested:
        request = LogOpenRequested(str(Path(path).expanduser().absolute()), line, follow)
        with self._lock:
            if not self.view_active:
                self._pending.append(request)
        self.studio.bus.publish(request)
        return request

    def take_pending(self) -> list[LogOpenRequested]:
        """Requests made before a Logs view existed (the view opens them when it is built)."""
        with self._lock:
            pending, self._pending = self._pending, []
            self.view_active = True
        return pending

    def close(self) -> None:
        for subscription in self.subscriptions:
            subscription.unsubscribe()
        self.subscriptions.clear()
        with self._lock:
            mirrors, self._mirrors = list(self._mirrors.values()), {}
        for mirror in mirrors:
            mirror.stop()
        self._followers.stop()
        self._watchers.stop()
        self.bookmarks.close()
        self.recent.close()


def _key(path: str | Path) -> str:
    """One spelling per file (the cache folder may be reached through a symlink)."""
    return os.path.realpath(path)
