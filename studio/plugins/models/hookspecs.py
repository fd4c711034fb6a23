"""Hooks the Models plugin offers to other plugins (declared through ``studio_add_hookspecs``).

Implement them in your plugin's ``plugin.py`` and list ``"models"`` in your ``OPTIONAL`` (your
plugin works without Models) or ``REQUIRES`` (it does not)::

    OPTIONAL = ("models",)

    @hookimpl
    def studio_register_model_actions(register):
        register(ModelActionSpec("deploy.deploy-model", group="deploy", order=10))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from studio.api import hookspec

if TYPE_CHECKING:
    from studio.api import Studio
    from studio.plugins.models.api import ModelActionSpec


@hookspec
def studio_register_model_actions(
    register: Callable[[ModelActionSpec], None], studio: Studio
) -> None:
    """Offer commands on a model: ``register(ModelActionSpec(command_id, group, order, applies))``.

    Fires when the Models plugin starts (and again for a plugin enabled later). Each action
    names a command registered with ``CommandSpec(..., selection="model")``: the Models list's
    context menu, its More menu and the details view's Actions menu show it (title, icon and
    enablement from the command), and running it hands the command the model ids it was invoked
    on. ``applies(entry)`` hides the action for models it makes no sense for.
    """
