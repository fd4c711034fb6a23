"""Copy a registered model from another machine to this one (``hafs models pull``, done safely).

Transport, as hafs chooses it (hafs-formats §1.5): the model's remote path is first mapped through
sync.toml ``[mounts]`` (the first mounted one that holds it, e.g. ``D:/hafs_training`` →
``~/Mounts/mm-d/…``; see :mod:`studio.core.sync_mounts`, which also understands ``D:\\…``
paths); when that local path exists the files are copied from the mount. Otherwise they come over
SFTP from the host serving the location (hafs' fixed map: ``windows`` → ``medical-mechanica``,
``cloud`` → ``cloud-gpu``; a host table may also say ``location = "…"``).

Unlike hafs' ``copytree``/``scp`` it is resumable and verified: files land in a hidden
``.<dest>.partial`` folder, a partial file continues where it stopped, each file is checked by
size and sha256 (computed on the host, or by reading the file back), and only then moved into
place. The registry then records ``locations["mac"] = dest``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from studio.api import (
    NULL_CONTEXT,
    HostConfig,
    JobContext,
    RemoteEntry,
    RemoteError,
    RemoteHost,
    SyncConfig,
    format_rate,
    load_sync_config,
    sha256_file,
)
from studio.plugins.models.api import ModelsService
from studio.plugins.models.ids import id_path_part
from studio.plugins.models.schema import ModelEntry, now_iso

if TYPE_CHECKING:
    from studio.api import RemoteManager

__all__ = [
    "DEFAULT_MODELS_DIR",
    "HAFS_LOCATION_HOSTS",
    "PullError",
    "PullPlan",
    "PullResult",
    "plan_pull",
    "pull_model",
]

DEFAULT_MODELS_DIR = "~/Code/hafs/models"  # hafs' hard-coded local model store
HAFS_LOCATION_HOSTS = {"windows": "medical-mechanica", "cloud": "cloud-gpu"}
LOCAL_LOCATION = "mac"  # the key hafs records a pulled copy under
COPY_CHUNK = 4 << 20


class PullError(Exception):
    """The model cannot be pulled; the message says what to change."""


@dataclass
class PullPlan:
    """Where a pull comes from and goes to, decided before any byte moves."""

    model_id: str
    source: str  # location key
    remote_path: str
    dest: Path
    method: str  # "mount" or "ssh"
    mount_path: Path | None = None
    host: HostConfig | None = None


@dataclass
class PullResult:
    plan: PullPlan
    path: Path  # what was recorded as the local location
    files: int
    bytes_total: int
    bytes_transferred: int
    seconds: float
    resumed: list[str] = field(default_factory=list)


def _pick_source(entry: ModelEntry, source: str | None) -> str:
    locations = entry["locations"] or {}
    if source:
        if source not in locations:
            raise PullError(f"model {entry['model_id']!r} has no {source!r} location "
                            f"(it has: {', '.join(locations) or 'none'})")
        return source
    remote = [key for key in locations if key != LOCAL_LOCATION]
    if not remote:
        raise PullError(f"model {entry['model_id']!r} has no remote location to pull from "
                        f"(locations: {', '.join(locations) or 'none'})")
    primary = entry["primary_location"]
    return primary if primary in remote else remote[0]


def _host_for(sync: SyncConfig, location: str) -> HostConfig:
    for host in sync.hosts.values():
        if host.location == location:
            return host
    name = HAFS_LOCATION_HOSTS.get(location)
    if name is None:
        raise PullError(f"no host serves location {location!r}: add `location = "
                        f"\"{location}\"` to a [hosts.<name>] table of {sync.path}")
    try:
        return sync.host(name)
    except RemoteError as exc:
        raise PullError(str(exc)) from None


def plan_pull(entry: ModelEntry, sync: SyncConfig, *, source: str | None = None,
              dest: str | os.PathLike[str] | None = None,
              models_dir: str | os.PathLike[str] | None = None) -> PullPlan:
    """Decide the source location, the destination and the transport for ``entry``."""
    location = _pick_source(entry, source)
    remote_path = str(entry["locations"][location])
    folder = Path(models_dir or sync.deployment.get("local_models_dir") or DEFAULT_MODELS_DIR)
    # hafs's ~/Code/hafs/models/<id>; the id may be any text, so its folder name is made safe.
    target = Path(dest).expanduser() if dest else folder.expanduser() / id_path_part(
        entry["model_id"])
    plan = PullPlan(entry["model_id"], location, remote_path, target, "ssh")
    mapped = sync.map_to_local(remote_path)
    if mapped is not None and mapped.exists():
        plan.method, plan.mount_path = "mount", mapped
    else:
        plan.host = _host_for(sync, location)
    return plan


class _Progress:
    """Aggregate progress over all files: fraction, current file, speed."""

    def __init__(self, ctx: JobContext, total: int, files: int) -> None:
        self.ctx, self.total, self.files = ctx, max(total, 1), files
        self.done = 0
        self.index = 0
        self.name = ""
        self.started = time.monotonic()
        self.moved = 0

    def start_file(self, index: int, name: str, already: int) -> None:
        self.index, self.name = index, name
        self.done += already
        self.report()

    def add(self, n: int) -> None:
        self.done += n
        self.moved += n
        self.report()

    def report(self, note: str = "") -> None:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = format_rate(self.moved / elapsed)
        text = note or f"{self.name} ({self.index}/{self.files}) · {rate}"
        self.ctx.report(0.97 * self.done / self.total, text)


def _staging(dest: Path) -> Path:
    return dest.parent / f".{dest.name}.partial"


def _copy_from_mount(source: Path, target: Path, progress: _Progress,
                     ctx: JobContext) -> str:
    """Copy (resuming) and return the sha256 of the whole source file."""
    digest = hashlib.sha256()
    have = target.stat().st_size if target.exists() else 0
    size = source.stat().st_size
    if have > size:
        target.unlink()
        have = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(source, "rb") as src, open(target, "ab") as out:
        remaining = have
        while remaining:  # hash the part a previous attempt already copied
            chunk = src.read(min(COPY_CHUNK, remaining))
            if not chunk:
                break
            digest.update(chunk)
            remaining -= len(chunk)
        while chunk := src.read(COPY_CHUNK):
            ctx.raise_if_cancelled()
            out.write(chunk)
            digest.update(chunk)
            progress.add(len(chunk))
    return digest.hexdigest()


def _mount_entries(root: Path) -> list[RemoteEntry]:
    if root.is_file():
        return [RemoteEntry(str(root), root.name, root.stat().st_size)]
    return sorted((RemoteEntry(str(p), p.relative_to(root).as_posix(), p.stat().st_size)
                   for p in root.rglob("*") if p.is_file()), key=lambda e: e.relative)


def _verify(local: Path, size: int, expected: str, ctx: JobContext) -> str | None:
    """None when ``local`` has ``size`` bytes and sha256 ``expected``; else the problem."""
    actual_size = local.stat().st_size
    if actual_size != size:
        return f"size {actual_size:,} bytes, expected {size:,}"
    actual = sha256_file(local, ctx)
    if actual != expected:
        return f"sha256 {actual[:16]}… differs from the source's {expected[:16]}…"
    return None


def _host(plan: PullPlan, known_hosts: str | None,
          remote: RemoteManager | None) -> AbstractContextManager[RemoteHost]:
    """The studio's shared connection to the host, else (no studio) a connection of our own."""
    assert plan.host is not None
    if remote is not None:
        return nullcontext(remote.host_for(plan.host, known_hosts=known_hosts))
    return RemoteHost(plan.host, known_hosts=known_hosts)


