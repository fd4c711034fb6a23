"""Validation of what the editor holds: syntax (JSON, JSONL, TOML, YAML) and hafs's strict files.

Syntax problems carry the line and column the parser reports. hafs parses two files so strictly
that one wrong key makes it throw the whole file away and overwrite it (hafs-formats §1.4, §4):
``models/registry.json`` (checked with the Models plugin's public
:func:`~studio.plugins.models.api.check_registry_text`) and ``training_daemon/
scheduled_tasks.json`` (``TrainingTask(**t)``). For those, :func:`hafs_problems` returns
*refusals*: the editor will not save text that would make hafs drop data.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "Problem",
    "check_syntax",
    "hafs_problems",
    "language_of",
    "refusals",
    "validate_text",
]

MAX_PROBLEMS = 100


@dataclass(frozen=True)
class Problem:
    """One finding. ``severity``: "error" (syntax), "refuse" (hafs would drop data), "warning"."""

    line: int | None
    column: int | None
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}" if self.line else self.message


_LANGUAGES = {".json": "json", ".jsonl": "jsonl", ".toml": "toml", ".yaml": "yaml",
              ".yml": "yaml"}


def language_of(path: str | Path) -> str | None:
    """The validated language of a file by suffix (json, jsonl, toml, yaml) or None."""
    return _LANGUAGES.get(Path(path).suffix.lower())


def _json(text: str) -> list[Problem]:
    try:
        json.loads(text)  # the stdlib, like hafs: NaN and Infinity are accepted
    except json.JSONDecodeError as exc:
        return [Problem(exc.lineno, exc.colno, exc.msg)]
    return []


def _jsonl(text: str) -> list[Problem]:
    problems: list[Problem] = []
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(number, exc.colno, exc.msg))
            if len(problems) >= MAX_PROBLEMS:
                break
    return problems


_TOML_PLACE = re.compile(r"\(at line (\d+), column (\d+)\)")


def _toml(text: str) -> list[Problem]:
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _TOML_PLACE.search(message)
        if match:
            return [Problem(int(match[1]), int(match[2]), _TOML_PLACE.sub("", message).strip())]
        if "end of document" in message:
            line = text.count("\n") + 1
            return [Problem(line, len(text.rsplit("\n", 1)[-1]) + 1, message)]
        return [Problem(None, None, message)]
    return []


def _yaml(text: str) -> list[Problem]:
    import yaml

    try:
        for _ in yaml.safe_load_all(text):
            pass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        if mark is None:
            return [Problem(None, None, message)]
        return [Problem(mark.line + 1, mark.column + 1, message)]
    except yaml.YAMLError as exc:
        return [Problem(None, None, str(exc))]
    return []


_CHECKERS = {"json": _json, "jsonl": _jsonl, "toml": _toml, "yaml": _yaml}


def check_syntax(text: str, language: str | None) -> list[Problem]:
    """Syntax errors of ``text`` in ``language`` (empty when fine or not a checked language)."""
    checker = _CHECKERS.get(language or "")
    return checker(text) if checker else []


# -- hafs's strict files ---------------------------------------------------------------

TASK_FIELDS = ("name", "task_type", "domain", "interval_seconds", "limit", "enabled", "last_run",
               "next_run", "config")
TASK_REQUIRED = ("name", "task_type")
TASK_TYPES = ("generation", "curation", "quality_review", "export", "error_mining",
              "history_mining", "multi_teacher")


def strict_kind(path: str | Path) -> str | None:
    """"registry" or "scheduled_tasks" for the files hafs parses strictly, else None."""
    p = Path(path)
    if p.name == "registry.json" and p.parent.name == "models":
        return "registry"
    if p.name == "scheduled_tasks.json":
        return "scheduled_tasks"
    return None


def _place(text: str, needle: str) -> tuple[int | None, int | None]:
    index = text.find(needle)
    if index < 0:
        return None, None
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def _scheduled_tasks(text: str) -> list[Problem]:
    """hafs's ``_load_tasks``: ``TrainingTask(**t)`` for every item of ``tasks``.

    Any exception there resets the schedule to the 8 defaults and overwrites the file.
    """
    lose = "hafs would reset the schedule to its 8 defaults and overwrite this file"
    if not text.strip():
        return [Problem(1, 1, f"the file is empty: {lose}", "refuse")]
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        return [Problem(exc.lineno, exc.colno, f"{exc.msg}: {lose}", "refuse")]
    if not isinstance(document, dict):
        return [Problem(1, 1, f'the top level must be an object with "tasks": {lose}', "refuse")]
    problems: list[Problem] = []
    for key in document:
        if key != "tasks":
            problems.append(Problem(*_place(text, json.dumps(key)),
                                    f"top-level key {key!r}: hafs drops it on its next save",
                                    "warning"))
    tasks = document.get("tasks", [])
    if not isinstance(tasks, list):
        return [Problem(*_place(text, '"tasks"'), f'"tasks" must be a list: {lose}', "refuse")]
    for index, task in enumerate(tasks):
        label = f"task {index + 1}"
        if not isinstance(task, dict):
            problems.append(Problem(None, None, f"{label} is not an object: {lose}", "refuse"))
            continue
        name = task.get("name")
        where = _place(text, json.dumps(name)) if isinstance(name, str) else (None, None)
        label = f"task {name!r}" if isinstance(name, str) else label
        missing = [k for k in TASK_REQUIRED if k not in task]
        unknown = [k for k in task if k not in TASK_FIELDS]
        if missing:
            problems.append(Problem(*where, f"{label} lacks {', '.join(missing)}: {lose}",
                                    "refuse"))
        if unknown:
            problems.append(Problem(*where, f"{label} has unknown key(s) {', '.join(unknown)}: "
                                    f"{lose}", "refuse"))
        problems += _task_warnings(task, label, where)
    return problems


def _task_warnings(task: dict[str, Any], label: str, where: tuple[int | None, int | None]
                   ) -> list[Problem]:
    """What hafs loads but then trips over when the task runs."""
    from datetime import datetime

    found: list[str] = []
    if "task_type" in task and task["task_type"] not in TASK_TYPES:
        found.append(f"task_type {task['task_type']!r} is not one of {', '.join(TASK_TYPES)}")
    for key in ("interval_seconds", "limit"):
        value = task.get(key)
        if key in task and (isinstance(value, bool) or not isinstance(value, int)):
            found.append(f"{key} should be an integer, not {value!r}")
    if "enabled" in task and not isinstance(task["enabled"], bool):
        found.append(f"enabled should be true or false, not {task['enabled']!r}")
    last_run = task.get("last_run")
    if last_run:
        try:
            datetime.fromisoformat(str(last_run))
        except ValueError:
            found.append(f"last_run {last_run!r} is not an ISO time (hafs fails to schedule it)")
    if "config" in task and not isinstance(task["config"], dict):
        found.append("config should be an object")
    return [Problem(*where, f"{label}: {text}", "warning") for text in found]


def _registry(text: str) -> list[Problem]:
    from studio.plugins.models.api import check_registry_text

    check = check_registry_text(text)
    return ([Problem(line, column, message, "refuse") for line, column, message in check.errors]
            + [Problem(line, column, message, "warning")
               for line, column, message in check.warnings])


def hafs_problems(path: str | Path, text: str) -> list[Problem]:
    """hafs's rules for its strictly parsed files (empty for every other file)."""
    kind = strict_kind(path)
    if kind == "registry":
        return _registry(text)
    if kind == "scheduled_tasks":
        return _scheduled_tasks(text)
    return []


def validate_text(path: str | Path, text: str) -> list[Problem]:
    """Syntax problems, then hafs's rules (when the syntax is fine), for the file at ``path``."""
    problems = check_syntax(text, language_of(path))
    if problems:
        if strict_kind(path):  # a syntax error in a strict file is a refusal too
            problems = [Problem(p.line, p.column, p.message, "refuse") for p in problems]
        return problems
    return hafs_problems(path, text)


def refusals(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "refuse"]
