"""Plugin manager: discovery switches, isolation of failures, crash guard, attribution."""

from __future__ import annotations

import sys
import types

import orjson
import pytest

from studio.core.contributions import CommandSpec, ViewSpec
from studio.core.events import EventBus
from studio.core.plugins import PluginManager, PluginState, UserPluginChoices
from studio.testing import BUILTIN_PLUGINS, make_plugin, make_studio


def _command_plugin(name: str, command_id: str):
    return make_plugin(
        name,
        studio_register_commands=lambda register: register(
            CommandSpec(command_id, command_id.title(), lambda: command_id)
        ),
    )


def test_builtins_load_and_activate(studio):
    states = {r.name: r.state for r in studio.plugins.records.values()}
    assert states == {name: PluginState.ACTIVE for name, _ in BUILTIN_PLUGINS}
    assert "workbench.palette" in studio.commands
    assert "dashboard.home" in studio.contributions.views
    assert "cobalt" in studio.contributions.themes
    for record in studio.plugins.records.values():
        assert record.load_ms > 0
        assert record.version


def test_a_plugin_whose_hook_raises_is_errored_and_its_partial_contributions_dropped(
    studio_factory,
):
    def half_then_raise(register):
        register(CommandSpec("bad.first", "First", lambda: None))
        raise RuntimeError("registration exploded")

    bad = make_plugin("bad", studio_register_commands=half_then_raise)
    good = _command_plugin("good", "good.hello")
    studio = studio_factory([("bad", bad), ("good", good)])
    record = studio.plugins.records["bad"]
    assert record.state is PluginState.ERRORED
    assert "registration exploded" in record.error
    assert "half_then_raise" in record.traceback
    assert record.error_phase.endswith("studio_register_commands")
    assert "bad.first" not in studio.commands
    assert studio.commands.execute("good.hello") == "good.hello"
    assert studio.plugins.records["good"].state is PluginState.ACTIVE


def test_a_plugin_whose_import_fails_is_errored(studio_home):
    bus = EventBus()
    manager = PluginManager(
        bus,
        builtins=[("ghost", "studio_no_such_module.plugin")],
        load_entry_points=False,
        environ={},
    )
    manager.discover()
    manager.load_all()
    record = manager.records["ghost"]
    assert record.state is PluginState.ERRORED
    assert record.error_phase == "load"
    assert "ModuleNotFoundError" in record.error


def test_an_unknown_hook_name_is_an_error_not_silently_ignored(studio_factory):
    module = types.ModuleType("typo_plugin")
    from studio import hookimpl

    @hookimpl
    def studio_register_view(register):  # missing "s"
        pass

    module.studio_register_view = studio_register_view
    studio = studio_factory([("typo", module)])
    record = studio.plugins.records["typo"]
    assert record.state is PluginState.ERRORED
    assert "studio_register_view" in record.error


def test_duplicate_contribution_ids_error_the_second_plugin(studio_factory):
    first = _command_plugin("first", "shared.cmd")
    second = _command_plugin("second", "shared.cmd")
    studio = studio_factory([("first", first), ("second", second)])
    assert studio.plugins.records["first"].state is PluginState.ACTIVE
    assert studio.plugins.records["second"].state is PluginState.ERRORED
    assert "already registered by plugin 'first'" in studio.plugins.records["second"].error


def test_wrong_spec_type_is_reported(studio_factory):
    plugin = make_plugin("wrongtype", studio_register_views=lambda register: register("not a spec"))
    studio = studio_factory([("wrongtype", plugin)])
    assert "expected a ViewSpec" in studio.plugins.records["wrongtype"].error


@pytest.mark.parametrize(
    ("environ", "safe_mode", "expected_reason"),
    [
        ({"HAFS_STUDIO_PLUGINS": "workbench,themes"}, False, "not in HAFS_STUDIO_PLUGINS"),
        ({"HAFS_STUDIO_DISABLE_PLUGINS": "extra"}, False, "listed in HAFS_STUDIO_DISABLE_PLUGINS"),
        ({}, True, "safe mode"),
    ],
)
def test_switches_disable_plugins(studio_home, environ, safe_mode, expected_reason):
    bus = EventBus()
    extra = _command_plugin("extra", "extra.cmd")
    manager = PluginManager(
        bus,
        builtins=BUILTIN_PLUGINS,
        load_entry_points=False,
        environ=environ,
        safe_mode=safe_mode,
        extra_plugins=[("extra", extra)],
    )
    manager.discover()
    record = manager.records["extra"]
    assert record.state is PluginState.DISABLED
    assert expected_reason in record.reason


