"""The hook implementations of Hello Studio: what it adds to HAFS Studio.

The studio imports this module (the entry point's value), then calls each ``studio_register_*``
hook once with a ``register`` callable, then ``studio_startup``. Everything Qt is imported inside
the factories, so the CLI and ``plugins list`` never load a widget.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hello_studio.greeting import Greeted, make_greeting, settings_section
from studio.api import (
    CliCommandSpec,
    CommandContext,
    CommandSpec,
    DashboardCardSpec,
    SettingsSectionSpec,
    ViewSpec,
    hookimpl,
)
from studio.shell.api import current_shell  # Qt-free: only the shell's handle, if any

if TYPE_CHECKING:
    from studio.api import Studio

# With the Models plugin, "Greet Model" is offered on models (its context menu, its More menu,
# the details' Actions menu); without it, Hello works as well (a soft dependency).
OPTIONAL = ("models",)
GREET_MODEL_COMMAND = "hello.greet-model"

GREET_COMMAND = "hello.greet"
VIEW_ID = "hello.main"


@hookimpl
def studio_register_settings(register: Callable[[SettingsSectionSpec], None]) -> None:
    register(settings_section())


@hookimpl
def studio_register_commands(register: Callable[[CommandSpec], None], studio: Studio) -> None:
    # Every command is in the palette (Ctrl+Shift+P) as "Hello: Greet"; `menu` adds it to a
    # menu too, and users may rebind the shortcut in keybindings.conf. The handler closes over
    # this studio: nothing of a running studio is kept in a module global (two studios in one
    # process, as in tests, share nothing).
    register(CommandSpec(
        GREET_COMMAND, "Greet", lambda: greet(studio), shortcut="Ctrl+Alt+H", category="Hello",
        icon="mdi6.hand-wave-outline", menu="Help",
        description="Show the Hello greeting in the status bar and publish hello.greeted",
    ))
    # One command acting on the selected model: the palette uses the current selection, a
    # context menu the rows it was opened on (see docs/plugins.md, "Commands on a selection").
    register(CommandSpec(
        GREET_MODEL_COMMAND, "Greet Model", greet_model, category="Hello",
        icon="mdi6.hand-wave-outline", selection="model",
        description="Greet the selected model in the status bar",
    ))


@hookimpl
def studio_register_model_actions(register: Callable[[Any], None]) -> None:
    # Called by the Models plugin (its own hook, studio/plugins/models/hookspecs.py); only
    # other plugins' `api` modules may be imported, and only where they run.
    from studio.plugins.models.api import ModelActionSpec

    register(ModelActionSpec(GREET_MODEL_COMMAND, group="hello", order=90))


@hookimpl
def studio_register_views(register: Callable[[ViewSpec], None]) -> None:
    register(ViewSpec(
        VIEW_ID, "Hello", _hello_view, icon="mdi6.hand-wave-outline", area="right",
        workspaces=("dashboard", "analysis"),
        description="A greeting and a live count of event-bus traffic by topic",
    ))


@hookimpl
def studio_register_dashboard_cards(register: Callable[[DashboardCardSpec], None]) -> None:
    register(DashboardCardSpec("hello.card", "Hello", _hello_card, order=90))


@hookimpl
def studio_register_cli(register: Callable[[CliCommandSpec], None]) -> None:
    from hello_studio.cli import app  # typer is loaded only when the CLI starts

    register(CliCommandSpec("hello", app, help="Commands of the Hello example plugin."))


def greet(studio: Studio) -> str:
    """Handler of ``hello.greet``: publish the greeting and show it in the window, if any."""
    text = make_greeting(studio.settings, studio.context.path)
    studio.bus.publish(Greeted(text=text))
    shell = current_shell()
    if shell is not None:
        shell.post_message(text)
    return text


def greet_model(context: CommandContext) -> str:
    """Handler of ``hello.greet-model``: greet the model(s) it was run on."""
    text = f"Hello, {', '.join(context.selection)}!"
    shell = current_shell()
    if shell is not None:
        shell.post_message(text)
    return text


def _hello_view(context: Any) -> Any:
    from hello_studio.widgets.hello_view import HelloView

    return HelloView(context)


def _hello_card(context: Any) -> Any:
    from hello_studio.widgets.card import HelloCard

    return HelloCard(context)