def _pull_ssh(plan: PullPlan, staging: Path, ctx: JobContext, known_hosts: str | None,
              resumed: list[str], *, remote: RemoteManager | None
              ) -> tuple[list[RemoteEntry], int]:
    assert plan.host is not None
    ctx.report(None, f"Connecting to {plan.host.hostname}")
    with _host(plan, known_hosts, remote) as host:
        if not host.exists(plan.remote_path):
            raise PullError(f"{plan.remote_path} does not exist on {plan.host.name} "
                            f"({plan.host.hostname})")
        entries = host.list_files(plan.remote_path)
        progress = _Progress(ctx, sum(e.size for e in entries), len(entries))
        for index, entry in enumerate(entries, 1):
            target = staging / entry.relative
            already = target.stat().st_size if target.exists() else 0
            if 0 < already <= entry.size:
                resumed.append(entry.relative)
            progress.start_file(index, entry.relative, min(already, entry.size))
            host.download(entry.path, target, size=entry.size, ctx=ctx, on_bytes=progress.add)
            progress.report(f"verifying {entry.relative}")
            expected = host.sha256(entry.path) or host.sha256_by_reading(entry.path, ctx)
            problem = _verify(target, entry.size, expected, ctx)
            if problem and already:
                # The kept partial was not a prefix of this file: fetch it whole once more.
                target.unlink()
                progress.done -= entry.size
                progress.start_file(index, entry.relative, 0)
                host.download(entry.path, target, size=entry.size, ctx=ctx,
                              on_bytes=progress.add)
                problem = _verify(target, entry.size, expected, ctx)
            if problem:
                raise PullError(f"{entry.relative} from {plan.host.name} failed verification: "
                                f"{problem}; the partial copy is kept in {staging}")
        return entries, progress.moved


