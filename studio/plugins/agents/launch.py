"""Start and restart commands per agent, from the studio's settings (section ``agents``).

Each hafs managed service has a start and a restart field pre-filled with its ``hafs services``
command; other agents are configured in one JSON field mapping a name to an argv list (or to
``{"start": [...], "restart": [...]}``). Text fields are split with :func:`shlex.split` into an
argv list: nothing is ever run through a shell, so quotes group words and ``;``/``|`` are just
characters.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Any

from studio.api import SettingField
from studio.plugins.agents.locations import DAEMONS

__all__ = [
    "SETTINGS_SECTION",
    "AgentCommands",
    "command_setting_fields",
    "commands_for",
    "parse_argv",
    "parse_custom_commands",
]

SETTINGS_SECTION = "agents"
CUSTOM_COMMANDS_KEY = "custom_commands"


def parse_argv(text: str, where: str = "command") -> list[str]:
    """``text`` as an argv list; ValueError naming ``where`` for unbalanced quotes."""
    try:
        argv = shlex.split(text)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc} in {text!r}") from None
    return argv


def _validate_command(key: str) -> Any:
    def validate(value: str) -> None:
        parse_argv(value, f"agents.{key}")

    return validate


def parse_custom_commands(text: str) -> dict[str, dict[str, list[str]]]:
    """The ``custom_commands`` JSON: ``{"name": [argv…] | {"start": [...], "restart": [...]}}``."""
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"agents.{CUSTOM_COMMANDS_KEY}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ValueError(f"agents.{CUSTOM_COMMANDS_KEY}: expected an object "
                         '{"agent name": ["program", "arg", …]}')
    result = {}
    for name, value in data.items():
        entry = {"start": value} if isinstance(value, list) else value
        if not isinstance(entry, dict) or set(entry) - {"start", "restart"}:
            raise ValueError(f"agents.{CUSTOM_COMMANDS_KEY}: {name!r} must be an argv list or "
                             '{"start": [...], "restart": [...]}')
        for action, argv in entry.items():
            if not (isinstance(argv, list) and argv and all(isinstance(a, str) for a in argv)):
                raise ValueError(f"agents.{CUSTOM_COMMANDS_KEY}: {name!r} {action} must be a "
                                 "non-empty list of strings (an argv list, never a shell line)")
        result[str(name)] = {k: list(v) for k, v in entry.items()}
    return result


def command_setting_fields() -> tuple[SettingField, ...]:
    """Start/restart fields for every hafs daemon, then the custom agents' JSON field."""
    fields = []
    for spec in DAEMONS.values():
        if spec.service:
            start = f"hafs services start {spec.service}"
            restart = f"hafs services restart {spec.service}"
            hint = f"Pre-filled with hafs's service command for {spec.service}."
        else:  # the training daemon is not a hafs managed service
            start = restart = ""
            hint = ("hafs runs it with `python -m services.daemons.training_daemon start` from "
                    "its checkout (PYTHONPATH=src); empty: Start is not offered.")
        fields.append(SettingField(f"{spec.folder}_start", "str", start,
                                   f"{spec.title}: start", hint + " Split like a shell line, "
                                   "run without a shell.",
                                   validate=_validate_command(f"{spec.folder}_start")))
        fields.append(SettingField(f"{spec.folder}_restart", "str", restart,
                                   f"{spec.title}: restart", "Empty: Stop, then Start.",
                                   validate=_validate_command(f"{spec.folder}_restart")))
    fields.append(SettingField(
        CUSTOM_COMMANDS_KEY, "str", "", "Other agents' commands",
        'JSON: {"doc-indexer": ["python", "indexer.py"]} or {"name": {"start": [...], '
        '"restart": [...]}}. Argv lists, never a shell.',
        validate=lambda value: parse_custom_commands(value) and None))
    return tuple(fields)


@dataclass(frozen=True)
class AgentCommands:
    start: list[str] | None
    restart: list[str] | None  # None: stop, then start

    @property
    def can_start(self) -> bool:
        return bool(self.start)


def commands_for(agent: str, values: dict[str, Any]) -> AgentCommands:
    """The configured commands of ``agent`` from the ``agents`` settings section's values."""
    if agent in DAEMONS:
        start = parse_argv(str(values.get(f"{agent}_start") or ""), f"agents.{agent}_start")
        restart = parse_argv(str(values.get(f"{agent}_restart") or ""),
                             f"agents.{agent}_restart")
        return AgentCommands(start or None, restart or None)
    custom = parse_custom_commands(str(values.get(CUSTOM_COMMANDS_KEY) or ""))
    entry = custom.get(agent, {})
    return AgentCommands(entry.get("start"), entry.get("restart"))
