"""The Deploy plugin's hook implementations: service, settings, views, commands, CLI, its own
hook ``studio_register_deploy_backends`` (see :mod:`.hookspecs`) and the "Deploy…"/"Test…"
actions it offers on models (the Models plugin's ``studio_register_model_actions``).

Hooks only, and no Qt: the CLI loads this module too. The per-studio
:class:`~studio.plugins.deploy.manager.DeployManager` is created at start-up and published as
the ``deploy`` service; widgets are imported by the view factories when first shown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from studio.api import (
    CliCommandSpec,
    CommandContext,
    CommandSpec,
    SettingField,
    SettingsSectionSpec,
    ViewSpec,
    hookimpl,
)
from studio.shell.api import lazy_widget

if TYPE_CHECKING:
    from studio.api import Studio
    from studio.plugins.deploy.backend import Backend
    from studio.plugins.models.api import ModelActionSpec

REQUIRES = ("models",)
OPTIONAL = ("logs",)  # the Deployments view opens server logs there when it is active

SETTINGS = "deploy"
PIPELINE_VIEW = "deploy.pipeline"
DEPLOYMENTS_VIEW = "deploy.deployments"
CHAT_VIEW = "deploy.chat"
PROMPTS_VIEW = "deploy.prompts"
BACKEND_IDS = ("llama.cpp", "server", "ollama", "ct2")
COMPUTE_TYPES = ("int8", "int8_float32", "float16", "float32")
DEFAULT_OLLAMA_URL = "http://127.0.0.1:11434"
NODE_SERVER_COMMAND = ("llama-server --host 127.0.0.1 --port {port} -m {model} -c {n_ctx} "
                       "-a {alias}")  # = backends.node.DEFAULT_SERVER_COMMAND (loads lazily)


def _validate_url(value: str) -> None:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ValueError("an http:// or https:// URL with a host, e.g. http://127.0.0.1:11434")


@hookimpl
def studio_register_settings(register: Callable[[SettingsSectionSpec], None]) -> None:
    from studio.plugins.models.api import QUANT_TYPES

    register(SettingsSectionSpec(SETTINGS, "Deploy", (
        SettingField("ollama_url", "str", DEFAULT_OLLAMA_URL, "Ollama URL",
                     "Where the Ollama server listens.", validate=_validate_url),
        SettingField("default_backend", "choice", "llama.cpp", "Default backend",
                     "Preselected in the Deploy panel.", choices=BACKEND_IDS),
        SettingField("default_quant", "choice", "Q4_K_M", "Default quantization",
                     "GGUF type the Deploy panel proposes.", choices=tuple(QUANT_TYPES)),
        SettingField("ct2_compute_type", "choice", "int8", "CTranslate2 compute type",
                     "int8 is smallest and fastest on CPU.", choices=COMPUTE_TYPES),
        SettingField("n_ctx", "int", 2048, "Context length (llama.cpp)",
                     "Tokens of context for in-process llama.cpp.", minimum=256,
                     maximum=131072),
        SettingField("n_threads", "int", 0, "CPU threads", "0: the backend decides.",
                     minimum=0, maximum=256),
        SettingField("max_tokens", "int", 256, "Max tokens per answer", minimum=1,
                     maximum=32768),
        SettingField("temperature", "float", 0.7, "Temperature", "0 is greedy decoding.",
                     minimum=0.0, maximum=5.0),
        SettingField("system_prompt", "str", "", "Default system prompt",
                     "Used by new chats; empty for none."),
        SettingField("node_server_command", "str", NODE_SERVER_COMMAND,
                     "Server command on remote nodes",
                     "Placeholders {port}, {model}, {n_ctx}, {alias}; e.g. python3 -m "
                     "llama_cpp.server --host 127.0.0.1 --port {port} --model {model}"),
        SettingField("node_models_dir", "str", "hafs-studio/models", "Model folder on nodes",
                     "Where GGUFs are uploaded (relative to the login folder)."),
    ), "Backends, generation defaults and the Ollama server."))


def _view(module: str, cls: str) -> Callable[[Any], Any]:
    return lazy_widget(f"studio.plugins.deploy.widgets.{module}", cls)


@hookimpl
def studio_register_views(register: Callable[[ViewSpec], None]) -> None:
    register(ViewSpec(PIPELINE_VIEW, "Deploy", _view("pipeline_view", "PipelineView"),
                      "mdi6.rocket-launch-outline", "left", ("deploy",),
                      "Deploy the selected model: format, quantization, backend"))
    register(ViewSpec(CHAT_VIEW, "Chat", _view("chat_view", "ChatView"),
                      "mdi6.chat-processing-outline", "right", ("deploy",),
                      "Chat with a deployment: streaming, tokens/s, time to first token"))
    register(ViewSpec(DEPLOYMENTS_VIEW, "Deployments",
                      _view("deployments_view", "DeploymentsView"), "mdi6.server-network",
                      "bottom", ("deploy",), "Running deployments: status, memory, stop"))
    register(ViewSpec(PROMPTS_VIEW, "Prompt Sets", _view("prompts_view", "PromptSetView"),
                      "mdi6.format-list-checks", "bottom", ("deploy",),
                      "Run a prompt set against deployments side by side"))


def _show(view_id: str) -> Callable[[], Any]:
    def handler() -> Any:
        from studio.plugins.deploy.widgets.actions import show_view

        return show_view(view_id)

    return handler


def _model_command(name: str, studio: Studio) -> Callable[[CommandContext], Any]:
    """A selection command calling ``widgets.actions.<name>(studio, model_id)`` (Qt on use)."""

    def handler(context: CommandContext) -> Any:
        from studio.plugins.deploy.widgets import actions

        return getattr(actions, name)(studio, context.first)

    return handler


def _has_gui(_context: CommandContext | None = None) -> bool:
    from studio.shell.api import current_shell

    return current_shell() is not None


@hookimpl
def studio_register_commands(register: Callable[[CommandSpec], None], studio: Studio) -> None:
    for command_id, title, view, icon, description in (
        ("deploy.open", "Deploy Model…", PIPELINE_VIEW, "mdi6.rocket-launch-outline",
         "Open the Deploy pipeline"),
        ("deploy.chat", "Chat with Deployment", CHAT_VIEW, "mdi6.chat-processing-outline",
         "Open the chat view"),
        ("deploy.prompt-sets", "Run Prompt Set…", PROMPTS_VIEW, "mdi6.format-list-checks",
         "Run a prompt set against deployments side by side"),
        ("deploy.deployments", "Show Deployments", DEPLOYMENTS_VIEW, "mdi6.server-network",
         "Current deployments with status, endpoint, uptime and memory"),
    ):
        register(CommandSpec(command_id, title, _show(view), None, "Deploy", icon,
                             "Deploy", description=description))
    # On a model (the Models list's menus, the palette with the selected model).
    for command_id, title, handler, icon, description in MODEL_COMMANDS:
        register(CommandSpec(command_id, title, _model_command(handler, studio), None,
                             "Deploy", icon, "Deploy", enabled_when=_has_gui,
                             description=description, selection="model"))


# (command, title, handler in widgets.actions, icon, description); offered on models.
MODEL_COMMANDS = (
    ("deploy.deploy-model", "Deploy…", "deploy_model", "mdi6.rocket-launch-outline",
     "Deploy the model: choose the quantization and backend"),
    ("deploy.test-model", "Test…", "test_model", "mdi6.flask-outline",
     "Chat with the model's deployment"),
)


@hookimpl
def studio_register_model_actions(register: Callable[[ModelActionSpec], None]) -> None:
    from studio.plugins.models.api import ModelActionSpec

    for order, (command_id, *_) in enumerate(MODEL_COMMANDS, start=70):  # after Models' own
        register(ModelActionSpec(command_id, group="deploy", order=order))


@hookimpl
def studio_add_hookspecs(add: Callable[[Any], None]) -> None:
    from studio.plugins.deploy import hookspecs

    add(hookspecs)


@hookimpl
def studio_register_deploy_backends(register: Callable[[Backend], None], studio: Studio) -> None:
    """The built-in backends register like any plugin's."""
    from studio.plugins.deploy.backends.ct2 import CTranslate2Backend
    from studio.plugins.deploy.backends.llama_inproc import LlamaCppBackend
    from studio.plugins.deploy.backends.llama_server import LlamaServerBackend
    from studio.plugins.deploy.backends.node import NodeBackend
    from studio.plugins.deploy.backends.ollama import OllamaBackend

    def llama_server_binary() -> Any:
        return studio.services.tools.locate("llama-server", read_version=False).path

    register(LlamaCppBackend())
    register(LlamaServerBackend(studio.services.process, llama_server_binary))
    register(OllamaBackend(lambda: str(studio.settings.get(SETTINGS, "ollama_url"))))
    register(CTranslate2Backend())
    register(NodeBackend(studio.services.remote, studio.paths.state / "logs" / "deploy",
                         lambda key: studio.settings.get(SETTINGS, key)))


@hookimpl
def studio_register_cli(register: Callable[[CliCommandSpec], None]) -> None:
    from studio.plugins.deploy import cli

    register(CliCommandSpec("deploy", cli.deploy_app, "Deploy a model on a backend."))
    register(CliCommandSpec("deployments", cli.deployments_app,
                            "List or stop deployments."))
    register(CliCommandSpec("serve", cli.serve_app,
                            "Serve a model over HTTP (OpenAI-compatible), in the foreground."))
    register(CliCommandSpec("test", cli.test_app, "Send a prompt or a prompt set to a model "
                            "and print tokens/s."))


@hookimpl
def studio_startup(studio: Studio) -> None:
    """Publish the ``deploy`` service; the studio closes it (engines, servers) at teardown."""
    from studio.plugins.deploy.api import SERVICE
    from studio.plugins.deploy.backend import Backend
    from studio.plugins.deploy.manager import DeployManager

    backends = studio.plugins.collect("studio_register_deploy_backends", Backend)
    studio.services.provide(SERVICE, DeployManager(
        studio.context, studio.paths.state, backends=backends, bus=studio.bus,
        jobs=studio.jobs), owner="deploy")
