"""One teardown: a plugin errored at any phase, or disabled live, leaves nothing behind."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import pytest

from studio.core.contributions import (
    CommandSpec,
    DashboardCardSpec,
    SettingField,
    SettingsSectionSpec,
    ViewSpec,
)
from studio.core.events import Message
from studio.core.hookspecs import hookspec
from studio.core.plugin_records import ContributionsChanged
from studio.core.plugins import PluginState
from studio.core.services import ServiceUnavailableError
from studio.testing import BusSpy, make_plugin, make_studio


@dataclass(frozen=True)
class ActionSpec:
    id: str
    plugin: str = ""


class OwnerHooks:
    @staticmethod
    @hookspec
    def studio_register_test_actions(register):
        """Actions for the owner."""


class ClosingService:
    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


PHASES = ("load", "activate", "startup", "factory")


def _doomed_plugin(phase: str, service: ClosingService, received: list):
    """A plugin that owns one of everything, and raises in ``phase``."""

    def fail(where):
        if where == phase:
            raise RuntimeError(f"broken in {where}")

    def add_hookspecs(add):
        fail("load")

    def register_commands(register):
        register(CommandSpec("doomed.run", "Run", lambda: None))

    def register_settings(register):
        register(SettingsSectionSpec("doomed", "Doomed", (SettingField("x", "int", 1),)))

    def register_views(register):
        register(ViewSpec("doomed.view", "Doomed", lambda context: fail("factory")))

    def register_cards(register):
        register(DashboardCardSpec("doomed.card", "Doomed", lambda context: None))
        fail("activate")

    def register_actions(register):
        register(ActionSpec("doomed.action"))

    def startup(studio):
        studio.bus.subscribe("demo.topic", received.append)
        studio.services.provide("doomed", service, owner="doomed")
        fail("startup")

    return make_plugin(
        "doomed", optional=("owner",), studio_add_hookspecs=add_hookspecs,
        studio_register_commands=register_commands, studio_register_settings=register_settings,
        studio_register_views=register_views, studio_register_dashboard_cards=register_cards,
        studio_register_test_actions=register_actions, studio_startup=startup,
    )


def _owner_plugin(tables: dict):
    def startup(studio):
        tables["actions"] = studio.plugins.collect("studio_register_test_actions", ActionSpec)

    return make_plugin("owner", hookspecs=OwnerHooks, studio_startup=startup)


@pytest.mark.parametrize("phase", PHASES)
def test_everything_a_plugin_owns_is_released_whatever_phase_it_fails_in(studio_home, phase):
    service, received, released, tables = ClosingService(), [], [], {}
    plugins = [("owner", _owner_plugin(tables)),
               ("doomed", _doomed_plugin(phase, service, received))]
    studio = make_studio(studio_home, plugins, start=False)
    studio.plugins.on_teardown(released.append)
    spy = BusSpy(studio.bus, "plugins.*")
    studio.start()
    if phase == "factory":
        assert studio.plugins.records["doomed"].state is PluginState.ACTIVE
        assert "doomed.action" in tables["actions"]
        spec = studio.contributions.views["doomed.view"]
        assert studio.plugins.guard(spec.plugin, "view doomed.view", spec.factory, None) is None
    try:
        record = studio.plugins.records["doomed"]
        assert record.state is PluginState.ERRORED and f"broken in {phase}" in record.error
        assert released == ["doomed"]
        assert "doomed.run" not in studio.commands
        assert "doomed" not in studio.settings.sections
        assert "doomed.view" not in studio.contributions.views
        assert "doomed.card" not in studio.contributions.cards
        assert "doomed.action" not in tables["actions"]
        assert not [s for s in studio.bus.subscriptions() if s.owner == "doomed"]
        studio.bus.publish(Message(name="x"), topic="demo.topic")
        assert received == []
        with pytest.raises(ServiceUnavailableError):
            studio.services.get("doomed")
        assert service.closed == (1 if phase in ("startup", "factory") else 0)
        assert not studio.plugins.pm.is_registered(record.obj)
        if phase == "factory":  # the shell learns that something it shows went away
            assert ContributionsChanged(plugin="doomed", added=False) in spy.of_type(
                ContributionsChanged)
    finally:
        spy.close()
        studio.shutdown()


def test_a_failed_import_releases_what_the_import_subscribed(studio_factory, tmp_path,
                                                             monkeypatch):
    # Real modules on disk: the plugin subscribes to the bus while importing, then fails.
    (tmp_path / "studio_handle_for_test.py").write_text("studio = None\n")
    (tmp_path / "half_imported_plugin.py").write_text(
        "import studio_handle_for_test as handle\n"
        "handle.studio.bus.subscribe('demo.topic', print)\n"
        "raise ImportError('missing dependency')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import studio_handle_for_test as handle

    try:
        studio = studio_factory(builtins=[("half", "half_imported_plugin")], start=False)
        handle.studio = studio
        studio.start()
        record = studio.plugins.records["half"]
        assert record.state is PluginState.ERRORED and record.error_phase == "load"
        assert "missing dependency" in record.error
        assert not [s for s in studio.bus.subscriptions() if s.owner == "half"]
    finally:
        sys.modules.pop("studio_handle_for_test", None)
        sys.modules.pop("half_imported_plugin", None)


def test_a_listener_that_raises_does_not_stop_the_others(studio_factory):
    def startup(studio):
        raise RuntimeError("nope")

    studio = studio_factory([("bad", make_plugin("bad", studio_startup=startup))], start=False)
    seen: list[str] = []
    studio.plugins.on_teardown(lambda name: 1 / 0)
    remove = studio.plugins.on_teardown(seen.append)
    studio.start()
    assert seen == ["bad"]
    remove()
    studio.disable_plugin("bad") if studio.plugins.records["bad"].state.live else None
    assert seen == ["bad"]


def test_disabling_live_stops_the_plugin_and_its_dependents_first(studio_factory):
    events: list[str] = []

    def plugin(name, **kwargs):
        return make_plugin(
            name,
            studio_startup=lambda studio: events.append(f"start {name}"),
            studio_shutdown=lambda studio: events.append(f"stop {name}"),
            studio_register_commands=lambda register: register(
                CommandSpec(f"{name}.run", "Run", lambda: None)),
            **kwargs)

    studio = studio_factory([("models", plugin("models")),
                             ("deploy", plugin("deploy", requires=("models",))),
                             ("agents", plugin("agents", requires=("deploy",)))])
    events.clear()
    toggle = studio.disable_plugin("models")
    assert (toggle.applied and toggle.affected == ("deploy", "agents")) or set(
        toggle.affected) == {"deploy", "agents"}
    assert events == ["stop agents", "stop deploy", "stop models"]
    assert not [c for c in studio.commands.ids() if c.split(".")[0] in ("models", "deploy",
                                                                        "agents")]
    records = studio.plugins.records
    assert records["models"].reason == "disabled by you"
    assert records["deploy"].reason == "requires models, which is disabled"
    assert records["agents"].reason == "requires deploy, which is disabled"

    events.clear()
    toggle = studio.enable_plugin("models")
    assert toggle.applied and set(toggle.affected) == {"deploy", "agents"}
    assert events == ["start models", "start deploy", "start agents"]
    assert {"models.run", "deploy.run", "agents.run"} <= set(studio.commands.ids())
    assert all(records[n].state is PluginState.ACTIVE for n in ("models", "deploy", "agents"))


def test_a_plugin_disabled_at_start_is_imported_and_started_when_enabled_live(studio_home):
    started: list[str] = []
    late = make_plugin("late", studio_startup=lambda studio: started.append("late"),
                       studio_register_views=lambda register: register(
                           ViewSpec("late.view", "Late", lambda context: None)))
    first = make_studio(studio_home, [("late", late)])
    first.disable_plugin("late")
    first.shutdown()
    started.clear()
    studio = make_studio(studio_home, [("late", late)])
    try:
        assert studio.plugins.records["late"].reason == "disabled by you"
        spy = BusSpy(studio.bus, ContributionsChanged.topic)
        toggle = studio.enable_plugin("late")
        assert toggle.applied and started == ["late"]
        assert "late.view" in studio.contributions.views
        assert spy.of_type(ContributionsChanged) == [ContributionsChanged("late", added=True)]
    finally:
        studio.shutdown()


def test_a_plugin_contributing_themes_waits_for_a_restart(studio_factory):
    from studio.core.contributions import ThemeSpec

    themed = make_plugin("themed", studio_register_themes=lambda register: register(
        ThemeSpec("themed-dark", "Themed", {"background": "#000000"})))
    studio = studio_factory([("themed", themed)])
    toggle = studio.disable_plugin("themed")
    assert not toggle.applied
    assert "studio_register_themes" in toggle.restart_reason
    assert studio.plugins.records["themed"].state is PluginState.ACTIVE
    assert studio.plugins.user_choices.disabled == {"themed"}
