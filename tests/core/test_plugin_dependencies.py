"""REQUIRES / OPTIONAL: dependency order, unmet requirements, cycles, essential plugins."""

from __future__ import annotations

import pytest

from studio.core.contributions import CommandSpec, ViewSpec
from studio.core.plugin_graph import dependency_order
from studio.core.plugins import PluginState
from studio.testing import BUILTIN_PLUGINS, make_plugin, make_studio


def _recording_plugin(name, calls, **kwargs):
    def register_commands(register):
        calls.append(name)
        register(CommandSpec(f"{name}.hello", "Hello", lambda: name))

    return make_plugin(name, studio_register_commands=register_commands, **kwargs)


def test_activation_follows_requirements_and_keeps_discovery_order_for_ties(studio_factory):
    calls: list[str] = []
    deploy = _recording_plugin("deploy", calls, requires=("models",), optional=("logs",))
    plain = _recording_plugin("plain", calls)
    logs = _recording_plugin("logs", calls)
    models = _recording_plugin("models", calls)
    studio = studio_factory([("deploy", deploy), ("plain", plain), ("logs", logs),
                             ("models", models)])
    assert calls == ["plain", "logs", "models", "deploy"]
    assert studio.plugins.order == ["plain", "logs", "models", "deploy"]
    assert studio.plugins.records["deploy"].state is PluginState.ACTIVE


def test_missing_requirement_disables_with_the_reason_and_registers_nothing(studio_factory):
    calls: list[str] = []
    deploy = _recording_plugin("deploy", calls, requires=("models",))
    studio = studio_factory([("deploy", deploy)])
    record = studio.plugins.records["deploy"]
    assert record.state is PluginState.DISABLED
    assert record.reason == "requires models, which is not installed"
    assert calls == [] and "deploy.hello" not in studio.commands
    assert record.as_dict()["requires"] == ["models"]


def test_disabled_requirement_disables_the_dependent_and_its_dependents(studio_home):
    calls: list[str] = []
    plugins = [("models", _recording_plugin("models", calls)),
               ("deploy", _recording_plugin("deploy", calls, requires=("models",))),
               ("agents", _recording_plugin("agents", calls, requires=("deploy",)))]
    studio = make_studio(studio_home, plugins,
                         environ={"HAFS_STUDIO_DISABLE_PLUGINS": "models"})
    try:
        records = studio.plugins.records
        assert records["deploy"].reason == "requires models, which is disabled"
        assert records["agents"].reason == "requires deploy, which is disabled"
        assert calls == []
    finally:
        studio.shutdown()


def test_requirement_that_fails_to_import_disables_the_dependent(studio_factory):
    from studio.core.plugins import PluginManager  # noqa: F401  (documents where it happens)

    broken = make_plugin("models")
    broken.REQUIRES = "logs"  # a plain string, not a tuple: a load error naming the field
    deploy = make_plugin("deploy", requires=("models",))
    studio = studio_factory([("models", broken), ("deploy", deploy)])
    assert studio.plugins.records["models"].state is PluginState.ERRORED
    assert "REQUIRES must be a tuple of plugin names" in studio.plugins.records["models"].error
    assert studio.plugins.records["deploy"].reason == "requires models, which failed to load"


def test_requirement_failing_during_activation_tears_the_dependent_down(studio_factory):
    def models_views(register):
        raise RuntimeError("views exploded")

    models = make_plugin("models", studio_register_views=models_views)
    calls: list[str] = []
    deploy = _recording_plugin("deploy", calls, requires=("models",))
    studio = studio_factory([("models", models), ("deploy", deploy)])
    # deploy registered its command (commands run before views), then lost it with models.
    assert calls == ["deploy"]
    assert "deploy.hello" not in studio.commands
    record = studio.plugins.records["deploy"]
    assert record.state is PluginState.DISABLED
    assert record.reason == ("requires models, which failed "
                             "(activate: studio_register_views)")


def test_requirement_failing_at_startup_never_starts_the_dependent(studio_factory):
    started: list[str] = []

    def models_startup(studio):
        raise RuntimeError("no registry")

    models = make_plugin("models", studio_startup=models_startup)
    deploy = make_plugin("deploy", requires=("models",),
                         studio_startup=lambda studio: started.append("deploy"),
                         studio_register_views=lambda register: register(
                             ViewSpec("deploy.main", "Deploy", lambda context: None)))
    studio = studio_factory([("deploy", deploy), ("models", models)])
    assert started == []
    assert "deploy.main" not in studio.contributions.views
    assert studio.plugins.records["deploy"].reason.startswith("requires models, which failed")


def test_a_cycle_errors_every_member_and_names_the_cycle(studio_factory):
    a = make_plugin("a", requires=("b",))
    b = make_plugin("b", requires=("c",))
    c = make_plugin("c", optional=("a",))
    d = make_plugin("d", requires=("a",))
    studio = studio_factory([("a", a), ("b", b), ("c", c), ("d", d)])
    records = studio.plugins.records
    for name in "abc":
        assert records[name].state is PluginState.ERRORED
        assert records[name].error.endswith("dependency cycle: a -> b -> c -> a")
    assert records["d"].reason == "requires a, which failed to load"


def test_optional_dependency_orders_when_present_and_is_fine_when_absent(studio_factory):
    calls: list[str] = []
    deploy = _recording_plugin("deploy", calls, optional=("logs",))
    studio = studio_factory([("deploy", deploy)])
    assert studio.plugins.records["deploy"].state is PluginState.ACTIVE
    assert calls == ["deploy"]


def test_dependency_order_is_stable_and_reports_self_cycles():
    order, cycles = dependency_order(["x", "a", "b"], {"a": ["a"], "b": ["x", "ghost"]})
    assert order == ["x", "b"]
    assert cycles == [["a", "a"]]


@pytest.mark.parametrize("switch", ["HAFS_STUDIO_DISABLE_PLUGINS", "HAFS_STUDIO_PLUGINS"])
def test_essential_plugins_ignore_switches_with_a_warning(studio_home, switch):
    value = "workbench" if switch == "HAFS_STUDIO_DISABLE_PLUGINS" else "themes"
    studio = make_studio(studio_home, builtins=BUILTIN_PLUGINS, environ={switch: value})
    try:
        record = studio.plugins.records["workbench"]
        assert record.state is PluginState.ACTIVE and record.essential
        assert any("cannot be disabled" in warning for warning in record.warnings)
        assert studio.settings.get("appearance", "theme")
    finally:
        studio.shutdown()


def test_an_essential_plugin_cannot_be_disabled_by_choice(studio):
    with pytest.raises(ValueError, match="essential"):
        studio.plugins.set_enabled("workbench", False)
    with pytest.raises(ValueError, match="essential"):
        studio.disable_plugin("workbench")


def test_the_testing_kit_builds_a_studio_with_a_missing_requirement(studio_factory):
    from studio.testing import builtins_without, make_contributor

    deploy = make_contributor("deploy", "studio_register_model_actions", requires=("models",))
    studio = studio_factory([("deploy", deploy)], builtins=builtins_without("models"))
    record = studio.plugins.records["deploy"]
    assert record.state is PluginState.DISABLED
    assert record.reason == "requires models, which is not installed"
    with pytest.raises(ValueError, match="not built-in"):
        builtins_without("nope")
