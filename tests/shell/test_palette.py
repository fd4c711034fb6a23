"""The command palette, driven from the keyboard like a user would."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow

from studio import hookimpl
from studio.core.app import Studio
from studio.core.context import ContextRoot
from studio.core.contributions import CommandSpec
from studio.shell.palette import CommandPalette


class PaletteCommands:
    def __init__(self) -> None:
        self.ran: list[str] = []

    @hookimpl
    def studio_register_commands(self, register):
        def command(command_id, title, category, shortcut=None, enabled=None):
            register(CommandSpec(command_id, title, lambda: self.ran.append(command_id),
                                 shortcut, category, enabled_when=enabled))

        command("view.toggle-sidebar", "Toggle Sidebar", "View", "Ctrl+B")
        command("window.fullscreen", "Toggle Full Screen", "Window", "F11")
        command("help.shortcuts", "Keyboard Shortcuts", "Help", "Ctrl+/")
        command("jobs.cancel-all", "Cancel All Jobs", "Jobs")
        command("deploy.start", "Start Server", "Deploy", enabled=lambda: False)


@pytest.fixture
def plugin():
    return PaletteCommands()


@pytest.fixture
def studio(tmp_path, plugin):
    studio = Studio(
        builtins=(), load_entry_points=False, extra_plugins=[("palette-test", plugin)],
        environ={"HAFS_STUDIO_HOME": str(tmp_path)}, context=ContextRoot(tmp_path / "ctx", "test"),
    ).start()
    yield studio
    studio.shutdown()


@pytest.fixture
def window(qtbot):
    window = QMainWindow()
    window.resize(1000, 700)
    qtbot.addWidget(window)
    window.show()
    return window


def open_palette(qtbot, studio, window, ran):
    palette = CommandPalette(studio, ran.append, window)
    palette.show()
    qtbot.waitUntil(palette.isVisible)
    return palette


def test_typing_filters_and_enter_runs_the_highlighted_command(qtbot, studio, window, tmp_path):
    ran: list[str] = []
    palette = open_palette(qtbot, studio, window, ran)
    qtbot.keyClicks(palette.input, "tfs")
    assert palette.visible_commands()[0] == "window.fullscreen"
    assert palette.selected_command() == "window.fullscreen"
    palette.grab().save(str(tmp_path / "palette.png"))
    with qtbot.waitSignal(palette.destroyed):  # closes (and deletes itself) before running
        qtbot.keyClick(palette.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: ran == ["window.fullscreen"])


def test_arrow_keys_move_the_selection_and_wrap(qtbot, studio, window):
    ran: list[str] = []
    palette = open_palette(qtbot, studio, window, ran)
    listed = palette.visible_commands()
    assert listed[0] == "deploy.start"  # disabled: the selection starts on the next row
    assert palette.current_row() == 1
    qtbot.keyClick(palette.input, Qt.Key.Key_Down)
    assert palette.selected_command() == listed[2]
    for _ in range(3):
        qtbot.keyClick(palette.input, Qt.Key.Key_Up)
    assert palette.selected_command() == listed[-1]  # wrapped around
    qtbot.keyClick(palette.input, Qt.Key.Key_PageUp)
    assert palette.selected_command() == palette.visible_commands()[0]
    qtbot.keyClick(palette.input, Qt.Key.Key_PageDown)
    assert palette.selected_command() == palette.visible_commands()[-1]


def test_disabled_command_is_listed_but_cannot_run(qtbot, studio, window):
    ran: list[str] = []
    palette = open_palette(qtbot, studio, window, ran)
    qtbot.keyClicks(palette.input, "start server")
    assert palette.visible_commands() == ["deploy.start"]
    assert not palette.model.entries[0].enabled
    qtbot.keyClick(palette.input, Qt.Key.Key_Return)
    assert palette.isVisible()
    assert "not available" in palette.hint_label.text()
    qtbot.wait(20)  # give a (wrongly) scheduled run the chance to happen
    assert ran == []


def test_escape_closes_without_running(qtbot, studio, window):
    ran: list[str] = []
    palette = open_palette(qtbot, studio, window, ran)
    with qtbot.waitSignal(palette.destroyed):
        qtbot.keyClick(palette.input, Qt.Key.Key_Escape)
    qtbot.wait(20)
    assert ran == []


def test_recently_used_commands_come_first_and_persist(qtbot, studio, window):
    ran: list[str] = []
    palette = open_palette(qtbot, studio, window, ran)
    qtbot.keyClicks(palette.input, "cancel all")
    qtbot.keyClick(palette.input, Qt.Key.Key_Enter)
    qtbot.waitUntil(lambda: ran == ["jobs.cancel-all"])

    again = open_palette(qtbot, studio, window, ran)  # a new palette reads the saved list
    assert again.visible_commands()[0] == "jobs.cancel-all"
    assert again.model.entries[0].recent
    assert (studio.paths.state / "palette-recent.json").exists()


def test_command_id_matches_when_the_label_does_not(qtbot, studio, window):
    palette = open_palette(qtbot, studio, window, [])
    qtbot.keyClicks(palette.input, "help.shortcuts")
    assert palette.visible_commands()[0] == "help.shortcuts"


def test_no_match_shows_an_empty_state(qtbot, studio, window):
    palette = open_palette(qtbot, studio, window, [])
    qtbot.keyClicks(palette.input, "zzqx")
    assert palette.visible_commands() == []
    assert palette.empty_label.isVisible()
    qtbot.keyClick(palette.input, Qt.Key.Key_Return)  # nothing to run, nothing breaks
    assert palette.isVisible()


def test_matched_characters_are_reported_for_bold_drawing(qtbot, studio, window):
    palette = open_palette(qtbot, studio, window, [])
    qtbot.keyClicks(palette.input, "ks")
    entry = palette.model.entries[0]
    assert entry.spec.id == "help.shortcuts"
    assert [entry.label[i] for i in entry.match.positions] == ["K", "S"]
