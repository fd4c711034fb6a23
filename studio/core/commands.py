"""One command registry behind menus, toolbar, shortcuts and the command palette.

Commands come from plugins (:class:`~studio.core.contributions.CommandSpec`). The user may
rebind any shortcut in ``keybindings.conf`` (one ``command.id = Ctrl+Shift+X`` per line,
``#``/``;`` comments, ``none`` to unbind). Problems in that file (unknown command, bad key,
two commands on one key) are reported with file and line and never stop the studio.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.core.contributions import CommandSpec
from studio.core.events import Event, EventBus
from studio.core.keys import UNBOUND, normalize_shortcut
from studio.core.selection import Selection

__all__ = [
    "CommandContext",
    "CommandError",
    "CommandExecuted",
    "CommandRegistry",
    "KeybindingsChanged",
    "KeybindingsFile",
    "parse_keybindings",
]

log = logging.getLogger(__name__)

KEYBINDINGS_HEADER = (
    "# HAFS Studio keybindings: one 'command.id = Shortcut' per line.\n"
    "# Modifiers: Ctrl, Shift, Alt, Meta. 'none' removes a binding.\n"
    "# Lines starting with # or ; are comments.\n"
)


class CommandError(RuntimeError):
    """A command could not run (unknown, disabled, or its handler raised)."""


@dataclass(frozen=True)
class CommandContext:
    """What a selection command's handler (and ``enabled_when``) is given.

    ``selection`` holds the ids of kind ``kind`` to act on: the ones a context menu passed, else
    the studio's current selection of that kind.
    """

    command_id: str
    kind: str
    selection: tuple[str, ...] = ()
    studio: Any = None

    @property
    def first(self) -> str | None:
        """The first selected id (the one a single-item command acts on), or None."""
        return self.selection[0] if self.selection else None


@dataclass(frozen=True, slots=True)
class CommandExecuted(Event):
    topic = "commands.executed"
    command_id: str = ""
    plugin: str = ""


@dataclass(frozen=True, slots=True)
class KeybindingsChanged(Event):
    topic = "commands.keybindings"
    problems: tuple[str, ...] = ()


@dataclass
class KeybindingsFile:
    """The parsed user keybindings: overrides by command id, and problems with line numbers."""

    overrides: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def parse_keybindings(text: str, source: str = "keybindings.conf") -> KeybindingsFile:
    """Parse the keybindings file format; invalid lines become problems, never exceptions."""
    parsed = KeybindingsFile()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if "=" not in line:
            parsed.problems.append(f"{source}:{number}: expected 'command.id = Shortcut'")
            continue
        command_id, _, shortcut = (part.strip() for part in line.partition("="))
        try:
            parsed.overrides[command_id] = normalize_shortcut(shortcut)
        except ValueError as exc:
            parsed.problems.append(f"{source}:{number}: {exc}")
    return parsed


class CommandRegistry:
    """Registered commands, their effective shortcuts, and execution."""

    def __init__(self, bus: EventBus | None = None, selection: Selection | None = None) -> None:
        self._bus = bus
        self.selection = selection or Selection(bus)
        self.studio: Any = None  # handed to handlers in their CommandContext
        self._lock = threading.RLock()
        self._commands: dict[str, CommandSpec] = {}
        self._overrides: dict[str, str] = {}
        self.problems: list[str] = []
        self.keybindings_path: Path | None = None

    # -- registration --------------------------------------------------------------------
    def add(self, spec: CommandSpec) -> None:
        with self._lock:
            existing = self._commands.get(spec.id)
            if existing is not None:
                raise ValueError(
                    f"command {spec.id!r} is already registered by plugin {existing.plugin!r}"
                )
            if spec.shortcut:
                normalize_shortcut(spec.shortcut)  # reject a bad default at registration time
            self._commands[spec.id] = spec

    def remove(self, command_id: str) -> None:
        with self._lock:
            self._commands.pop(command_id, None)

    def remove_plugin(self, plugin: str) -> list[str]:
        """Forget every command of ``plugin`` (disabled live); return their ids."""
        with self._lock:
            doomed = [cid for cid, spec in self._commands.items() if spec.plugin == plugin]
            for command_id in doomed:
                del self._commands[command_id]
        return doomed

    def get(self, command_id: str) -> CommandSpec:
        try:
            return self._commands[command_id]
        except KeyError:
            raise CommandError(f"unknown command {command_id!r}") from None

    def __contains__(self, command_id: object) -> bool:
        return command_id in self._commands

    def all(self) -> list[CommandSpec]:
        with self._lock:
            return sorted(self._commands.values(), key=lambda c: (c.category, c.title))

    # -- shortcuts -----------------------------------------------------------------------
    def shortcut(self, command_id: str) -> str:
        """The effective shortcut: the user's override if any, else the default ('' = none)."""
        spec = self.get(command_id)
        if command_id in self._overrides:
            return self._overrides[command_id]
        return normalize_shortcut(spec.shortcut) if spec.shortcut else UNBOUND

    def shortcuts(self) -> dict[str, str]:
        return {spec.id: self.shortcut(spec.id) for spec in self.all()}

    def conflicts(self) -> dict[str, list[str]]:
        """Shortcuts bound to more than one command."""
        by_key: dict[str, list[str]] = {}
        for command_id, key in self.shortcuts().items():
            if key:
                by_key.setdefault(key, []).append(command_id)
        return {key: ids for key, ids in by_key.items() if len(ids) > 1}

    def load_keybindings(self, path: Path) -> list[str]:
        """(Re)read the user's overrides; return and publish the problems found."""
        self.keybindings_path = path
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = ""
        except (OSError, UnicodeDecodeError) as exc:
            text = ""
            problems = [f"{path}: cannot read ({exc}); using default shortcuts"]
            return self._apply_overrides({}, problems)
        parsed = parse_keybindings(text, str(path))
        return self._apply_overrides(parsed.overrides, parsed.problems)

    def set_override(self, command_id: str, shortcut: str | None) -> None:
        """Set (or with None, drop) one override in memory; call :meth:`save_keybindings` after."""
        self.get(command_id)
        with self._lock:
            if shortcut is None:
                self._overrides.pop(command_id, None)
            else:
                self._overrides[command_id] = normalize_shortcut(shortcut)

    def keybindings_text(self) -> str:
        lines = [KEYBINDINGS_HEADER]
        for command_id, key in sorted(self._overrides.items()):
            lines.append(f"{command_id} = {key or 'none'}\n")
        return "".join(lines)

    def _apply_overrides(self, overrides: dict[str, str], problems: list[str]) -> list[str]:
        source = str(self.keybindings_path or "keybindings.conf")
        known = {cid: key for cid, key in overrides.items() if cid in self._commands}
        for command_id in overrides.keys() - known.keys():
            problems.append(f"{source}: unknown command {command_id!r} (binding ignored)")
        with self._lock:
            self._overrides = known
        for key, ids in self.conflicts().items():
            problems.append(f"{source}: {key} is bound to several commands: {', '.join(ids)}")
        self.problems = problems
        for problem in problems:
            log.warning("%s", problem)
        if self._bus is not None:
            self._bus.publish(KeybindingsChanged(problems=tuple(problems)))
        return problems

    # -- execution -----------------------------------------------------------------------
    def context(
        self, command_id: str, selection: Iterable[str] | None = None
    ) -> CommandContext | None:
        """The context a selection command runs with (None for a command without selection).

        ``selection`` overrides the studio's current selection (a context menu's rows).
        """
        spec = self.get(command_id)
        if spec.selection is None:
            return None
        ids = self.selection.get(spec.selection) if selection is None else tuple(selection)
        return CommandContext(command_id, spec.selection, ids, self.studio)

    def is_enabled(self, command_id: str, selection: Iterable[str] | None = None) -> bool:
        spec = self.get(command_id)
        context = self.context(command_id, selection)
        if spec.enabled_when is None:
            return context is None or bool(context.selection)
        try:
            return bool(spec.enabled_when() if context is None else spec.enabled_when(context))
        except Exception:
            log.exception("enabled_when of command %s failed", command_id)
            return False

    def execute(self, command_id: str, selection: Iterable[str] | None = None) -> Any:
        """Run a command's handler; CommandError if unknown, disabled or it raised.

        ``selection`` (ids) is what a context menu acts on; by default a selection command acts
        on the current selection of its kind.
        """
        spec = self.get(command_id)
        selection = None if selection is None else tuple(selection)
        context = self.context(command_id, selection)
        if not self.is_enabled(command_id, selection):
            if context is not None and not context.selection and spec.enabled_when is None:
                raise CommandError(
                    f"command {command_id!r} acts on the selected {context.kind}; "
                    f"select a {context.kind} first"
                )
            raise CommandError(f"command {command_id!r} is not available right now")
        try:
            result = spec.handler() if context is None else spec.handler(context)
        except Exception as exc:
            raise CommandError(
                f"command {command_id!r} (plugin {spec.plugin or 'studio'}) failed: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        if self._bus is not None:
            self._bus.publish(CommandExecuted(command_id=command_id, plugin=spec.plugin))
        return result

    def ids(self) -> Iterable[str]:
        return list(self._commands)
