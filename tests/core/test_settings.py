"""Typed settings: validation, persistence, damaged files."""

from __future__ import annotations

import orjson
import pytest

from studio.core.contributions import SettingField, SettingsSectionSpec
from studio.core.events import EventBus
from studio.core.settings import SettingChanged, SettingsError, SettingsStore


def _validate_port(value: int) -> None:
    if value == 22:
        raise ValueError("port 22 is ssh")


SECTION = SettingsSectionSpec(
    "server",
    "Server",
    (
        SettingField("port", "int", 8080, minimum=1024, maximum=65535, validate=_validate_port),
        SettingField("host", "str", "127.0.0.1"),
        SettingField("verbose", "bool", False),
        SettingField("ratio", "float", 0.5, minimum=0.0, maximum=1.0),
        SettingField("mode", "choice", "fast", choices=("fast", "exact")),
    ),
)


def test_defaults_set_persist_and_publish(tmp_path):
    bus = EventBus()
    changes: list[SettingChanged] = []
    bus.subscribe(SettingChanged.topic, changes.append)
    store = SettingsStore(tmp_path / "settings.json", bus)
    store.register_section(SECTION)
    assert store.values("server") == {
        "port": 8080,
        "host": "127.0.0.1",
        "verbose": False,
        "ratio": 0.5,
        "mode": "fast",
    }
    store.set("server", "port", "9000")
    store.set("server", "verbose", "yes")
    assert [(c.key, c.value) for c in changes] == [("port", 9000), ("verbose", True)]
    reopened = SettingsStore(tmp_path / "settings.json")
    reopened.register_section(SECTION)
    assert reopened.get("server", "port") == 9000
    assert reopened.get("server", "verbose") is True


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("port", 80, "at least 1024"),
        ("port", 22, "at least"),
        ("port", "abc", "integer"),
        ("port", True, "integer"),
        ("ratio", 2.0, "at most 1.0"),
        ("mode", "slow", "one of"),
        ("host", 5, "text"),
        ("verbose", "maybe", "true or false"),
    ],
)
def test_invalid_values_are_rejected_with_the_key_named(tmp_path, key, value, message):
    store = SettingsStore(tmp_path / "settings.json")
    store.register_section(SECTION)
    with pytest.raises(SettingsError, match=message) as info:
        store.set("server", key, value)
    assert f"server.{key}" in str(info.value)
    assert not (tmp_path / "settings.json").exists()


def test_custom_validator_message(tmp_path):
    store = SettingsStore(tmp_path / "s.json")
    section = SettingsSectionSpec(
        "net", "Net", (SettingField("port", "int", 8080, validate=_validate_port),)
    )
    store.register_section(section)
    with pytest.raises(SettingsError, match="port 22 is ssh"):
        store.set("net", "port", 22)


def test_damaged_file_is_kept_as_bak_and_defaults_used(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text('{"server": {"port": 9000')
    store = SettingsStore(path)
    store.register_section(SECTION)
    assert store.get("server", "port") == 8080
    assert (tmp_path / "settings.json.bak").read_text() == '{"server": {"port": 9000'
    assert "damaged" in store.warnings[0] and str(path) in store.warnings[0]
    store.set("server", "port", 9001)
    assert orjson.loads(path.read_bytes())["server"]["port"] == 9001


def test_invalid_stored_value_falls_back_with_warning_and_unknown_sections_survive(tmp_path):
    path = tmp_path / "settings.json"
    path.write_bytes(orjson.dumps({"server": {"port": 5}, "other-plugin": {"x": 1}}))
    store = SettingsStore(path)
    store.register_section(SECTION)
    assert store.get("server", "port") == 8080
    assert any("server.port" in w for w in store.warnings)
    store.set("server", "host", "0.0.0.0")
    assert orjson.loads(path.read_bytes())["other-plugin"] == {"x": 1}


def test_unknown_keys_and_sections_raise(tmp_path):
    store = SettingsStore(tmp_path / "s.json")
    store.register_section(SECTION)
    with pytest.raises(SettingsError, match=r"unknown setting server\.nope"):
        store.get("server", "nope")
    with pytest.raises(SettingsError, match="unknown settings section"):
        store.get("nope", "x")
    with pytest.raises(ValueError, match="registered twice"):
        store.register_section(SECTION)


def test_reset_restores_default(tmp_path):
    store = SettingsStore(tmp_path / "s.json")
    store.register_section(SECTION)
    store.set("server", "port", 9000)
    store.reset("server", "port")
    assert store.get("server", "port") == 8080
