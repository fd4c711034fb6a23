"""The plugin's wiring: declarations, settings, views, commands, service, CLI, doctor."""

from __future__ import annotations

import pytest

from studio.core.plugins import BUILTIN_PLUGINS
from studio.plugins.deploy import plugin


def test_declared_after_models_and_requires_it():
    names = [name for name, _ in BUILTIN_PLUGINS]
    assert names.index("deploy") > names.index("models")
    assert plugin.REQUIRES == ("models",)


def test_registers_service_views_commands_settings_and_cli(studio_factory):
    studio = studio_factory(builtins=BUILTIN_PLUGINS)
    manager = studio.services.get("deploy")
    assert manager.backends.ids() == ["llama.cpp", "server", "ollama", "ct2", "node"]
    assert {b.plugin for b in manager.backends.items()} == {"deploy"}
    assert {"deploy.pipeline", "deploy.chat", "deploy.deployments", "deploy.prompts"} <= set(
        studio.contributions.views)
    assert all("deploy" in studio.contributions.views[v].workspaces
               for v in ("deploy.pipeline", "deploy.chat"))
    assert {c.id for c in studio.commands.all() if c.id.startswith("deploy.")} == {
        "deploy.open", "deploy.chat", "deploy.prompt-sets", "deploy.deployments",
        "deploy.deploy-model", "deploy.test-model"}
    assert studio.plugins.records["deploy"].hookspecs  # declares its backends hook
    assert studio.settings.get("deploy", "ollama_url") == "http://127.0.0.1:11434"
    with pytest.raises(ValueError, match="http:// or https://"):
        studio.settings.set("deploy", "ollama_url", "file:///etc/passwd")
    assert {"deploy", "deployments", "serve", "test"} <= set(studio.register_cli())
    studio.shutdown()
    assert not studio.services.has("deploy")


def test_doctor_says_which_backends_are_ready(studio_factory):
    from studio.cli.doctor import collect

    checks = collect(studio_factory(builtins=BUILTIN_PLUGINS))["checks"]
    assert checks["deploy: llama.cpp (in-process)"]["ok"]
    assert "llama-cpp-python" in checks["deploy: llama.cpp (in-process)"]["detail"]
    assert checks["deploy: CTranslate2"]["ok"]
    assert "deploy: Ollama" in checks
