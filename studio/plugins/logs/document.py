"""One open log: its file and its line index, grown and reset as the file changes.

Opening indexes only the first :data:`INITIAL_BYTES` (a few ms whatever the size), so the head
is on screen at once; :meth:`LogDocument.load` (a studio job) indexes the rest in chunks with
progress and cancel. The index (:mod:`~studio.plugins.logs.index`) keeps 4 bytes per line
(reserved from an estimate, trimmed at the end); the native kernel fills it from a mapping of
8 MB at a time while the file is at rest (no copy; each mapping is dropped after its scan, so
the file never becomes resident in the process), and with positional reads of the
opened file (``newline_offsets_file``, like ``wc -l``; safe if the file shrinks meanwhile) once
it has changed, as the search does. Levels are
classified only for what is shown or searched (one native call over the bytes already read),
never for the whole file up front. File bytes are read only for the lines on screen (see
:mod:`~studio.plugins.logs.source` for mmap versus pread).

Following (:meth:`LogDocument.sync`, called by the file watcher) indexes appended bytes, and on
truncation, rotation, delete/recreate or an in-place rewrite starts a new :class:`Generation`
of the document and records a :class:`FollowEvent` the view shows as a marker.

Thread model: the load job and the watcher thread write under ``_lock``; the GUI thread reads
:attr:`LogDocument.current` once per paint (a :class:`Generation` is never reset in place, a
restart replaces it) and needs no lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.api import NULL_CONTEXT, JobContext, native
from studio.plugins.logs.encoding import Utf16Transcoder, detect_encoding
from studio.plugins.logs.follow import ChangeKind, FileChange, FollowTracker
from studio.plugins.logs.formats import PLAIN_FORMAT, FormatRegistry, LogFormat
from studio.plugins.logs.index import LineIndex
from studio.plugins.logs.render import DISPLAY_CAP_BYTES, RenderedLine, render_line
from studio.plugins.logs.source import LogFile

__all__ = ["DocumentChanged", "FollowEvent", "Generation", "LogDocument"]

INITIAL_BYTES = 256 * 1024
INDEX_CHUNK = 64 << 20  # indexed per step of a load (progress and cancel between steps)
CHUNK_MAPPED = 64 << 20  # a chunk searched through the mapping (threads split it)
CHUNK_READ = 4 << 20  # a chunk read with pread (stays in the CPU cache)
DETECT_BYTES = 32 * 1024
DETECT_LINES = 200
SCREEN_READ_BYTES = 1 << 20  # lines on screen read in one pread up to this size


@dataclass(frozen=True, slots=True)
class FollowEvent:
    """A truncation, rotation, delete or recreate seen while following (shown as a marker)."""

    kind: ChangeKind
    at: float  # time.time()
    lines_before: int
    description: str


@dataclass(frozen=True, slots=True)
class DocumentChanged:
    """Told to listeners: lines were added, indexing progressed, or the content restarted."""

    kind: str  # "appended" | "indexed" | "restarted" | "gone" | "loaded"
    generation: int
    line_count: int


class Generation:
    """One version of the file's content: the opened file and its index."""

    def __init__(self, number: int, raw: LogFile, transcoder: Utf16Transcoder | None) -> None:
        self.number = number
        self.raw = raw
        self.transcoder = transcoder
        self.data = LogFile(transcoder.target) if transcoder else raw
        self.index = LineIndex()
        self.at_rest = True  # unchanged since opened: scans may use the mapping
        self.complete = False  # indexed to the end at least once

    @property
    def line_count(self) -> int:
        return self.index.line_count

    @property
    def terminated_lines(self) -> int:
        """Lines that end with a newline (the last line may still be growing)."""
        return self.index.newline_count

    def bounds(self, first: int, count: int) -> tuple[np.ndarray, np.ndarray]:
        return self.index.line_bounds(first, count)

    def line_range(self, line: int) -> tuple[int, int]:
        begins, ends = self.index.line_bounds(line, 1)
        if not begins.size:
            raise IndexError(f"line {line + 1} is past the end ({self.line_count} lines)")
        return int(begins[0]), int(ends[0])

    def line_of_offset(self, offset: int) -> int:
        return self.index.line_of_offset(offset)

    def chunk(self, begin: int, end: int) -> Callable[[], object]:
        """Context manager yielding bytes [begin, end) for a kernel (see LogFile.scan_view)."""
        return self.data.scan_view(begin, end, mapped=self.at_rest)

    @property
    def scan_chunk(self) -> int:
        return CHUNK_MAPPED if self.at_rest else CHUNK_READ

    def close(self) -> None:
        if self.transcoder is not None:
            self.data.close()
            self.transcoder.close()
        self.raw.close()


