"""Registry store: hafs round-trip, strict 36 keys, concurrency, damage handling."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import time
from pathlib import Path

import pytest

from studio.core.filewatch import FileWatcher
from studio.plugins.models.ids import (
    InvalidModelIdError,
    id_path_part,
    validate_model_id,
)
from studio.plugins.models.registry import (
    RegistryCorruptError,
    RegistryError,
    RegistryReadOnlyError,
    RegistryStore,
    UnknownModelError,
    dumps_registry,
    parse_registry,
)
from studio.plugins.models.schema import FIELDS, EntryError, new_entry
from studio.plugins.models.sidecar import SidecarStore

DATA = Path(__file__).resolve().parents[2] / "data" / "models"
HAFS_REGISTRY = DATA / "hafs_registry.json"


@pytest.fixture
def store(tmp_path: Path) -> RegistryStore:
    target = tmp_path / "models" / "registry.json"
    target.parent.mkdir()
    shutil.copy(HAFS_REGISTRY, target)
    return RegistryStore(target)


def test_hafs_written_registry_round_trips():
    original = HAFS_REGISTRY.read_bytes()
    registry = parse_registry(original, HAFS_REGISTRY)
    assert len(registry.models) == 2
    written = dumps_registry(registry)
    assert json.loads(written) == json.loads(original)
    # Same layout byte for byte as hafs' json.dump(indent=2) (ensure_ascii included); only
    # floats in exponent form (1.2e-05) are spelled differently by orjson, hence the filter.
    plain = "oracle-rauru-assembler-qwen25-coder-15b-20251222"
    registry.models = {plain: registry.models[plain]}
    doc = json.loads(original)
    doc["models"] = {plain: doc["models"][plain]}
    assert dumps_registry(registry) == json.dumps(doc, indent=2).encode()


def test_write_keeps_every_entry_and_hafs_layout(store: RegistryStore):
    before = json.loads(HAFS_REGISTRY.read_text())
    store.patch("oracle-rauru-assembler-qwen25-coder-15b-20251222", notes="tested")
    text = store.path.read_text(encoding="ascii")  # ensure_ascii like hafs' json.dump
    after = json.loads(text)
    assert list(after) == ["version", "updated_at", "models"]
    assert after["updated_at"] != before["updated_at"]
    assert "+" not in after["updated_at"] and "Z" not in after["updated_at"]  # naive ISO
    for model_id, entry in after["models"].items():
        assert list(entry) == list(FIELDS)
        old = before["models"][model_id]
        changed = {k for k in FIELDS if entry[k] != old[k]}
        expected = {"notes", "updated_at"} if model_id.startswith("oracle-rauru") else set()
        assert changed == expected
    farore = after["models"]["oracle-farore-debugger-qwen25-coder-7b-20251220"]
    assert farore["display_name"] == "Oracle: Farore Débugger ✓"


def test_new_entry_has_exactly_36_keys_in_hafs_order():
    entry = new_entry("my-model", display_name="Mine", role="asm")
    assert list(entry) == list(FIELDS) and len(entry) == 36
    assert entry["formats"] == ["pytorch"] and entry["primary_location"] == "windows"
    assert entry["final_loss"] is None and entry["adapter_path"] is None
    with pytest.raises(EntryError, match="unknown registry field"):
        new_entry("my-model", gguf_path="/x")


@pytest.mark.parametrize("model_id", ["../x", "a/b", "a\\b", ".hidden", "..", "x..y", "C:evil",
                                      "ok.", "My Model", "CON", "nul.txt", " x ", "é" * 300])
def test_any_id_is_accepted_and_its_path_part_stays_inside(model_id: str, tmp_path: Path):
    assert validate_model_id(model_id) == model_id  # hafs's ids are free text
    part = id_path_part(model_id)
    assert part and "/" not in part and "\\" not in part and ":" not in part
    assert not part.startswith(".") and not part.endswith((".", " "))
    assert part.split(".")[0].upper() not in ("CON", "NUL")
    assert len(part.encode()) <= 200
    target = (tmp_path / part).resolve()
    assert target.parent == tmp_path.resolve()
    target.mkdir()  # a name this file system accepts


def test_ordinary_ids_map_to_themselves_and_long_ones_stay_distinct():
    assert id_path_part("oracle-rauru-asm") == "oracle-rauru-asm"
    assert id_path_part("My Model") == "My Model"
    assert id_path_part("a" * 300 + "1") != id_path_part("a" * 300 + "2")


@pytest.mark.parametrize("bad", ["", "   ", "tab\there", "new\nline"])
def test_new_ids_must_be_visible_text(bad: str):
    with pytest.raises(InvalidModelIdError):
        validate_model_id(bad)


def at_rest(path: Path) -> None:
    """Give the file an mtime long past, as for a file nobody is writing (not mid-save)."""
    past = time.time() - 60
    os.utime(path, (past, past))


def test_entry_hafs_cannot_load_is_reported_with_position_and_others_load(tmp_path: Path):
    doc = json.loads(HAFS_REGISTRY.read_text())
    entry = doc["models"]["oracle-farore-debugger-qwen25-coder-7b-20251220"]
    entry["studio_gguf"] = "/x.gguf"
    del entry["perplexity"]
    path = tmp_path / "registry.json"
    path.write_text(json.dumps(doc, indent=2))
    store = RegistryStore(path)
    registry = store.load()
    assert list(registry.models) == ["oracle-rauru-assembler-qwen25-coder-15b-20251222"]
    damage = registry.damaged["oracle-farore-debugger-qwen25-coder-7b-20251220"]
    message = str(damage)
    assert message.startswith(f"{path}:") and "required key perplexity" in message
    assert damage.line is not None and damage.line > 30
    assert not store.read_only  # see test_models_registry_hafs for what a write keeps


def test_corrupt_registry_is_never_overwritten_and_backed_up(store: RegistryStore):
    damaged = HAFS_REGISTRY.read_bytes()[:-40]
    store.path.write_bytes(damaged)
    at_rest(store.path)
    with pytest.raises(RegistryCorruptError) as info:
        store.load()
    assert info.value.line is not None and info.value.column is not None
    assert str(store.path) in str(info.value)
    backup = store.path.with_name("registry.json.bak")
    assert backup.read_bytes() == damaged
    with pytest.raises(RegistryReadOnlyError):
        store.add(new_entry("another", display_name="x"))
    assert store.path.read_bytes() == damaged
    # Loading again does not pile up identical backups.
    with pytest.raises(RegistryCorruptError):
        store.load()
    assert not store.path.with_name("registry.json.bak.1").exists()
    # Only an explicit reset replaces it, keeping another copy.
    store.reset_damaged()
    assert store.load().models == {}


def test_read_only_store_refuses_writes(store: RegistryStore):
    ro = RegistryStore(store.path, read_only=True)
    assert len(ro.load().models) == 2
    with pytest.raises(RegistryReadOnlyError):
        ro.remove("oracle-rauru-assembler-qwen25-coder-15b-20251222")


def test_add_patch_edit_remove_and_filter(store: RegistryStore):
    store.add(new_entry("tiny-qwen", display_name="Tiny", role="general", base_model="Qwen/x",
                        locations={"mac": "/m/tiny"}, primary_location="mac"))
    with pytest.raises(RegistryError, match="already registered"):
        store.add(new_entry("tiny-qwen", display_name="Again"))
    with pytest.raises(EntryError, match="location 'linux'"):
        store.patch("tiny-qwen", locations={"linux": "/x"})
    with pytest.raises(EntryError, match="deployed_backends value 'halext'"):
        store.patch("tiny-qwen", deployed_backends=["halext"])
    store.edit("tiny-qwen", lambda e: e["formats"].append("gguf"))
    registry = store.load()
    assert registry.get("tiny-qwen")["formats"] == ["pytorch", "gguf"]
    assert [e["model_id"] for e in registry.filter(location="mac")] == [
        "oracle-farore-debugger-qwen25-coder-7b-20251220", "tiny-qwen"]
    assert [e["model_id"] for e in registry.filter(role="asm")] == [
        "oracle-rauru-assembler-qwen25-coder-15b-20251222"]
    assert [e["model_id"] for e in registry.filter(backend="ollama")] == [
        "oracle-farore-debugger-qwen25-coder-7b-20251220"]
    assert [e["model_id"] for e in registry.filter(text="RAURU")] == [
        "oracle-rauru-assembler-qwen25-coder-15b-20251222"]
    store.remove("tiny-qwen")
    with pytest.raises(UnknownModelError):
        store.remove("tiny-qwen")
    assert len(store.load().models) == 2


def test_sidecar_keeps_studio_data_out_of_entries(store: RegistryStore, tmp_path: Path):
    gguf = tmp_path / "m-Q8_0.gguf"
    gguf.write_bytes(b"GGUF")
    sidecar = SidecarStore(store.path)
    sidecar.add_artifact("oracle-rauru-assembler-qwen25-coder-15b-20251222", gguf, "gguf", "Q8_0")
    record = sidecar.model("oracle-rauru-assembler-qwen25-coder-15b-20251222")["artifacts"][0]
    assert record["type"] == "Q8_0" and record["size"] == 4
    assert sidecar.path.name == "registry.studio.json"
    assert store.load()  # registry itself untouched and still valid


def test_external_edit_is_seen_by_watcher(store: RegistryStore):
    watcher = FileWatcher(interval=3600)  # polled by hand: no timing in the test
    seen: list[Path] = []
    store.watch(watcher, seen.append)
    store.patch("oracle-rauru-assembler-qwen25-coder-15b-20251222", notes="ours")
    assert watcher.poll() == 0  # our own write is acknowledged
    doc = json.loads(store.path.read_text())
    doc["models"]["oracle-rauru-assembler-qwen25-coder-15b-20251222"]["notes"] = "by hafs!"
    store.path.write_text(json.dumps(doc, indent=2) + " ")
    assert watcher.poll() == 1 and seen == [store.path]
    watcher.stop()


def _writer(path: str, worker: int, updates: int) -> None:
    store = RegistryStore(path)
    for i in range(updates):
        store.add(new_entry(f"w{worker}-m{i}", display_name=f"worker {worker} #{i}"))


@pytest.fixture
def fast_dir(tmp_path: Path):
    """A tmpfs folder when there is one: this test is about locking, and 1,600 fsyncs of a real
    disk would only make it slow."""
    shm = Path("/dev/shm")
    if not shm.is_dir():
        yield tmp_path
        return
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="models-registry-", dir=shm))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_concurrent_writers_lose_nothing(fast_dir: Path):
    path = fast_dir / "registry.json"
    workers, updates = 8, 200
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_writer, args=(str(path), w, updates))
                 for w in range(workers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
        assert process.exitcode == 0
    models = RegistryStore(path).load().models
    assert len(models) == workers * updates
    assert all(list(entry) == list(FIELDS) for entry in models.values())


def test_an_empty_file_at_rest(tmp_path: Path):
    """Empty and never seen with models here: an empty registry. Empty after holding models:
    an error, never an empty registry to write over (hafs's save was cut short?)."""
    path = tmp_path / "registry.json"
    path.write_bytes(b"")
    at_rest(path)
    assert RegistryStore(path).load().models == {}
    store = RegistryStore(path)
    store.add(new_entry("one", display_name="One"))
    path.write_bytes(b"  \n")
    at_rest(path)
    with pytest.raises(RegistryCorruptError, match="empty but held 1 model when it was last"):
        store.load()
    with pytest.raises(RegistryReadOnlyError, match="not writing so nothing is lost"):
        store.add(new_entry("two", display_name="Two"))
    assert path.read_bytes() == b"  \n"
    assert not path.with_name("registry.json.bak").exists()  # nothing worth keeping
