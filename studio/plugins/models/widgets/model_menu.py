"""The menu of actions on a model, built from model actions and commands, never by hand.

The Models list's context menu, its More menu and the details view's Actions menu all come
from here: every registered :class:`~studio.plugins.models.api.ModelActionSpec` (the Models
plugin's own and other plugins') that applies to the model, grouped, each shown and run through
its command, which acts on that model.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtWidgets import QMenu

from studio.plugins.models.api import model_actions
from studio.plugins.models.schema import ModelEntry
from studio.shell.api import add_command_actions

__all__ = ["GENERAL_COMMANDS", "fill_model_menu"]

# Commands not about one model, offered at the end of the menus.
GENERAL_COMMANDS = ("models.inspect", "models.refresh")


def fill_model_menu(menu: QMenu, context: Any, entry: ModelEntry | None, *,
                    skip_groups: Iterable[str] = (),
                    general: Iterable[str] = GENERAL_COMMANDS) -> None:
    """Replace ``menu``'s items with the actions on ``entry`` (all, disabled, when None)."""
    menu.clear()
    skipped = set(skip_groups)
    selection = (entry["model_id"],) if entry is not None else ()
    group: str | None = None
    for action in model_actions(context.studio, entry):
        if action.group in skipped:
            continue
        if group is not None and action.group != group:
            menu.addSeparator()
        group = action.group
        add_command_actions(menu, context, [action.command_id], selection)
    general = tuple(general)
    if general:
        if not menu.isEmpty():
            menu.addSeparator()
        add_command_actions(menu, context, general)
