"""The registry cache: an unchanged file is not parsed again, any change is seen."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from entries import make_entry, sample_entries

from studio.plugins.models import registry_cache
from studio.plugins.models.registry import RegistryCorruptError, RegistryStore


@pytest.fixture
def store(tmp_path: Path) -> RegistryStore:
    registry_cache.clear()
    store = RegistryStore(tmp_path / "models" / "registry.json")
    for entry in sample_entries():
        store.add(entry)
    return store


@pytest.fixture
def trust_stat(monkeypatch) -> None:
    """Every file counts as old enough for stat alone (ctime cannot be backdated in a test)."""
    monkeypatch.setattr(registry_cache, "RACY_NS", 0)


def test_unchanged_file_is_served_from_the_cache(store: RegistryStore, trust_stat, monkeypatch):
    first = store.load()
    monkeypatch.setattr("studio.plugins.models.registry.parse_registry",
                        lambda *a: pytest.fail("parsed an unchanged file again"))
    second = store.load()
    assert second.models is not first.models  # callers may add/remove ids on their copy
    assert second.models["oracle-rauru-asm"] is first.models["oracle-rauru-asm"]
    second.models.pop("oracle-rauru-asm")
    assert "oracle-rauru-asm" in store.load().models


def test_writes_are_seen_and_never_touch_cached_entries(store: RegistryStore, trust_stat):
    before = store.load()
    store.patch("oracle-rauru-asm", notes="changed")
    assert before.models["oracle-rauru-asm"]["notes"] == ""  # update() parsed its own copy
    assert store.load().models["oracle-rauru-asm"]["notes"] == "changed"
    store.add(make_entry("another-model"))
    assert "another-model" in store.load().models


def test_same_size_rewrite_within_the_timestamp_tick_is_seen(store: RegistryStore):
    # A racy entry (file changed moments before it was cached) is confirmed by its bytes.
    registry_cache.clear()
    loaded = store.load()  # the store just wrote the file: racy
    assert loaded.models["oracle-rauru-asm"]["role"] == "asm"
    data = store.path.read_bytes()
    key = registry_cache.stat_key(os.stat(store.path))
    edited = data.replace(b'"role": "asm"', b'"role": "dbg"', 1)
    assert len(edited) == len(data)
    # The same stat key with other bytes: what a same-tick, same-size rewrite looks like.
    assert registry_cache.lookup(store.path, key, lambda: edited) is None
    assert registry_cache.lookup(store.path, key, lambda: data) is not None


def test_damage_after_a_cached_load_is_reported(store: RegistryStore, trust_stat):
    store.load()
    store.path.write_bytes(store.path.read_bytes()[:-40])
    with pytest.raises(RegistryCorruptError):
        store.load()
    assert store.read_only
