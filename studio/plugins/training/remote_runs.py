"""Training runs on hosts over SSH: found by listing remote folders, read incrementally.

The "Remote runs" setting names folders on hosts of sync.toml / nodes.toml (``host`` alone
means the host's hafs training root, the "GPU box training root" setting). A folder is either
a hafs training root (``models/<name>/`` with ``logs/training_<name>_<stamp>.log``, hafs-formats
§2.F) or a folder of Hugging Face / studio runs (or one run).

Every file a reader needs is kept as a local copy (a *mirror*, under the studio's cache) by
the shared remote service: append-only files (logs, the JSONL stream, metrics.csv) fetch only
the bytes added since the last sync (``RemoteHost.read_from``), whole files (trainer_state.json)
are fetched again only when their size or mtime moved, written atomically. Each copy gets the
remote mtime (the host's clock), so staleness and "last update" mean what they mean locally,
and the usual readers read the mirror: one set of parsers for local, mounted and remote runs.
A dropped connection keeps the copies and the runs; the next sync reconnects (the remote
service's backoff) and continues from the same offsets.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from studio.api import RemoteError, atomic_write_bytes
from studio.callbacks import METRICS_FILE
from studio.plugins.training.discovery import FINETUNE_LOG, RunSource, run_id

if TYPE_CHECKING:
    from studio.api import RemoteHost

__all__ = ["HostGetter", "RemoteMirror", "RemoteRoot", "RemoteRun", "discover_remote",
           "parse_remote_roots"]

RUN_FILES = frozenset({"trainer_state.json", METRICS_FILE, "metrics.csv"})
APPEND_ONLY = (".log", ".jsonl", ".csv")  # written by appending: fetched from the last offset
HostGetter = Callable[[str], "RemoteHost"]  # a host's shared connection, by name
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
_HOST_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


@dataclass(frozen=True)
class RemoteRoot:
    """A folder on a host to look for runs in."""

    host: str
    path: str

    @property
    def origin(self) -> str:
        return f"host:{self.host}"


def parse_remote_roots(text: str, default_path: str) -> tuple[RemoteRoot, ...]:
    """The "Remote runs" setting: ``host`` or ``host:folder`` entries separated by ``;`` or new
    lines (``gpu-box:D:/hafs_training``: only the first colon separates). ValueError names a
    bad host name."""
    roots = []
    for part in (p.strip() for chunk in text.splitlines() for p in chunk.split(";")):
        if not part:
            continue
        host, _, path = part.partition(":")
        host, path = host.strip(), path.strip() or default_path
        if not _HOST_NAME.match(host):
            raise ValueError(f"remote runs: {host!r} is not a host name (use host or "
                             "host:folder, separated by ';')")
        roots.append(RemoteRoot(host, path.rstrip("/\\") or path))
    return tuple(dict.fromkeys(roots))


@dataclass(frozen=True)
class RemoteRun:
    """One run on a host: the remote files to mirror, by their path inside the mirror."""

    root: RemoteRoot
    name: str
    kind: str  # "hafs-finetune" or "hf"
    folder: str  # the run folder on the host (may not exist yet: a hafs run with a log only)
    files: tuple[tuple[str, str], ...]  # (relative path in the mirror, remote path)
    log: str | None = None  # relative path (in the mirror) of a hafs log kept beside the folder

    @property
    def id(self) -> str:
        return run_id("remote", f"{self.root.host}:{self.folder}")

    def source(self, mirror_folder: Path) -> RunSource:
        logs = (mirror_folder / self.log,) if self.log else ()
        return RunSource(self.id, self.name, self.kind, self.root.origin, mirror_folder, logs,
                         remote=f"{self.root.host}:{self.folder}")


def _join(folder: str, name: str) -> str:
    return f"{folder.rstrip('/')}/{name}"


def run_files(host: RemoteHost, folder: str, entries: list | None = None
              ) -> list[tuple[str, str]]:
    """The files of one run folder the readers use: trainer_state.json (top level and the
    highest checkpoint's), the JSONL stream, metrics.csv, logs."""
    entries = host.list_dir(folder) if entries is None else entries
    found: list[tuple[str, str]] = []
    checkpoints: list[tuple[int, str]] = []
    for entry in entries:
        match = _CHECKPOINT.match(entry.name)
        if entry.is_dir and match:
            checkpoints.append((int(match.group(1)), entry.name))
        elif not entry.is_dir and (entry.name in RUN_FILES or (
                entry.name.endswith(".log") and not entry.name.endswith(".err.log"))):
            found.append((entry.name, entry.path))
    if checkpoints:
        newest = max(checkpoints)[1]
        for entry in host.list_dir(_join(folder, newest)):
            if entry.name == "trainer_state.json" and not entry.is_dir:
                found.append((f"{newest}/{entry.name}", entry.path))
    return found


def _is_run(files: list[tuple[str, str]]) -> bool:
    return any(not rel.endswith(".log") for rel, _ in files)  # a stray log is not a run


def discover_remote(host: RemoteHost, root: RemoteRoot) -> list[RemoteRun]:
    """The runs in ``root`` on ``host``; RemoteError (naming host and folder) when it cannot
    be listed. A folder that does not exist (yet) has no runs."""
    top = host.list_dir(root.path)
    names = {entry.name: entry for entry in top}
    if any(names.get(n) is not None and names[n].is_dir for n in ("models", "logs")):
        return _hafs_finetunes(host, root)
    files = run_files(host, root.path, top)
    if _is_run(files):
        return [RemoteRun(root, PurePosixPath(root.path.replace("\\", "/")).name or root.path,
                          "hf", root.path, tuple(files))]
    runs = []
    for entry in top:
        if entry.is_dir and not entry.name.startswith("."):
            files = run_files(host, entry.path)
            if _is_run(files):
                runs.append(RemoteRun(root, entry.name, "hf", entry.path, tuple(files)))
    return runs


def _hafs_finetunes(host: RemoteHost, root: RemoteRoot) -> list[RemoteRun]:
    newest_log: dict[str, tuple[float, str, str]] = {}
    for entry in host.list_dir(_join(root.path, "logs")):
        match = FINETUNE_LOG.match(entry.name)
        if match and not entry.is_dir and not entry.name.endswith(".err.log"):
            best = newest_log.get(match.group(1))
            if best is None or entry.mtime > best[0]:
                newest_log[match.group(1)] = (entry.mtime, entry.name, entry.path)
    runs = []
    models = _join(root.path, "models")
    folders = {entry.name: entry.path for entry in host.list_dir(models) if entry.is_dir}
    for name in sorted(set(folders) | set(newest_log)):
        folder = folders.get(name, _join(models, name))
        files = run_files(host, folder) if name in folders else []
        log = newest_log.get(name)
        if log is None and not _is_run(files):
            continue  # a finished adapter without training state or log: not a run
        if log is not None:
            files.append((f"logs/{log[1]}", log[2]))
        runs.append(RemoteRun(root, name, "hafs-finetune", folder, tuple(files),
                              f"logs/{log[1]}" if log else None))
    return runs


@dataclass
class _Copied:
    offset: int
    size: int
    mtime: float


class RemoteMirror:
    """Local copies of one remote run's files, brought up to date by :meth:`sync`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.bytes_fetched = 0
        self._copied: dict[str, _Copied] = {}

    def local(self, relative: str) -> Path:
        parts = PurePosixPath(relative).parts
        if not parts or any(p in ("", ".", "..") or "\\" in p for p in parts) or \
                PurePosixPath(relative).is_absolute():
            raise RemoteError(f"remote run file {relative!r}: not a plain relative path")
        return self.folder.joinpath(*parts)

    def sync(self, host: RemoteHost, files: tuple[tuple[str, str], ...]) -> bool:
        """Fetch what changed; True when a copy changed. RemoteError names the remote file."""
        self.folder.mkdir(parents=True, exist_ok=True)
        changed = False
        for relative, remote in files:
            changed |= self._sync_file(host, self.local(relative), remote)
        return changed

    def _sync_file(self, host: RemoteHost, local: Path, remote: str) -> bool:
        info = host.stat(remote)
        if info is None or info.is_dir:
            return False  # gone (a checkpoint rotated away): the copy keeps the last data
        before = self._copied.get(remote)
        if before is not None and (before.size, before.mtime) == (info.size, info.mtime):
            return False
        local.parent.mkdir(parents=True, exist_ok=True)
        append = remote.endswith(APPEND_ONLY) and before is not None and local.is_file() \
            and info.size >= before.offset
        offset = self._fetch(host, local, remote, before.offset if append else 0, info.size,
                             append=append)
        os.utime(local, (info.mtime, info.mtime))
        self._copied[remote] = _Copied(offset, info.size, info.mtime)
        return True

    def _fetch(self, host: RemoteHost, local: Path, remote: str, offset: int, size: int, *,
               append: bool) -> int:
        chunks = []
        while True:
            read = host.read_from(remote, offset)
            if read.truncated and append:  # shrank since the stat: start the copy again
                return self._fetch(host, local, remote, 0, read.size, append=False)
            chunks.append(read.data)
            self.bytes_fetched += len(read.data)
            offset = read.next_offset
            if not read.data or offset >= max(size, read.size):
                break
        data = b"".join(chunks)
        if append:
            with open(local, "ab") as handle:
                handle.write(data)
        else:
            atomic_write_bytes(local, data)
        return offset
