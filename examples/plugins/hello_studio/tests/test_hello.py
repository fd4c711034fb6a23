"""Tests of the Hello plugin written with the studio's pytest fixtures (see docs/plugins.md).

``studio_factory`` builds a studio in a private folder that loads only the plugins named here
(never what else is installed); ``studio_shell`` opens its window offscreen.
"""

from __future__ import annotations

import hello_studio.plugin as hello
import pytest
from hello_studio.greeting import Greeted

from studio.api import PluginState, SettingsError
from studio.testing import BUILTIN_PLUGINS, BusSpy


@pytest.fixture
def studio(studio_factory):
    """Override the kit's ``studio``: the built-ins plus this plugin (studio_shell uses it)."""
    return studio_factory(plugins=[("hello_studio", hello)], builtins=BUILTIN_PLUGINS)


def test_registers_its_contributions(studio):
    assert studio.plugins.records["hello_studio"].state is PluginState.ACTIVE
    assert studio.commands.shortcut("hello.greet") == "Ctrl+Alt+H"
    assert "hello.main" in studio.contributions.views
    assert "hello.card" in studio.contributions.cards
    assert studio.settings.get("hello", "top_topics") == 8


def test_greet_model_acts_on_the_selected_model_and_is_a_model_action(studio):
    from studio.plugins.models.api import model_actions

    assert studio.commands.execute("hello.greet-model", selection=["qwen-asm"]) == (
        "Hello, qwen-asm!")
    studio.selection.set("model", "yaze-helper")  # what the Models list does
    assert studio.commands.execute("hello.greet-model") == "Hello, yaze-helper!"
    assert "hello.greet-model" in [a.command_id for a in model_actions(studio)]


def test_works_without_models(studio_factory):
    from studio.testing import builtins_without

    studio = studio_factory(plugins=[("hello_studio", hello)],
                            builtins=builtins_without("models"))
    record = studio.plugins.records["hello_studio"]
    assert record.state is PluginState.ACTIVE  # models is only OPTIONAL
    assert any("optional models absent" in warning for warning in record.warnings)


def test_greet_publishes_the_configured_greeting(studio):
    studio.settings.set("hello", "name", "Ada")
    spy = BusSpy(studio.bus, Greeted.topic)
    text = studio.commands.execute("hello.greet")
    assert text.startswith("Hello, Ada!")
    assert [event.text for event in spy.of_type(Greeted)] == [text]


@pytest.mark.parametrize("bad", ["", "Hi {nmae}", "Hi {name", "x" * 500])
def test_invalid_greetings_are_rejected(studio, bad):
    with pytest.raises(SettingsError):
        studio.settings.set("hello", "greeting", bad)


def test_dock_shows_greeting_and_live_topics(studio_shell, qtbot):
    window = studio_shell.main_window
    dock = window.docks["hello.main"]
    assert dock.isVisible()  # part of the Dashboard workspace's default layout
    view = dock.materialize()
    studio_shell.studio.settings.set("hello", "greeting", "Hi {name}")
    studio_shell.run_command("hello.greet")
    qtbot.waitUntil(lambda: view.greeting.text().startswith("Hi "))
    qtbot.waitUntil(lambda: any(
        view.table.topLevelItem(i).text(0) == "hello.greeted"
        for i in range(view.table.topLevelItemCount())
    ))