def test_user_choice_persists_and_applies_next_start(studio_home):
    extra = _command_plugin("extra", "extra.cmd")
    studio = make_studio(studio_home, [("extra", extra)])
    studio.plugins.set_enabled("extra", False)
    studio.shutdown()
    restarted = make_studio(studio_home, [("extra", extra)])
    assert restarted.plugins.records["extra"].state is PluginState.DISABLED
    assert restarted.plugins.records["extra"].reason == "disabled by you"
    assert "extra.cmd" not in restarted.commands
    restarted.shutdown()


def test_damaged_user_choices_file_is_kept_and_reported(tmp_path):
    path = tmp_path / "plugins.json"
    path.write_text("{not json")
    choices = UserPluginChoices(path)
    assert choices.disabled == set()
    assert "unreadable" in choices.problem
    assert (tmp_path / "plugins.json.bak").read_text() == "{not json"


def test_crash_guard_names_the_plugin_that_was_loading(studio_home, tmp_path):
    guard = tmp_path / "plugin-guard.json"
    # What a hard crash leaves behind: the guard of a process that no longer exists.
    guard.write_bytes(orjson.dumps({"plugin": "crashy", "phase": "load", "pid": 2**22 + 12345}))
    manager = PluginManager(
        EventBus(), guard_file=guard, builtins=(), load_entry_points=False, environ={}
    )
    assert manager.crash_report is not None
    assert (manager.crash_report.plugin, manager.crash_report.phase) == ("crashy", "load")
    assert not guard.exists()


def test_guard_names_a_plugin_only_while_it_runs(studio_home, tmp_path):
    guard = tmp_path / "guard.json"
    observed = []

    def register_views(register):
        observed.append(orjson.loads(guard.read_bytes()))

    plugin = make_plugin("watched", studio_register_views=register_views)
    manager = PluginManager(
        EventBus(),
        guard_file=guard,
        builtins=(),
        load_entry_points=False,
        environ={},
        extra_plugins=[("watched", plugin)],
    )
    manager.discover()
    manager.load_all()
    manager.call_register("studio_register_views", lambda plugin, spec: None)
    assert observed[0]["plugin"] == "watched"
    assert observed[0]["phase"] == "activate"
    assert guard.read_bytes() == b""  # between plugins: nobody to blame
    manager.close_guard()
    assert not guard.exists()


def test_an_empty_guard_left_by_a_crash_blames_no_plugin(tmp_path):
    guard = tmp_path / "plugin-guard.json"
    guard.write_bytes(b"")
    manager = PluginManager(
        EventBus(), guard_file=guard, builtins=(), load_entry_points=False, environ={}
    )
    assert manager.crash_report is None
    assert not guard.exists()


def test_a_started_studio_leaves_no_guard_file(studio):
    assert not studio.paths.plugin_guard_file.exists()


def test_guard_marks_plugin_errored_on_factory_failure(studio_factory):
    def factory(context):
        raise ValueError("factory broke")

    plugin = make_plugin(
        "viewer",
        studio_register_views=lambda register: register(ViewSpec("viewer.main", "V", factory)),
    )
    studio = studio_factory([("viewer", plugin)])
    spec = studio.contributions.views["viewer.main"]
    assert studio.plugins.guard(spec.plugin, "view viewer.main", spec.factory, None) is None
    record = studio.plugins.records["viewer"]
    assert record.state is PluginState.ERRORED
    assert "factory broke" in record.error


def test_subscriber_failures_are_attributed_to_the_plugin(studio_factory):
    def startup(studio):
        studio.bus.subscribe("demo.topic", lambda event: 1 / 0, thread="publisher")

    plugin = make_plugin("noisy", studio_startup=startup)
    sys.modules[plugin.__name__] = plugin
    try:
        studio = studio_factory([("noisy", plugin)])
        from studio.core.events import Message

        studio.bus.publish(Message(name="x"), topic="demo.topic")
        record = studio.plugins.records["noisy"]
        assert any("ZeroDivisionError" in w for w in record.warnings)
    finally:
        del sys.modules[plugin.__name__]


def test_lifecycle_hooks_run_once(studio_factory):
    calls = []
    plugin = make_plugin(
        "life",
        studio_startup=lambda studio: calls.append("startup"),
        studio_shutdown=lambda studio: calls.append("shutdown"),
    )
    studio = studio_factory([("life", plugin)])
    studio.shutdown()
    studio.shutdown()
    assert calls == ["startup", "shutdown"]


def test_make_plugin_rejects_misnamed_hooks_and_the_studio_rejects_unknown_ones(studio_factory):
    with pytest.raises(ValueError, match="hook names start with 'studio_'"):
        make_plugin("x", register_everything=lambda register: None)
    plugin = make_plugin("x", studio_register_everything=lambda register: None)
    record = studio_factory([("x", plugin)]).plugins.records["x"]
    assert record.state is PluginState.ERRORED
    assert "unknown hook(s) studio_register_everything" in record.error
