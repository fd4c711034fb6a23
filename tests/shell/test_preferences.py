"""The Preferences dialog: generated forms, inline validation, shortcut editing."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import orjson
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QKeySequenceEdit,
    QLineEdit,
    QSpinBox,
)

from studio import hookimpl
from studio.core.app import Studio
from studio.core.context import ContextRoot
from studio.core.contributions import CommandSpec, SettingField, SettingsSectionSpec
from studio.shell.preferences import PreferencesDialog


def no_spaces(value):
    if " " in value:
        raise ValueError("must not contain spaces")


class PrefsPlugin:
    @hookimpl
    def studio_register_settings(self, register):
        register(SettingsSectionSpec("training", "Training", (
            SettingField("batch_size", "int", 8, "Batch size", "Samples per step",
                         minimum=1, maximum=512),
            SettingField("learning_rate", "float", 2e-4, "Learning rate", minimum=0.0,
                         maximum=1.0),
            SettingField("precision", "choice", "bf16", "Precision", choices=("fp32", "bf16")),
            SettingField("run_name", "str", "run", "Run name", validate=no_spaces),
            SettingField("output_dir", "path", "~/runs", "Output folder"),
            SettingField("resume", "bool", True, "Resume", "Continue an interrupted run"),
        ), description="Defaults for new runs."))

    @hookimpl
    def studio_register_commands(self, register):
        register(CommandSpec("deploy.start", "Start Server", lambda: None, "Ctrl+R", "Deploy"))
        register(CommandSpec("logs.follow", "Follow Log", lambda: None, "Ctrl+L", "Logs"))


@pytest.fixture
def studio(tmp_path):
    studio = Studio(
        builtins=(), load_entry_points=False, extra_plugins=[("prefs-test", PrefsPlugin())],
        environ={"HAFS_STUDIO_HOME": str(tmp_path)}, context=ContextRoot(tmp_path / "ctx", "test"),
    ).start()
    yield studio
    studio.shutdown()


@pytest.fixture
def dialog(qtbot, studio):
    widget = PreferencesDialog(studio)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def saved(studio):
    return orjson.loads(studio.paths.settings_file.read_bytes())


def test_each_field_type_gets_the_right_editor(dialog, tmp_path):
    page = dialog.show_section("training")
    kinds = {key: type(editor.input) for key, editor in page.editors.items()}
    assert kinds == {
        "batch_size": QSpinBox, "learning_rate": QDoubleSpinBox, "precision": QComboBox,
        "run_name": QLineEdit, "output_dir": QLineEdit, "resume": QCheckBox,
    }
    spin = page.editors["batch_size"].input
    assert (spin.minimum(), spin.maximum()) == (1, 512)
    assert page.editors["learning_rate"].input.value() == pytest.approx(2e-4)
    assert page.editors["batch_size"].input.toolTip() == "Samples per step"
    dialog.grab().save(str(tmp_path / "preferences.png"))


def test_edits_are_saved_at_once_and_published(qtbot, dialog, studio):
    changes = []
    studio.bus.subscribe("settings.changed", changes.append, thread="publisher")
    page = dialog.show_section("training")
    page.editors["resume"].input.click()
    spin = page.editors["batch_size"].input
    spin.selectAll()
    qtbot.keyClicks(spin, "32")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    page.editors["precision"].input.setCurrentText("fp32")
    assert saved(studio)["training"] == {"resume": False, "batch_size": 32, "precision": "fp32"}
    assert [(c.key, c.value) for c in changes] == [
        ("resume", False), ("batch_size", 32), ("precision", "fp32")
    ]


def test_invalid_text_shows_an_inline_error_and_is_not_saved(qtbot, dialog, studio):
    page = dialog.show_section("training")
    editor = page.editors["run_name"]
    editor.input.clear()
    qtbot.keyClicks(editor.input, "my run")
    qtbot.keyClick(editor.input, Qt.Key.Key_Return)
    assert editor.error_label.isVisible()
    assert editor.error_label.text() == "Must not contain spaces"
    assert editor.input.property("role") == "error"
    assert studio.settings.get("training", "run_name") == "run"

    editor.input.clear()
    qtbot.keyClicks(editor.input, "my-run")
    qtbot.keyClick(editor.input, Qt.Key.Key_Return)
    assert not editor.error_label.isVisible()
    assert studio.settings.get("training", "run_name") == "my-run"


def test_restore_defaults_resets_the_section(dialog, studio):
    studio.settings.set("training", "batch_size", 64)
    page = dialog.show_section("training")
    assert page.editors["batch_size"].input.value() == 64  # followed settings.changed
    page.restore_defaults()
    assert page.editors["batch_size"].input.value() == 8
    assert studio.settings.get("training", "batch_size") == 8


def test_editing_a_shortcut_saves_it_and_shows_the_conflict(qtbot, dialog, studio, tmp_path):
    page = dialog.show_shortcuts()
    row = page.select_command("logs.follow")
    page.table.edit(page.table.model().index(row, 2))
    editor = page.table.findChild(QKeySequenceEdit)
    assert editor is not None
    qtbot.keyClick(editor, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: studio.commands.shortcut("logs.follow") == "Ctrl+R", timeout=5000)
    assert "logs.follow = Ctrl+R" in studio.paths.keybindings_file.read_text()
    assert page.banner.isVisible()
    assert "Ctrl+R: Start Server, Follow Log" in page.banner.text()
    dialog.grab().save(str(tmp_path / "preferences-shortcuts.png"))

    assert page.set_shortcut("logs.follow", None)  # back to the default: no override left
    assert "logs.follow" not in studio.paths.keybindings_file.read_text()
    assert not page.banner.isVisible()


def test_unbinding_and_invalid_keys(dialog, studio):
    page = dialog.show_shortcuts()
    assert page.set_shortcut("deploy.start", "")
    assert studio.commands.shortcut("deploy.start") == ""
    assert "deploy.start = none" in studio.paths.keybindings_file.read_text()
    assert not page.set_shortcut("deploy.start", "Ctrl+Hyper+Q")
    assert "not a modifier" in page.banner.text()


def test_search_narrows_the_sections(qtbot, studio_factory):
    from studio.testing import BUILTIN_PLUGINS

    studio = studio_factory(builtins=BUILTIN_PLUGINS)
    dialog = PreferencesDialog(studio)
    qtbot.addWidget(dialog)
    titles = [dialog.sections.item(i).text() for i in range(dialog.sections.count())]
    qtbot.keyClicks(dialog.search, "llama server")
    shown = [t for i, t in enumerate(titles) if not dialog.sections.isRowHidden(i)]
    # The tools manifest's llama-server entry, and Deploy's own server settings.
    assert shown == ["Deploy", "External tools"]
    assert dialog.sections.currentItem().text() == "Deploy"  # the first match is selected
    dialog.search.clear()
    assert all(not dialog.sections.isRowHidden(i) for i in range(len(titles)))
    assert dialog.filter_sections("palette") == 1  # a command title: the shortcuts page
    assert dialog.filter_sections("no such thing") == 0
