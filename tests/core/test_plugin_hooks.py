"""Plugin-owned hooks: studio_add_hookspecs, collect() tables, the unknown-hook rule."""

from __future__ import annotations

import types
from dataclasses import dataclass

import pytest

from studio.core.hookspecs import hookspec
from studio.core.plugins import PluginState
from studio.testing import make_plugin


@dataclass(frozen=True)
class BackendSpec:
    id: str
    title: str = ""
    plugin: str = ""


class DeployHooks:
    """The hookspec namespace the 'deploy' test plugin declares."""

    @staticmethod
    @hookspec
    def studio_register_deploy_backends(register, studio):
        """Register deploy backends."""


def _owner(tables: dict, **hooks):
    """A 'deploy' plugin that declares the hook and collects it at start-up."""

    def startup(studio):
        tables["backends"] = studio.plugins.collect("studio_register_deploy_backends",
                                                    BackendSpec)

    return make_plugin("deploy", hookspecs=DeployHooks, studio_startup=startup, **hooks)


def _contributor(name, *ids, requires=("deploy",), optional=()):
    def register_backends(register):
        for backend_id in ids:
            register(BackendSpec(backend_id, backend_id.title()))

    return make_plugin(name, requires=requires, optional=optional,
                       studio_register_deploy_backends=register_backends)


def test_collect_returns_stamped_contributions_in_activation_order(studio_factory):
    tables: dict = {}
    studio = studio_factory([("ollama", _contributor("ollama", "ollama")),
                             ("deploy", _owner(tables)),
                             ("llama", _contributor("llama", "llama.server", "llama.cli"))])
    backends = tables["backends"]
    assert [spec.id for spec in backends.items()] == ["ollama", "llama.server", "llama.cli"]
    assert backends.get("llama.cli").plugin == "llama"
    assert backends.owner == "deploy"
    assert studio.plugins.records["deploy"].hookspecs == ("studio_register_deploy_backends",)
    with pytest.raises(KeyError, match="no contribution 'nope' to studio_register_deploy"):
        backends.get("nope")


@pytest.mark.parametrize(("bad", "message"), [
    (lambda register: 1 / 0, "ZeroDivisionError"),
    (lambda register: register("not a spec"), "expected a BackendSpec, got str"),
    (lambda register: register(BackendSpec("ollama")), "'ollama' is already registered by "
                                                        "plugin 'ollama'"),
])
def test_a_failing_contributor_is_errored_alone(studio_factory, bad, message):
    tables: dict = {}
    broken = make_plugin("broken", requires=("deploy",), studio_register_deploy_backends=bad)
    studio = studio_factory([("deploy", _owner(tables)), ("ollama", _contributor("ollama",
                                                                                  "ollama")),
                             ("broken", broken)])
    assert [spec.id for spec in tables["backends"]] == ["ollama"]
    record = studio.plugins.records["broken"]
    assert record.state is PluginState.ERRORED and message in record.error
    assert studio.plugins.records["deploy"].state is PluginState.ACTIVE


def test_the_table_shrinks_on_teardown_and_grows_on_live_enable(studio_factory):
    tables: dict = {}
    studio = studio_factory([("deploy", _owner(tables)),
                             ("ollama", _contributor("ollama", "ollama"))])
    backends = tables["backends"]
    changes: list[list[str]] = []
    backends.subscribe(lambda: changes.append(backends.ids()))
    studio.disable_plugin("ollama")
    assert changes == [[]]
    studio.enable_plugin("ollama")
    assert changes == [[], ["ollama"]]
    assert backends.get("ollama").plugin == "ollama"


def test_the_owner_torn_down_closes_its_table_and_disables_requirers(studio_factory):
    tables: dict = {}
    studio = studio_factory([("deploy", _owner(tables)),
                             ("ollama", _contributor("ollama", "ollama")),
                             ("soft", _contributor("soft", "soft", requires=(),
                                                   optional=("deploy",)))])
    backends = tables["backends"]
    studio.disable_plugin("deploy")
    assert backends.closed and len(backends) == 0
    assert studio.plugins.records["ollama"].reason == "requires deploy, which is disabled"
    assert studio.plugins.records["soft"].state is PluginState.ACTIVE  # optional: keeps going


def test_implementing_an_undeclared_hook_is_an_error_unless_its_owner_is_optional(
        studio_factory):
    typo = make_plugin("typo", studio_register_deploy_backend=lambda register: None)
    hopeful = make_plugin("hopeful", optional=("deploy",),
                          studio_register_deploy_backends=lambda register: None)
    studio = studio_factory([("typo", typo), ("hopeful", hopeful)])
    typo_record = studio.plugins.records["typo"]
    assert typo_record.state is PluginState.ERRORED
    assert "unknown hook(s) studio_register_deploy_backend" in typo_record.error
    hopeful_record = studio.plugins.records["hopeful"]
    assert hopeful_record.state is PluginState.ACTIVE
    assert any("optional deploy absent" in w for w in hopeful_record.warnings)


def test_an_implementation_asking_for_arguments_the_spec_lacks_is_errored(studio_factory):
    tables: dict = {}
    wrong = make_plugin("wrong", requires=("deploy",),
                        studio_register_deploy_backends=lambda register, window: None)
    studio = studio_factory([("wrong", wrong), ("deploy", _owner(tables))])
    record = studio.plugins.records["wrong"]
    assert record.state is PluginState.ERRORED
    assert "argument(s) window are not in the hook's specification" in record.error


def test_collecting_a_core_or_unknown_hook_is_refused(studio):
    with pytest.raises(ValueError, match="not a plugin-declared hook"):
        studio.plugins.collect("studio_register_views", BackendSpec)
    with pytest.raises(ValueError, match="not a plugin-declared hook"):
        studio.plugins.collect("studio_register_nothing", BackendSpec)


def test_two_plugins_cannot_declare_the_same_hook(studio_factory):
    first = make_plugin("first", hookspecs=DeployHooks)
    second = make_plugin("second", hookspecs=DeployHooks)
    studio = studio_factory([("first", first), ("second", second)])
    assert studio.plugins.records["first"].state is PluginState.ACTIVE
    assert "already declared by first" in studio.plugins.records["second"].error


def test_a_hookspec_module_without_hookspecs_is_a_load_error(studio_factory):
    empty = make_plugin("empty", hookspecs=types.SimpleNamespace())
    studio = studio_factory([("empty", empty)])
    record = studio.plugins.records["empty"]
    assert record.state is PluginState.ERRORED
    assert record.error_phase == "load: studio_add_hookspecs"
    assert "no hook specifications" in record.error
