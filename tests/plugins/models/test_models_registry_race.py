"""A real hafs-style saver (truncate, then write in chunks, no temp file) races studio writers.

Several studio processes add and edit entries (library calls and real ``hafs-studio models
register`` runs) while a separate process loads and saves the registry exactly as hafs does, in
a loop. Nothing may be lost: the entries that were there, every studio add and edit, and
hafs's final save. No ``.bak`` may appear (the file was never damaged at rest).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from entries import make_entry
from hafs_loader import hafs_load, hafs_save

from studio.plugins.models.registry import RegistryStore

HERE = Path(__file__).resolve().parent
BASE = 30  # entries hafs holds before the race
WORKERS, ADDS = 3, 12


@pytest.fixture
def context_dir(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs folder when there is one (hundreds of fsyncs), else the test's temp folder."""
    shm = Path("/dev/shm")
    folder = Path(tempfile.mkdtemp(prefix="registry-race-", dir=shm)) if shm.is_dir() else (
        tmp_path / "ctx")
    (folder / "models").mkdir(parents=True)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _studio_worker(path: str, worker: int, adds: int, errors: str) -> None:
    store = RegistryStore(path)
    try:
        for i in range(adds):
            store.add(make_entry(f"studio-w{worker}-{i}", display_name=f"worker {worker}"))
            store.patch(f"base-{worker}", notes=f"worker {worker} edit {i}")
    except Exception as exc:  # reported to the test, which fails with the message
        Path(errors).write_text(f"{type(exc).__name__}: {exc}")
        raise


def _model_folder(root: Path, name: str) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"architectures": ["LlamaForCausalLM"]}))
    return folder


def _start_hafs(path: Path, stop: Path, report: Path, lock: bool) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(HERE / "hafs_loader.py"), str(path), str(stop),
                             str(report), "lock" if lock else "nolock"])


def _race(context: Path, lock: bool, cli_registers: int) -> tuple[dict, dict, list[Path]]:
    path = context / "models" / "registry.json"
    hafs_save(path, {f"base-{i}": dict(make_entry(f"base-{i}")) for i in range(BASE)})
    stop, report = context / "stop", context / "report.json"
    hafs = _start_hafs(path, stop, report, lock)
    spawn = multiprocessing.get_context("spawn")
    errors = [context / f"worker-{w}.error" for w in range(WORKERS)]
    workers = [spawn.Process(target=_studio_worker, args=(str(path), w, ADDS, str(errors[w])))
               for w in range(WORKERS)]
    for worker in workers:
        worker.start()
    env = {**os.environ, "HAFS_STUDIO_HOME": str(context / "studio-home")}
    folders = [_model_folder(context / "checkpoints", f"cli model {n}")
               for n in range(cli_registers)]
    clis = [subprocess.Popen([sys.executable, "-m", "studio", "--context", str(context), "models",
                              "register", str(folder), "--role", "asm"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for folder in folders]
    cli_results = [(cli.wait(timeout=600), *cli.communicate()) for cli in clis]
    for worker in workers:
        worker.join(timeout=600)
    stop.touch()
    assert hafs.wait(timeout=120) == 0
    for number, worker in enumerate(workers):
        problem = errors[number].read_text() if errors[number].exists() else ""
        assert worker.exitcode == 0, problem
    for code, _out, err in cli_results:
        assert code == 0, err
    return hafs_load(path) or {}, json.loads(report.read_text()), list(
        path.parent.glob("registry.json.bak*"))


def test_studio_writers_and_a_hafs_saver_lose_nothing(context_dir: Path):
    final, hafs, backups = _race(context_dir, lock=True, cli_registers=2)
    assert hafs["failed_loads"] == 0  # hafs could load every version the studio wrote
    assert hafs["cycles"] > 0
    expected = {f"base-{i}" for i in range(BASE)}
    expected |= {f"studio-w{w}-{i}" for w in range(WORKERS) for i in range(ADDS)}
    expected |= {"cli model 0", "cli model 1", "hafs-own", *hafs["added"]}
    assert set(final) == expected  # zero entries lost
    assert final["hafs-own"]["notes"] == "final"  # hafs's final save is there
    for w in range(WORKERS):  # and every studio edit
        assert final[f"base-{w}"]["notes"] == f"worker {w} edit {ADDS - 1}"
    assert final["cli model 0"]["role"] == "asm"
    assert backups == []  # nothing was ever judged damaged, so no half-written copy


def test_a_hafs_saver_without_any_lock_never_makes_the_studio_wipe_the_registry(
        context_dir: Path):
    # Without the lock hafs reverts others' edits by itself (it saves the copy it loaded), and
    # a studio rename during its save orphans that save; neither is the studio's to prevent.
    # What the studio guarantees: it never writes from an empty or half-written read, so every
    # entry that was there all along survives, and no partial file is ever backed up.
    final, hafs, backups = _race(context_dir, lock=False, cli_registers=0)
    assert hafs["failed_loads"] == 0
    assert {f"base-{i}" for i in range(BASE)} <= set(final)
    assert final["hafs-own"]["notes"] == "final"
    assert backups == []