def _pull_mount(plan: PullPlan, staging: Path, ctx: JobContext,
                resumed: list[str]) -> tuple[list[RemoteEntry], int]:
    assert plan.mount_path is not None
    entries = _mount_entries(plan.mount_path)
    progress = _Progress(ctx, sum(e.size for e in entries), len(entries))
    for index, entry in enumerate(entries, 1):
        target = staging / entry.relative
        already = target.stat().st_size if target.exists() else 0
        if already:
            resumed.append(entry.relative)
        progress.start_file(index, entry.relative, min(already, entry.size))
        source_hash = _copy_from_mount(Path(entry.path), target, progress, ctx)
        problem = _verify(target, entry.size, source_hash, ctx)
        if problem and already:
            target.unlink()
            source_hash = _copy_from_mount(Path(entry.path), target, progress, ctx)
            problem = _verify(target, entry.size, source_hash, ctx)
        if problem:
            raise PullError(f"{entry.relative} from {plan.mount_path} failed verification: "
                            f"{problem}")
    return entries, progress.moved


def _move_into_place(staging: Path, dest: Path) -> None:
    """Rename the verified staging folder to ``dest`` (file by file if ``dest`` exists)."""
    if not dest.exists():
        os.replace(staging, dest)
        return
    for file in sorted(p for p in staging.rglob("*") if p.is_file()):
        target = dest / file.relative_to(staging)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(file, target)
    shutil.rmtree(staging, ignore_errors=True)


def pull_model(service: ModelsService, model_id: str, *, source: str | None = None,
               dest: str | os.PathLike[str] | None = None, sync: SyncConfig | None = None,
               models_dir: str | os.PathLike[str] | None = None,
               known_hosts: str | None = None, ctx: JobContext = NULL_CONTEXT,
               on_plan: Callable[[PullPlan], None] | None = None,
               remote: RemoteManager | None = None) -> PullResult:
    """Pull ``model_id`` and record ``locations["mac"]``; cancellable, resumable.

    ``remote``: the studio's connection manager (``studio.services.remote``), so an SSH pull
    shares the host's one connection with every other feature.
    """
    entry = service.info(model_id)
    sync = sync if sync is not None else load_sync_config()
    plan = plan_pull(entry, sync, source=source, dest=dest, models_dir=models_dir)
    if on_plan is not None:
        on_plan(plan)
    started = time.monotonic()
    plan.dest.parent.mkdir(parents=True, exist_ok=True)
    staging = _staging(plan.dest)
    staging.mkdir(exist_ok=True)
    resumed: list[str] = []
    try:
        if plan.method == "mount":
            entries, moved = _pull_mount(plan, staging, ctx, resumed)
        else:
            entries, moved = _pull_ssh(plan, staging, ctx, known_hosts, resumed, remote=remote)
    except RemoteError as exc:
        raise PullError(str(exc)) from exc
    if not entries:
        raise PullError(f"{plan.remote_path} on {plan.source} holds no files")
    ctx.raise_if_cancelled()
    _move_into_place(staging, plan.dest)
    single_file = len(entries) == 1 and entries[0].relative == Path(plan.remote_path).name \
        and not plan.remote_path.endswith(("/", "\\"))
    recorded = plan.dest / entries[0].relative if single_file else plan.dest

    def record(model: ModelEntry) -> None:
        model["locations"][LOCAL_LOCATION] = str(recorded)

    service.registry.edit(model_id, record)
    service.sidecar.set_field(model_id, "pulled_from", {
        "location": plan.source, "path": plan.remote_path, "method": plan.method,
        "at": now_iso()})
    total = sum(e.size for e in entries)
    seconds = time.monotonic() - started
    ctx.report(1.0, f"Pulled {len(entries)} files ({total:,} bytes) to {plan.dest}")
    return PullResult(plan, recorded, len(entries), total, moved, seconds, resumed)
