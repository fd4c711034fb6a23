"""The shortcut cheat sheet: every command, conflicts, problems, the keybindings file."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from studio import hookimpl
from studio.core.app import Studio
from studio.core.commands import KEYBINDINGS_HEADER
from studio.core.context import ContextRoot
from studio.core.contributions import CommandSpec
from studio.shell import cheatsheet
from studio.shell.cheatsheet import SHORTCUT_ROLE, ShortcutCheatSheet, shortcut_keys


class Commands:
    @hookimpl
    def studio_register_commands(self, register):
        register(CommandSpec("deploy.start", "Start Server", lambda: None, "Ctrl+R", "Deploy"))
        register(CommandSpec("deploy.stop", "Stop Server", lambda: None, "Ctrl+R", "Deploy"))
        register(CommandSpec("logs.follow", "Follow Log", lambda: None, "Ctrl+L", "Logs"))
        register(CommandSpec("data.index", "Rebuild Index", lambda: None, None, "Data"))


@pytest.fixture
def studio(tmp_path):
    studio = Studio(
        builtins=(), load_entry_points=False, extra_plugins=[("sheet-test", Commands())],
        environ={"HAFS_STUDIO_HOME": str(tmp_path)}, context=ContextRoot(tmp_path / "ctx", "test"),
    ).start()
    yield studio
    studio.shutdown()


@pytest.fixture
def sheet(qtbot, studio):
    widget = ShortcutCheatSheet(studio)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def rows(sheet):
    """{category: {title: (shortcut, hidden, is_conflict)}}"""
    result = {}
    for g in range(sheet.tree.topLevelItemCount()):
        group = sheet.tree.topLevelItem(g)
        result[group.text(0)] = {
            group.child(c).text(0): (
                group.child(c).data(1, SHORTCUT_ROLE),
                group.child(c).isHidden(),
                "also bound" in group.child(c).toolTip(0),
            )
            for c in range(group.childCount())
        }
    return result


def test_lists_every_command_grouped_with_conflicts_flagged(sheet, tmp_path):
    listed = rows(sheet)
    assert listed["Deploy"]["Start Server"] == ("Ctrl+R", False, True)
    assert listed["Logs"]["Follow Log"] == ("Ctrl+L", False, False)
    assert listed["Data"]["Rebuild Index"] == ("", False, False)
    assert "1 conflict" in sheet.summary_label.text()
    assert "Ctrl+R is bound to several commands" in sheet.problems_label.text()
    sheet.grab().save(str(tmp_path / "cheatsheet.png"))


def test_filter_hides_non_matching_rows_and_empty_groups(qtbot, sheet):
    qtbot.keyClicks(sheet.filter_edit, "ctrl+l")
    listed = rows(sheet)
    assert listed["Logs"]["Follow Log"][1] is False
    assert listed["Deploy"]["Start Server"][1] is True
    assert sheet.tree.topLevelItem(0).isHidden()  # "Data" has nothing left


def test_edit_button_creates_the_file_with_its_header_and_opens_it(sheet, studio, monkeypatch):
    opened = []

    class FakeDesktop:
        @staticmethod
        def openUrl(url):
            opened.append(url.toLocalFile())
            return True

    monkeypatch.setattr(cheatsheet, "QDesktopServices", FakeDesktop)
    path = studio.paths.keybindings_file
    assert not path.exists()
    sheet.edit_keybindings_file()
    assert path.read_text() == KEYBINDINGS_HEADER
    assert opened == [str(path)]


def test_reload_applies_the_file_and_shows_its_problems(qtbot, sheet, studio):
    path = studio.paths.keybindings_file
    path.write_text("deploy.stop = Ctrl+Shift+S\nno.such.command = Ctrl+K\n")
    with qtbot.waitSignal(sheet.reloaded) as blocker:
        sheet.reload_keybindings()
    assert any("no.such.command" in p for p in blocker.args[0])
    assert rows(sheet)["Deploy"]["Stop Server"] == ("Ctrl+Shift+S", False, False)
    assert "no.such.command" in sheet.problems_label.text()
    assert "conflict" not in sheet.summary_label.text()


def test_shortcut_keys_split_plus_key():
    assert shortcut_keys("Ctrl+Shift+P") == ["Ctrl", "Shift", "P"]
    assert shortcut_keys("Ctrl++") == ["Ctrl", "+"]
    assert shortcut_keys("") == []
