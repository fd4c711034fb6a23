"""Registries as hafs writes them: read in full, and after a studio edit still loaded by hafs.

hafs's side is reproduced by hafs_loader.py (its loader's acceptance rule, with provenance).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pytest
from entries import REQUIRED_DEFAULTS, make_entry
from hafs_loader import REQUIRED, hafs_load, hafs_save, read_models_as_hafs

from studio.plugins.models.registry import (
    RegistryError,
    RegistryStore,
    UnknownModelError,
)
from studio.plugins.models.schema import FIELDS, EntryError

NEWER_FIELD = "eval_accuracy"  # what a newer hafs's ModelMetadata might add, with a default


def hafs_entry(model_id: str, **fields: Any) -> dict[str, Any]:
    return dict(make_entry(model_id, **fields))


def short_entry(model_id: str) -> dict[str, Any]:
    """The 25 required keys only: hafs fills the other 11 when it loads."""
    entry = {"model_id": model_id, "display_name": "Short One", **REQUIRED_DEFAULTS}
    return {key: entry[key] for key in REQUIRED}


@pytest.fixture
def hafs_registry(tmp_path: Path) -> Path:
    """Five entries hafs accepts (a newer hafs for the fourth), saved the way hafs saves."""
    path = tmp_path / "models" / "registry.json"
    path.parent.mkdir()
    newer = hafs_entry("oracle-newer", display_name="From a newer hafs")
    newer[NEWER_FIELD] = 0.93
    models = {
        "oracle-full": hafs_entry("oracle-full", display_name="Full", final_loss=0.5,
                                  dataset_quality={"acceptance_rate": 0.8}),
        "oracle-short": short_entry("oracle-short"),
        "oracle-nan": hafs_entry("oracle-nan", display_name="Diverged", final_loss=math.nan,
                                 best_loss=math.inf, hyperparameters={"lr": -math.inf}),
        "oracle-newer": newer,
        "My Model": hafs_entry("My Model", display_name="Registered by hafs with spaces"),
    }
    hafs_save(path, models)
    return path


def same(a: Any, b: Any) -> bool:
    """Equality that counts NaN as equal to NaN (json.dumps spells both "NaN")."""
    return json.dumps(a) == json.dumps(b)


def test_every_entry_hafs_accepts_is_shown_complete(hafs_registry: Path):
    assert hafs_load(hafs_registry, [NEWER_FIELD]) is not None  # the newer hafs loads it
    registry = RegistryStore(hafs_registry).load()
    assert list(registry.models) == ["oracle-full", "oracle-short", "oracle-nan",
                                     "oracle-newer", "My Model"]
    assert not registry.damaged
    for model_id, entry in registry.models.items():
        assert list(entry) == list(FIELDS) and entry["model_id"] == model_id
    short = registry.get("oracle-short")
    assert short["formats"] == ["pytorch"] and short["primary_location"] == "windows"
    assert short["locations"] == {} and short["notes"] == "" and short["created_at"]
    assert math.isnan(registry.get("oracle-nan")["final_loss"])
    assert registry.get("oracle-nan")["best_loss"] == math.inf
    assert registry.unknown_keys("oracle-newer") == {NEWER_FIELD: 0.93}
    assert registry.get("My Model")["display_name"] == "Registered by hafs with spaces"


def test_a_studio_edit_keeps_hafs_loading_every_entry(hafs_registry: Path):
    before = read_models_as_hafs(hafs_registry)
    hafs_before = hafs_load(hafs_registry, [NEWER_FIELD])
    store = RegistryStore(hafs_registry)
    store.patch("oracle-short", notes="edited in the studio")
    store.patch("oracle-newer", tags=["checked"])
    store.edit("My Model", lambda entry: entry["formats"].append("gguf"))
    store.add(make_entry("studio-new", display_name="Added by the studio"))

    after = read_models_as_hafs(hafs_registry)
    loaded = hafs_load(hafs_registry, [NEWER_FIELD])
    assert loaded is not None and len(loaded) == 6  # hafs (the one that wrote it) loads all
    # Untouched entries come back exactly as hafs wrote them: keys, order, NaN and infinities.
    for model_id in ("oracle-full", "oracle-nan"):
        assert list(after[model_id]) == list(before[model_id])
        assert same(after[model_id], before[model_id])
        assert same(loaded[model_id], hafs_before[model_id])
    assert math.isnan(after["oracle-nan"]["final_loss"])
    # Changed entries are strict: exactly hafs's 36 keys in hafs's order, defaults filled...
    assert list(after["oracle-short"]) == list(FIELDS)
    assert after["oracle-short"]["notes"] == "edited in the studio"
    assert after["oracle-short"]["formats"] == ["pytorch"]
    assert list(after["studio-new"]) == list(FIELDS)
    assert after["My Model"]["formats"] == ["pytorch", "gguf"]
    # ...and keys a newer hafs added stay, untouched, after the 36.
    assert list(after["oracle-newer"]) == [*FIELDS, NEWER_FIELD]
    assert after["oracle-newer"][NEWER_FIELD] == 0.93 and after["oracle-newer"]["tags"] == [
        "checked"]
    # hafs without that field could not load the file before the edit, and still cannot: the
    # studio never made it worse (nor could it fix it without dropping the newer hafs's data).
    assert hafs_load(hafs_registry) is None


def test_a_changed_entry_gets_null_instead_of_nan(hafs_registry: Path):
    store = RegistryStore(hafs_registry)
    store.patch("oracle-nan", notes="looked at it")
    entry = read_models_as_hafs(hafs_registry)["oracle-nan"]
    assert entry["final_loss"] is None and entry["best_loss"] is None
    assert entry["hyperparameters"] == {"lr": None}
    written = hafs_registry.read_bytes()
    assert b"NaN" not in written and b"Infinity" not in written


def test_a_damaged_entry_is_reported_kept_and_the_rest_stays_writable(tmp_path: Path):
    path = tmp_path / "registry.json"
    broken = short_entry("oracle-broken")
    del broken["adapter_path"], broken["perplexity"]
    hafs_save(path, {"oracle-ok": hafs_entry("oracle-ok"), "oracle-broken": broken,
                     "oracle-list": ["not", "an", "object"]})
    assert hafs_load(path) is None  # hafs itself cannot load this registry
    store = RegistryStore(path)
    registry = store.load()
    assert list(registry.models) == ["oracle-ok"]
    damage = registry.damaged["oracle-broken"]
    line = path.read_text().splitlines().index('    "oracle-broken": {') + 1
    assert (damage.line, damage.column) == (line, 5)
    assert "perplexity, adapter_path" in damage.reason
    assert str(damage).startswith(f"{path}:{line}:5: model 'oracle-broken' lacks")
    assert "not an object" in registry.damaged["oracle-list"].reason
    with pytest.raises(UnknownModelError, match="perplexity"):
        registry.get("oracle-broken")
    assert not store.read_only

    store.add(make_entry("studio-new"))
    after = read_models_as_hafs(path)
    assert list(after) == ["oracle-ok", "oracle-broken", "oracle-list", "studio-new"]
    assert after["oracle-broken"] == broken and after["oracle-list"] == ["not", "an", "object"]
    # Once the user fixes the entries by hand, hafs loads everything, the studio's add included.
    after["oracle-broken"].update(perplexity=None, adapter_path=None)
    del after["oracle-list"]
    path.write_text(json.dumps({"version": "1.0", "updated_at": "x", "models": after}))
    assert set(hafs_load(path) or {}) == {"oracle-ok", "oracle-broken", "studio-new"}


def test_removing_a_damaged_entry(tmp_path: Path):
    path = tmp_path / "registry.json"
    hafs_save(path, {"oracle-ok": hafs_entry("oracle-ok"), "oracle-broken": {"model_id": "x"}})
    store = RegistryStore(path)
    store.remove("oracle-broken")
    assert list(read_models_as_hafs(path)) == ["oracle-ok"]
    assert hafs_load(path) is not None


# -- the strict write path: nothing reaches the disk that hafs would refuse ----------------
@pytest.fixture
def clean_store(tmp_path: Path) -> RegistryStore:
    path = tmp_path / "registry.json"
    hafs_save(path, {"oracle-ok": hafs_entry("oracle-ok")})
    return RegistryStore(path)


def unchanged(store: RegistryStore, check: Any) -> None:
    """Run ``check`` (which must raise) and prove the file was not written at all."""
    before = store.path.read_bytes()
    stat = os.stat(store.path)
    check()
    assert store.path.read_bytes() == before
    after = os.stat(store.path)
    assert (after.st_ino, after.st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)
    assert hafs_load(store.path) is not None


def test_add_update_patch_edit_refuse_extra_or_missing_keys(clean_store: RegistryStore):
    extra = dict(make_entry("new-one"), studio_gguf="/x.gguf")
    missing = dict(make_entry("new-two"))
    del missing["tags"]

    def add_extra() -> None:
        with pytest.raises(EntryError, match="unknown studio_gguf"):
            clean_store.add(extra)  # type: ignore[arg-type]

    def add_missing() -> None:
        with pytest.raises(EntryError, match="missing tags"):
            clean_store.add(missing)  # type: ignore[arg-type]

    def patch_extra() -> None:
        with pytest.raises(EntryError, match="unknown gguf_path"):
            clean_store.patch("oracle-ok", gguf_path="/x.gguf")

    def edit_missing() -> None:
        with pytest.raises(EntryError, match="missing notes"):
            clean_store.edit("oracle-ok", lambda entry: entry.pop("notes"))  # type: ignore[misc]

    def update_extra() -> None:
        def sneak(registry: Any) -> None:
            registry.models["oracle-ok"] = dict(registry.models["oracle-ok"], extra=1)

        with pytest.raises(EntryError, match="unknown extra"):
            clean_store.update(sneak)

    def update_missing() -> None:
        def sneak(registry: Any) -> None:
            entry = dict(registry.models["oracle-ok"])
            del entry["version"]
            registry.models["oracle-ok"] = entry

        with pytest.raises(EntryError, match="missing version"):
            clean_store.update(sneak)

    for check in (add_extra, add_missing, patch_extra, edit_missing, update_extra,
                  update_missing):
        unchanged(clean_store, check)


def test_only_a_removal_may_write_fewer_entries(clean_store: RegistryStore):
    def drop_all() -> None:
        with pytest.raises(RegistryError, match="refusing to write 0 entries over the 1"):
            clean_store.update(lambda registry: registry.models.clear())

    unchanged(clean_store, drop_all)
    clean_store.remove("oracle-ok")
    assert read_models_as_hafs(clean_store.path) == {}


def test_an_integer_beyond_64_bits_round_trips(tmp_path: Path):
    """json.load reads any integer exactly; orjson rounds one beyond 64 bits to a float. A save
    keeps every digit, whether the entry is left alone or changed."""
    path = tmp_path / "registry.json"
    seed = 2**70 + 1  # not a float: rounding it would show
    big = hafs_entry("oracle-big", hyperparameters={"seed": seed})
    hafs_save(path, {"oracle-big": big, "oracle-ok": hafs_entry("oracle-ok")})
    store = RegistryStore(path)
    store.patch("oracle-ok", notes="x")
    assert read_models_as_hafs(path)["oracle-big"]["hyperparameters"]["seed"] == seed
    store.patch("oracle-big", notes="changed too")
    after = read_models_as_hafs(path)["oracle-big"]
    assert after["hyperparameters"]["seed"] == seed and after["notes"] == "changed too"
