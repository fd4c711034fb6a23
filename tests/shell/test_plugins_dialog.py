"""The Plugins dialog: states, an errored plugin's traceback, enable/disable persistence."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import orjson
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from studio import hookimpl
from studio.core.app import Studio
from studio.core.context import ContextRoot
from studio.core.contributions import CommandSpec, ThemeSpec
from studio.core.plugins import PluginChanged
from studio.shell.plugins_dialog import ENABLED, NAME, REQUIRES, STATE, PluginsDialog


class Healthy:
    @hookimpl
    def studio_register_commands(self, register):
        register(CommandSpec("healthy.hello", "Hello", lambda: None))


class Broken:
    @hookimpl
    def studio_register_commands(self, register):
        raise RuntimeError("model registry unreachable")


def make_studio(tmp_path):
    return Studio(
        builtins=(), load_entry_points=False,
        extra_plugins=[("healthy", Healthy()), ("broken", Broken()), ("workbench", object())],
        environ={"HAFS_STUDIO_HOME": str(tmp_path)}, context=ContextRoot(tmp_path / "ctx", "test"),
    )


@pytest.fixture
def studio(tmp_path):
    studio = make_studio(tmp_path).start()
    yield studio
    studio.shutdown()


@pytest.fixture
def dialog(qtbot, studio):
    widget = PluginsDialog(studio)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def row_of(dialog, name):
    for row in range(dialog.table.rowCount()):
        if dialog.table.item(row, NAME).text() == name:
            return row
    raise AssertionError(f"{name} not listed")


def test_errored_plugin_is_listed_with_its_traceback(dialog, tmp_path):
    row = row_of(dialog, "broken")
    assert dialog.table.item(row, STATE).text().startswith("Errored")
    assert dialog.table.currentRow() == row  # the dialog opens on the problem
    details = dialog.details
    assert "RuntimeError: model registry unreachable" in details.error.text()
    assert "studio_register_commands" in details.error.text()
    assert "Traceback (most recent call last)" in details.traceback.toPlainText()
    assert "1 errored" in dialog.summary.text()
    dialog.grab().save(str(tmp_path / "plugins.png"))


def test_copy_puts_details_and_traceback_on_the_clipboard(dialog):
    dialog.select_plugin("broken")
    dialog.details.copy_button.click()
    text = QGuiApplication.clipboard().text()
    assert text.startswith("Plugin: broken")
    assert "model registry unreachable" in text and "Traceback" in text


def test_unchecking_disables_now_and_at_the_next_start(qtbot, dialog, studio, tmp_path):
    row = row_of(dialog, "healthy")
    item = dialog.table.item(row, ENABLED)
    with qtbot.waitSignal(dialog.enabled_changed) as blocker:
        item.setCheckState(Qt.CheckState.Unchecked)  # what a click on the box does
    assert blocker.args == ["healthy", False]
    # Only a command: applied at once, no restart asked for.
    assert "healthy.hello" not in studio.commands
    assert not dialog.banner.isVisible()
    assert dialog.note.text() == "healthy is disabled now."
    state = dialog.table.item(row_of(dialog, "healthy"), STATE).text()
    assert state == "Disabled (disabled by you)"
    choices = orjson.loads((studio.paths.config / "plugins.json").read_bytes())
    assert choices == {"disabled": ["healthy"]}

    again = make_studio(tmp_path).start()  # the next start honours the choice
    try:
        assert again.plugins.records["healthy"].state == "disabled"
        assert "healthy.hello" not in again.commands
    finally:
        again.shutdown()

    dialog.table.item(row_of(dialog, "healthy"), ENABLED).setCheckState(Qt.CheckState.Checked)
    assert studio.commands.execute("healthy.hello") is None  # back, live
    assert dialog.table.item(row_of(dialog, "healthy"), STATE).text() == "Active"
    assert orjson.loads((studio.paths.config / "plugins.json").read_bytes()) == {"disabled": []}


def _dialog_over(qtbot, tmp_path, name, plugin):
    """A started studio with just ``plugin`` and its Plugins dialog, shown."""
    studio = Studio(builtins=(), load_entry_points=False, extra_plugins=[(name, plugin)],
                    environ={"HAFS_STUDIO_HOME": str(tmp_path)},
                    context=ContextRoot(tmp_path / "ctx", "test")).start()
    dialog = PluginsDialog(studio)
    qtbot.addWidget(dialog)
    dialog.show()
    return studio, dialog


class Themed:
    """Contributes a theme: the Appearance settings list themes read at start-up only."""

    @hookimpl
    def studio_register_themes(self, register):
        register(ThemeSpec("themed-dark", "Themed", {"background": "#000000"}))


def test_a_plugin_that_cannot_change_live_asks_for_a_restart(qtbot, tmp_path):
    studio, dialog = _dialog_over(qtbot, tmp_path, "themed", Themed())
    try:
        dialog.table.item(row_of(dialog, "themed"), ENABLED).setCheckState(
            Qt.CheckState.Unchecked)
        assert dialog.banner.isVisible()
        assert "Restart HAFS Studio to apply" in dialog.banner_text.text()
        assert "studio_register_themes" in dialog.banner_text.text()
        assert "restart to apply" in dialog.table.item(row_of(dialog, "themed"), STATE).text()
        assert studio.plugins.records["themed"].state == "active"  # untouched until then
        dialog.table.item(row_of(dialog, "themed"), ENABLED).setCheckState(
            Qt.CheckState.Checked)
        assert not dialog.banner.isVisible()  # toggled back: nothing left to apply
    finally:
        studio.shutdown()


class Deploy:
    REQUIRES = ("models",)

    @hookimpl
    def studio_register_commands(self, register):
        register(CommandSpec("deploy.run", "Deploy", lambda: None))


def test_a_plugin_with_an_unmet_requirement_is_shown_disabled_with_the_reason(qtbot, tmp_path):
    studio, dialog = _dialog_over(qtbot, tmp_path, "deploy", Deploy())
    try:
        row = row_of(dialog, "deploy")
        assert dialog.table.item(row, STATE).text() == (
            "Disabled (requires models, which is not installed)")
        assert dialog.table.item(row, REQUIRES).text() == "models"
        dialog.select_plugin("deploy")
        assert "Requires: models" in dialog.details.facts.text()
        assert "Disabled: requires models, which is not installed" in dialog.details.facts.text()
    finally:
        studio.shutdown()


def test_workbench_cannot_be_disabled(dialog):
    item = dialog.table.item(row_of(dialog, "workbench"), ENABLED)
    assert not item.flags() & Qt.ItemFlag.ItemIsUserCheckable
    with pytest.raises(ValueError, match="cannot be disabled"):
        dialog.set_plugin_enabled("workbench", False)


def test_refreshes_on_plugins_changed(qtbot, dialog, studio):
    record = studio.plugins.records["healthy"]
    record.warnings.append("subscriber on jobs.updated failed")
    record.state = type(record.state)("errored")
    studio.bus.publish(PluginChanged(name="healthy", state="errored"))
    qtbot.waitUntil(lambda: dialog.table.item(row_of(dialog, "healthy"), STATE).text()
                    .startswith("Errored"))
    dialog.select_plugin("healthy")
    assert "subscriber on jobs.updated failed" in dialog.details.warnings.text()
