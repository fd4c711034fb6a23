"""The spec of an action on a model (re-exported by :mod:`studio.plugins.models.api`).

Kept apart so that the Models plugin can collect the actions when it starts without importing
the registry code (start-up time).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from studio.plugins.models.schema import ModelEntry

__all__ = ["ModelActionSpec"]


@dataclass(frozen=True)
class ModelActionSpec:
    """A command offered on a model: in the Models list's context and More menus and the
    details view's Actions menu (registered through ``studio_register_model_actions``).

    ``command_id`` names a command registered with ``CommandSpec(..., selection="model")``;
    its title, icon, shortcut and ``enabled_when`` are used, and it receives the model ids the
    menu was opened on. Actions are sorted by ``order`` and separated by ``group``.
    ``applies(entry)`` hides the action for models it does not fit (a predicate that raises
    hides it too).
    """

    command_id: str
    group: str = ""
    order: int = 100
    applies: Callable[[ModelEntry], bool] | None = None
    plugin: str = ""

    @property
    def id(self) -> str:
        return self.command_id

    def applies_to(self, entry: ModelEntry) -> bool:
        try:
            return self.applies is None or bool(self.applies(entry))
        except Exception:  # a plugin's predicate must not break the menu
            return False
