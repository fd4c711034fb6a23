"""Menus made of command ids: one CommandSpec is a palette row, a menu entry and a context-menu
entry, with the same title, icon, shortcut and enablement everywhere.

A context menu passes the rows it was opened on as the command's selection, so the command acts
on them rather than on the current selection.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from studio.shell.icons import icon

__all__ = ["add_command_actions"]


def add_command_actions(
    menu: QMenu,
    context: Any,
    command_ids: Iterable[str],
    selection: Iterable[str] | None = None,
) -> list[QAction]:
    """Append one action per registered command id to ``menu``; return them.

    ``context`` is a :class:`~studio.shell.api.ViewContext` (anything with ``studio`` and
    ``run_command``). Ids of commands that are not registered (their plugin is disabled) are
    skipped. Each action is enabled as the registry says for ``selection`` and runs the command
    on ``selection`` (None: on the current selection).
    """
    commands = context.studio.commands
    chosen = None if selection is None else tuple(selection)
    added = []
    for command_id in command_ids:
        if command_id not in commands:
            continue
        spec = commands.get(command_id)
        action = QAction(spec.title, menu)
        action.setObjectName(f"command:{command_id}")
        if spec.icon:
            action.setIcon(icon(spec.icon))
        shortcut = commands.shortcut(command_id)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutVisibleInContextMenu(True)
        action.setToolTip(spec.description or spec.title)
        action.setEnabled(commands.is_enabled(command_id, chosen))
        action.triggered.connect(
            lambda _checked=False, cid=command_id: context.run_command(cid, selection=chosen))
        menu.addAction(action)
        added.append(action)
    return added
