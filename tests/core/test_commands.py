"""Commands, shortcuts and the user's keybindings file."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from studio.core.commands import (
    CommandError,
    CommandRegistry,
    KeybindingsChanged,
    parse_keybindings,
)
from studio.core.contributions import CommandSpec
from studio.core.events import EventBus
from studio.core.keys import normalize_shortcut


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ctrl+shift+p", "Ctrl+Shift+P"),
        ("Shift+Control+p", "Ctrl+Shift+P"),
        ("cmd+k", "Meta+K"),
        ("option+F5", "Alt+F5"),
        ("Ctrl+/", "Ctrl+/"),
        ("Ctrl++", "Ctrl++"),
        ("ctrl+pagedown", "Ctrl+PgDown"),
        ("none", ""),
        ("Unbound", ""),
        ("f12", "F12"),
    ],
)
def test_normalize_shortcut(text, expected):
    assert normalize_shortcut(text) == expected


@pytest.mark.parametrize("text", ["Ctrl+", "Hyper+X", "Ctrl+Shift", "Ctrl+NoSuchKey", "F99"])
def test_invalid_shortcuts_name_the_problem(text):
    with pytest.raises(ValueError, match="invalid shortcut"):
        normalize_shortcut(text)


@given(st.text(max_size=30))
def test_normalize_never_crashes_and_is_idempotent(text):
    try:
        normalized = normalize_shortcut(text)
    except ValueError:
        return
    assert normalize_shortcut(normalized or "none") == normalized


def _registry(bus=None) -> CommandRegistry:
    registry = CommandRegistry(bus)
    registry.add(CommandSpec("app.open", "Open", lambda: "opened", "Ctrl+O"))
    registry.add(CommandSpec("app.save", "Save", lambda: "saved", "Ctrl+S"))
    registry.add(CommandSpec("app.never", "Never", lambda: None, enabled_when=lambda: False))
    registry.add(CommandSpec("app.broken", "Broken", lambda: 1 / 0))
    return registry


def test_execute_runs_handler_and_reports_failures():
    registry = _registry()
    assert registry.execute("app.open") == "opened"
    with pytest.raises(CommandError, match="not available"):
        registry.execute("app.never")
    with pytest.raises(CommandError, match="ZeroDivisionError"):
        registry.execute("app.broken")
    with pytest.raises(CommandError, match="unknown command"):
        registry.execute("app.nothing")


def test_duplicate_and_bad_default_shortcut_rejected():
    registry = _registry()
    with pytest.raises(ValueError, match="already registered"):
        registry.add(CommandSpec("app.open", "Again", lambda: None))
    with pytest.raises(ValueError, match="invalid shortcut"):
        registry.add(CommandSpec("app.bad", "Bad", lambda: None, "Ctrl+Nope"))


def test_keybindings_file_overrides_reports_and_reloads(tmp_path):
    bus = EventBus()
    events: list[KeybindingsChanged] = []
    bus.subscribe(KeybindingsChanged.topic, events.append)
    registry = _registry(bus)
    path = tmp_path / "keybindings.conf"
    path.write_text(
        "# comment\n; also a comment\n"
        "app.open = Ctrl+Shift+O\n"
        "app.save = none\n"
        "app.unknown = Ctrl+U\n"
        "app.open Ctrl+K\n"
        "app.never = Ctrl+Nope\n"
    )
    problems = registry.load_keybindings(path)
    assert registry.shortcut("app.open") == "Ctrl+Shift+O"
    assert registry.shortcut("app.save") == ""
    assert any(":6:" in p and "expected" in p for p in problems)
    assert any(":7:" in p and "Nope" in p for p in problems)
    assert any("unknown command 'app.unknown'" in p for p in problems)
    assert events[-1].problems == tuple(problems)
    path.write_text("app.save = Ctrl+O\n")
    problems = registry.load_keybindings(path)
    assert registry.conflicts() == {"Ctrl+O": ["app.open", "app.save"]}
    assert any("Ctrl+O is bound to several commands" in p for p in problems)


def test_unreadable_keybindings_fall_back_to_defaults(tmp_path):
    registry = _registry()
    path = tmp_path / "keybindings.conf"
    path.write_bytes(b"\xff\xfe\x00garbage")
    problems = registry.load_keybindings(path)
    assert registry.shortcut("app.open") == "Ctrl+O"
    assert problems and "cannot read" in problems[0]


def test_keybindings_text_round_trips():
    registry = _registry()
    registry.set_override("app.open", "ctrl+k")
    registry.set_override("app.save", "none")
    parsed = parse_keybindings(registry.keybindings_text())
    assert parsed.overrides == {"app.open": "Ctrl+K", "app.save": ""}
    assert parsed.problems == []


# -- commands on a selection -------------------------------------------------------------------
def _selection_registry():
    from studio.core.selection import Selection

    bus = EventBus()
    registry = CommandRegistry(bus, Selection(bus))
    seen = []
    registry.add(CommandSpec("models.convert", "Convert", seen.append,
                             selection="model"))
    return registry, seen, bus


def test_a_selection_command_receives_the_current_selection():
    registry, seen, _ = _selection_registry()
    registry.selection.set("model", ["qwen-asm", "qwen-debug"])
    registry.execute("models.convert")
    (context,) = seen
    assert context.selection == ("qwen-asm", "qwen-debug")
    assert (context.kind, context.first, context.command_id) == ("model", "qwen-asm",
                                                                 "models.convert")


def test_a_context_menu_selection_overrides_the_current_one():
    registry, seen, _ = _selection_registry()
    registry.selection.set("model", "qwen-asm")
    registry.execute("models.convert", selection=["yaze-helper"])
    assert seen[0].selection == ("yaze-helper",)


def test_a_selection_command_without_a_selection_is_disabled_and_says_why():
    registry, seen, _ = _selection_registry()
    assert not registry.is_enabled("models.convert")
    with pytest.raises(CommandError, match="acts on the selected model; select a model first"):
        registry.execute("models.convert")
    assert registry.is_enabled("models.convert", selection=["x"])
    assert seen == []


def test_enabled_when_of_a_selection_command_sees_the_context():
    from studio.core.selection import Selection

    registry = CommandRegistry(None, Selection())
    registry.add(CommandSpec("models.compare", "Compare", lambda context: context.selection,
                             selection="model",
                             enabled_when=lambda context: len(context.selection) != 1))
    assert registry.is_enabled("models.compare")  # nothing selected: allowed by the predicate
    assert registry.execute("models.compare", selection=["a", "b"]) == ("a", "b")
    assert not registry.is_enabled("models.compare", selection=["a"])


def test_selection_changes_are_published_per_kind():
    from studio.core.selection import SelectionChanged

    registry, _, bus = _selection_registry()
    received = []
    bus.subscribe("selection.model", received.append, thread="publisher")
    registry.selection.set("model", "qwen-asm")
    registry.selection.set("model", ("qwen-asm",))  # unchanged: no event
    registry.selection.set("model", None)
    assert received == [SelectionChanged("model", ("qwen-asm",)), SelectionChanged("model", ())]
    with pytest.raises(ValueError, match="invalid selection kind"):
        registry.selection.set("Bad Kind", "x")