class LogDocument:
    """An open log file. Raises :class:`~studio.plugins.logs.source.LogOpenError` on open."""

    def __init__(self, path: str | Path, formats: FormatRegistry | None = None, *,
                 cache_dir: Path | None = None, format_id: str | None = None) -> None:
        self.path = Path(path).expanduser().absolute()
        self.formats = formats or FormatRegistry()
        self.cache_dir = cache_dir or Path.home() / ".cache" / "hafs-studio" / "logs"
        self._forced_format = format_id
        self._lock = threading.RLock()
        self._listeners: list[Callable[[DocumentChanged], None]] = []
        self.events: list[FollowEvent] = []
        self.loading = False
        self.closed = False
        self.encoding = "utf-8"
        self.format: LogFormat = PLAIN_FORMAT
        raw = LogFile(self.path)
        self.current = self._new_generation(raw, 0)
        self.tracker = FollowTracker(self.path, raw, self.current.raw.size())

    # -- opening and generations ---------------------------------------------------------
    def _new_generation(self, raw: LogFile, number: int) -> Generation:
        self.encoding = detect_encoding(raw.read(0, 4))
        transcoder = None
        if self.encoding != "utf-8":
            transcoder = Utf16Transcoder(raw, self.encoding, self.cache_dir)
            transcoder.sync(limit=INITIAL_BYTES * 2)
        gen = Generation(number, raw, transcoder)
        self._index_to(gen, min(gen.data.size(), INITIAL_BYTES))
        if gen.index.indexed_bytes >= gen.data.size() and (transcoder is None or
                                                            transcoder.consumed >= raw.size()):
            gen.complete = True
        self._detect_format(gen)
        return gen

    def _detect_format(self, gen: Generation) -> None:
        if self._forced_format:
            self.format = self.formats.get(self._forced_format)
            return
        head = gen.data.read(0, DETECT_BYTES)
        lines = head.decode("utf-8", "replace").split("\n")[:DETECT_LINES]
        self.format = self.formats.detect([line.rsplit("\r", 1)[-1] for line in lines])

    @property
    def generation(self) -> int:
        return self.current.number

    @property
    def line_count(self) -> int:
        return self.current.line_count

    @property
    def complete(self) -> bool:
        return self.current.complete

    @property
    def size(self) -> int:
        """Bytes indexed (of the UTF-8 data)."""
        return self.current.index.indexed_bytes

    @property
    def index_memory_bytes(self) -> int:
        gen = self.current
        return gen.index.nbytes

    def progress(self) -> float:
        gen = self.current
        total = gen.data.size()
        return 1.0 if gen.complete or total == 0 else min(1.0, gen.index.indexed_bytes / total)

    # -- listeners -----------------------------------------------------------------------
    def subscribe(self, listener: Callable[[DocumentChanged], None]) -> Callable[[], None]:
        """Call ``listener(change)`` (from any thread); returns an unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _notify(self, kind: str) -> None:
        change = DocumentChanged(kind, self.generation, self.line_count)
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception:  # a view that went away must not break indexing
                continue

    # -- indexing ------------------------------------------------------------------------
    def _index_to(self, gen: Generation, end: int) -> None:
        """Extend the index to byte ``end`` with positional reads: safe while the file is
        written or truncated, and faster than a mapping (no page faults; they serialise the
        threads on a VM) now that the reads are small enough to stay in the CPU cache."""
        end = min(end, gen.data.size())
        if end > gen.index.indexed_bytes:
            gen.index.update_from_file(gen.data.kernel_path, end)

    def load(self, ctx: JobContext = NULL_CONTEXT) -> int:
        """Index the whole file in chunks (progress, cancel between chunks); a job body.

        Returns the line count.
        """
        self.loading = True
        try:
            gen = self.current
            self._reserve(gen)
            while not self.closed and gen is self.current:
                with self._lock:
                    caught_up = (gen.transcoder.sync(limit=CHUNK_READ * 4)
                                 if gen.transcoder else True)
                    total = gen.data.size()
                    indexed = gen.index.indexed_bytes
                    if indexed >= total and caught_up:
                        break
                    self._index_to(gen, min(total, indexed + INDEX_CHUNK))
                    if gen.index.indexed_bytes == indexed:
                        break  # the file shrank under the load: the follower starts anew
                ctx.report(gen.index.indexed_bytes / max(total, 1), f"{gen.line_count:,} lines")
                self._notify("indexed")
                ctx.raise_if_cancelled()
            gen.index.shrink_to_fit()
            gen.complete = True
        finally:
            self.loading = False
        self._notify("loaded")
        return self.line_count

    def _reserve(self, gen: Generation) -> None:
        lines, covered = gen.line_count, gen.index.indexed_bytes
        total = gen.data.size()
        if lines and covered and total > covered:
            gen.index.reserve(int(total / (covered / lines) * 1.05) + 16)

    def classify(self, view: np.ndarray) -> np.ndarray:
        """Level codes of the lines in ``view`` (bytes of whole lines) with the log's format."""
        fmt = self.format
        return native.classify_levels(view, fmt.level_tokens, ignore_case=fmt.level_ignore_case,
                                      max_column=fmt.level_max_column, inherit=fmt.level_inherit)

    # -- following -----------------------------------------------------------------------
    def sync(self) -> FileChange:
        """Look at the file again: index appended bytes or start over (the watcher calls this)."""
        if self.closed:
            return FileChange(ChangeKind.NONE)
        with self._lock:
            gen = self.current
            change = self.tracker.check(gen.raw)
            if change.kind is ChangeKind.APPENDED:
                gen.at_rest = False
                if gen.transcoder is not None:
                    gen.transcoder.sync()
                if not self.loading:
                    self._index_to(gen, gen.data.size())
                self.tracker.acknowledge(gen.raw, gen.raw.size())
            elif change.kind.restarts:
                self._restart(change)
            elif change.kind.waits:
                self._record(change)
        if change.kind is ChangeKind.APPENDED:
            self._notify("appended")
        elif change.kind.restarts:
            self._notify("restarted")
        elif change.kind.waits:
            self._notify("gone")
        return change

    def _restart(self, change: FileChange) -> None:
        self._record(change)
        try:
            raw = LogFile(self.path)
        except OSError:
            return  # gone again between the check and the open: the next poll retries
        old = self.current
        gen = self._new_generation(raw, old.number + 1)
        gen.at_rest = False
        if not gen.complete:
            self._index_to(gen, gen.data.size())
            gen.complete = True
        self.current = gen
        self.tracker.acknowledge(raw, raw.size())
        old.close()

    def _record(self, change: FileChange) -> None:
        self.events.append(FollowEvent(change.kind, time.time(), self.line_count,
                                       change.description))

    # -- reading what is on screen -------------------------------------------------------
    def lines(self, first: int, count: int, gen: Generation | None = None
              ) -> list[RenderedLine]:
        """Rendered lines ``first`` … ``first + count - 1`` (clipped to the index)."""
        return self.screen(first, count, gen)[0]

    def screen(self, first: int, count: int, gen: Generation | None = None
               ) -> tuple[list[RenderedLine], np.ndarray]:
        """Rendered lines ``first`` … and their level codes, for what is on screen.

        Lines of ordinary length are read with one ``pread`` for the whole batch, and levels
        not classified yet come from that same buffer (one kernel call).
        """
        gen = gen or self.current
        begins, ends = gen.bounds(first, count)
        if not begins.size:
            return [], np.zeros(0, dtype=np.uint8)
        start, stop = int(begins[0]), int(ends[-1])
        if stop - start > SCREEN_READ_BYTES:  # very long lines: each read on its own
            rendered = [self._render(gen, first + i, int(b), int(e))
                        for i, (b, e) in enumerate(zip(begins, ends, strict=True))]
            return rendered, self.line_levels(first, len(rendered), gen)
        buffer = gen.data.read(start, stop - start)
        rendered = []
        for offset, (begin, end) in enumerate(zip(begins.tolist(), ends.tolist(), strict=True)):
            length = end - begin
            if length <= DISPLAY_CAP_BYTES:
                raw = buffer[begin - start:end - start]
                rendered.append(render_line(raw, length, first_line=first + offset == 0))
            else:
                rendered.append(self._render(gen, first + offset, begin, end))
        levels = self.classify(np.frombuffer(buffer + b"\n", dtype=np.uint8))
        return rendered, levels[: len(rendered)]

    def _render(self, gen: Generation, line: int, begin: int, end: int) -> RenderedLine:
        length = end - begin
        if length <= DISPLAY_CAP_BYTES:
            return render_line(gen.data.read(begin, length), length, first_line=line == 0)
        head = gen.data.read(begin, DISPLAY_CAP_BYTES)
        tail = gen.data.read(end - DISPLAY_CAP_BYTES, DISPLAY_CAP_BYTES)
        return render_line(head, length, tail, first_line=line == 0)

    def raw_line(self, line: int, limit: int | None = None, gen: Generation | None = None
                 ) -> bytes:
        """The bytes of a line without its line break (the first ``limit`` of them)."""
        gen = gen or self.current
        begin, end = gen.line_range(line)
        data = gen.data.read(begin, end - begin if limit is None else min(limit, end - begin))
        return data[:-1] if data.endswith(b"\r") and len(data) == end - begin else data

    def line_levels(self, first: int, count: int, gen: Generation | None = None) -> np.ndarray:
        """Level codes of lines ``first`` … (classified from the head of each line)."""
        gen = gen or self.current
        stop = min(first + count, gen.line_count)
        if stop <= first:
            return np.zeros(0, dtype=np.uint8)
        limit = self.format.level_max_column
        heads = [self.raw_line(i, limit, gen) for i in range(first, stop)]
        codes = self.classify(np.frombuffer(b"\n".join(heads) + b"\n", dtype=np.uint8))
        return codes[: stop - first]

    def close(self) -> None:
        self.closed = True
        with self._lock:
            self.current.close()
        self._listeners.clear()
