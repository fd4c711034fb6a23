"""The plugin's Qt-free logic: its settings section and how a greeting is made.

Kept apart from the widgets so the command, the CLI and tests use it without a QApplication.
"""

from __future__ import annotations

import getpass
import string
from dataclasses import dataclass
from typing import Any

from studio.api import Event, SettingField, SettingsSectionSpec

SECTION = "hello"
DEFAULT_GREETING = "Hello, {name}! Your hafs context is {context}."
MAX_GREETING_LENGTH = 120
PLACEHOLDERS = ("name", "context")


@dataclass(frozen=True, slots=True)
class Greeted(Event):
    """Published by every ``hello.greet``; other plugins may subscribe to ``hello.greeted``."""

    topic = "hello.greeted"
    text: str = ""


def validate_greeting(template: str) -> None:
    """Reject a greeting the Preferences dialog must not accept (ValueError, user-facing text)."""
    if not template.strip():
        raise ValueError("the greeting cannot be empty")
    if len(template) > MAX_GREETING_LENGTH:
        raise ValueError(f"keep the greeting under {MAX_GREETING_LENGTH} characters")
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:  # an unmatched "{" or "}"
        raise ValueError(f"the greeting has a stray brace: {exc}") from None
    unknown = sorted(set(fields) - set(PLACEHOLDERS))
    if unknown:
        allowed = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
        raise ValueError(f"unknown placeholder(s) {unknown}; use {allowed}")


def settings_section() -> SettingsSectionSpec:
    """The ``hello`` page of Preferences; values are read with ``settings.get("hello", key)``."""
    return SettingsSectionSpec(
        SECTION,
        "Hello",
        (
            SettingField(
                "greeting", "str", DEFAULT_GREETING, "Greeting",
                "Shown by the Hello view and `hafs-studio hello greet`. "
                "Placeholders: {name}, {context}.",
                validate=validate_greeting,
            ),
            SettingField(
                "name", "str", "", "Your name",
                "Empty uses your login name.",
            ),
            SettingField(
                "top_topics", "int", 8, "Topics listed",
                "How many bus topics the Hello view lists, busiest first.",
                minimum=1, maximum=50,
            ),
        ),
        "The example plugin from examples/plugins/hello_studio.",
    )


def make_greeting(settings: Any, context_path: object, name: str | None = None) -> str:
    """The greeting text from the user's settings (``name`` overrides the setting)."""
    template = settings.get(SECTION, "greeting")
    who = name or settings.get(SECTION, "name") or _login_name()
    return template.format(name=who, context=context_path)


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return "there"
