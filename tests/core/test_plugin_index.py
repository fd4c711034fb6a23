"""The cached plugin index: written by a full start, used to paint before importing plugins."""

from __future__ import annotations

import os
import sys

import pytest

from studio.core.app import Studio
from studio.core.context import ContextRoot
from studio.core.plugin_index import INDEX_FILE, is_placeholder
from studio.core.plugin_records import ContributionsChanged
from studio.core.plugins import BUILTIN_PLUGINS, PluginState
from studio.testing import BusSpy


def _studio(home, builtins=BUILTIN_PLUGINS, **environ):
    env = {"HAFS_STUDIO_HOME": str(home), "HOME": str(home), **environ}
    return Studio(context=ContextRoot(home / "context", "test"), builtins=builtins,
                  load_entry_points=True, environ=env, job_workers=1)


@pytest.fixture
def indexed_home(tmp_path):
    """A studio home whose cache holds the index of a complete start."""
    first = _studio(tmp_path).start()
    first.shutdown()
    assert (first.paths.cache / INDEX_FILE).is_file()
    return tmp_path


def test_a_valid_index_paints_without_importing_any_plugin(indexed_home):
    studio = _studio(indexed_home)
    try:
        assert studio.start_first_frame()
        assert studio.plugins._pm is None  # pluggy not even created
        records = studio.plugins.records
        assert {r.state for r in records.values()} == {PluginState.DISCOVERED}
        assert all(r.obj is None for r in records.values())
        views = studio.contributions.views
        assert {"dashboard.home", "jobs.list", "models.list"} <= views.keys()
        assert all(is_placeholder(view) for view in views.values())
        assert views["models.list"].workspaces == ("models",)
        palette = studio.commands.get("workbench.palette")
        assert is_placeholder(palette) and palette.toolbar
        assert not studio.commands.is_enabled("workbench.palette")
        assert "nord" in studio.contributions.themes
        assert studio.settings.get("appearance", "theme") == "cobalt"
        assert "nord" in studio.settings.field("appearance", "theme").choices
    finally:
        studio.shutdown()


def test_finishing_the_start_replaces_every_placeholder(indexed_home):
    studio = _studio(indexed_home)
    index = studio.paths.cache / INDEX_FILE
    written = index.stat().st_mtime_ns
    try:
        assert studio.start_first_frame()
        spy = BusSpy(studio.bus, ContributionsChanged.topic)
        studio.finish_start()
        assert studio.started and not studio.first_frame
        assert all(r.state is PluginState.ACTIVE for r in studio.plugins.records.values())
        assert not any(is_placeholder(v) for v in studio.contributions.views.values())
        assert not any(is_placeholder(c) for c in studio.commands.all())
        assert studio.commands.is_enabled("jobs.cancel-all") is False  # real predicate now
        assert spy.of_type(ContributionsChanged)
        assert index.stat().st_mtime_ns == written  # same plugins: the file is not rewritten
    finally:
        studio.shutdown()


def test_switches_apply_to_an_indexed_start(indexed_home):
    studio = _studio(indexed_home, HAFS_STUDIO_DISABLE_PLUGINS="models")
    try:
        assert studio.start_first_frame()
        assert studio.plugins.records["models"].state is PluginState.DISABLED
        assert "models.list" not in studio.contributions.views
    finally:
        studio.shutdown()


def test_a_new_studio_version_invalidates_the_index(indexed_home, monkeypatch):
    import studio as package

    monkeypatch.setattr(package, "__version__", "99.0.0")
    studio = _studio(indexed_home)
    assert not studio.start_first_frame()
    studio.start()  # the caller falls back to a full start, which writes a new index
    studio.shutdown()
    again = _studio(indexed_home)
    assert again.start_first_frame()
    again.shutdown()


def test_a_new_installed_distribution_invalidates_the_index(indexed_home, tmp_path_factory,
                                                            monkeypatch):
    site = tmp_path_factory.mktemp("site")
    dist = site / "hafs_studio_extra-1.0.dist-info"
    dist.mkdir()
    (dist / "entry_points.txt").write_text("[hafs_studio.plugins]\n")
    monkeypatch.syspath_prepend(str(site))
    assert not _studio(indexed_home).start_first_frame()
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p != str(site)])
    assert _studio(indexed_home).start_first_frame()


def test_an_edited_builtin_plugin_invalidates_the_index(tmp_path, monkeypatch):
    plugins = tmp_path / "plugins_src"
    plugins.mkdir()
    module = plugins / "indexed_demo_plugin.py"
    module.write_text("")
    monkeypatch.syspath_prepend(str(plugins))
    builtins = (*BUILTIN_PLUGINS, ("demo", "indexed_demo_plugin"))
    _studio(tmp_path, builtins=builtins).start().shutdown()
    assert _studio(tmp_path, builtins=builtins).start_first_frame()
    module.write_text("# edited\n")
    os.utime(module, ns=(1, 1))
    assert not _studio(tmp_path, builtins=builtins).start_first_frame()
    sys.modules.pop("indexed_demo_plugin", None)


def test_a_damaged_index_is_rebuilt(indexed_home):
    index = indexed_home / "cache" / INDEX_FILE
    index.write_text("{not json")
    studio = _studio(indexed_home)
    assert not studio.start_first_frame()
    studio.start().shutdown()
    assert _studio(indexed_home).start_first_frame()


def test_studios_with_test_plugins_never_write_an_index(studio_factory, studio_home):
    studio_factory([("extra", object())])
    assert not (studio_home / "cache" / INDEX_FILE).exists()
