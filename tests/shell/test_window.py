"""Main window: workspaces, lazily created docks, layouts, sessions, multiple windows."""

from __future__ import annotations

import orjson
import pytest
from PySide6.QtCore import Qt

from studio.core.contributions import WORKSPACES, ViewSpec
from studio.shell.app import StudioShell
from studio.shell.docks import ViewErrorPanel
from studio.shell.launch import display_problem
from studio.shell.layouts import LAYOUT_VERSION, LayoutStore
from studio.testing import BUILTIN_PLUGINS, make_plugin, shown_shell

pytestmark = pytest.mark.usefixtures("qapp")


def _views_plugin(created: list[str]):
    from PySide6.QtWidgets import QLabel

    def factory(view_id):
        def make(context):
            created.append(view_id)
            label = QLabel(f"view {view_id}")
            label.setObjectName(view_id)
            return label

        return make

    def register_views(register):
        register(
            ViewSpec(
                "probe.left",
                "Probe Left",
                factory("probe.left"),
                area="left",
                workspaces=("models", "deploy"),
            )
        )
        register(
            ViewSpec(
                "probe.right",
                "Probe Right",
                factory("probe.right"),
                area="right",
                workspaces=("models",),
            )
        )
        register(ViewSpec("probe.hidden", "Probe Hidden", factory("probe.hidden"), area="bottom"))

    return make_plugin("probe", studio_register_views=register_views)


@pytest.fixture
def probe_shell(qtbot, studio_factory):
    created: list[str] = []
    studio = studio_factory([("probe", _views_plugin(created))], builtins=BUILTIN_PLUGINS)
    with shown_shell(qtbot, studio, (1200, 800)) as shell:
        shell.created = created
        yield shell


def test_eight_workspaces_switch_by_shortcut(qtbot, probe_shell):
    window = probe_shell.main_window
    for workspace in WORKSPACES:
        key = Qt.Key(Qt.Key.Key_0 + int(workspace.shortcut[-1]))
        qtbot.keyClick(window, key, Qt.KeyboardModifier.ControlModifier)
        assert window.workspace == workspace.id
        assert window.windowTitle().startswith(workspace.title)


def test_views_are_created_lazily_on_first_show(qtbot, probe_shell):
    window = probe_shell.main_window
    assert probe_shell.created == []
    window.switch_workspace("models")
    # A view is created once its dock is on screen; a background tab waits for its click.
    qtbot.waitUntil(lambda: window.docks["models.list"].materialized)
    assert set(probe_shell.created) <= {"probe.left", "probe.right"}
    assert window.docks["probe.left"].isVisible()
    assert not window.docks["probe.hidden"].isVisible()
    assert "probe.hidden" not in probe_shell.created
    assert window.show_view("probe.hidden").objectName() == "probe.hidden"
    window.show_view("probe.left")
    window.show_view("probe.left")
    assert probe_shell.created.count("probe.left") == 1
    window.switch_workspace("deploy")
    assert [v for v in window.visible_views() if v.startswith("probe.")] == ["probe.left"]


def test_dock_layout_is_saved_per_workspace_and_restored(qtbot, probe_shell, studio_home):
    window = probe_shell.main_window
    window.switch_workspace("models")
    window.docks["probe.right"].close()
    window.switch_workspace("deploy")
    window.switch_workspace("models")
    assert not window.docks["probe.right"].isVisible()
    assert window.docks["probe.left"].isVisible()
    window.reset_layout()
    assert window.docks["probe.right"].isVisible()
    stored = orjson.loads((studio_home / "config" / "layouts" / "workspaces.json").read_bytes())
    assert stored["version"] == LAYOUT_VERSION
    # Reset forgot the models arrangement; the one saved when leaving the dashboard remains.
    assert "models" not in stored["workspaces"] and "dashboard" in stored["workspaces"]


def test_corrupted_layout_blob_falls_back_to_default(qtbot, studio_factory, studio_home):
    layouts = studio_home / "config" / "layouts"
    layouts.mkdir(parents=True)
    (layouts / "workspaces.json").write_bytes(
        orjson.dumps({"version": LAYOUT_VERSION, "workspaces": {"dashboard": "AAAAAAAA"}})
    )
    studio = studio_factory(builtins=BUILTIN_PLUGINS)
    shell = StudioShell(studio, restore_session=False)
    window = shell.start()
    qtbot.addWidget(window)
    assert "dashboard.home" in [d.spec.id for d in window.docks.values() if not d.isHidden()]
    assert any("could not be restored" in p for p in shell.layouts.problems)
    shell.shutdown()


def test_damaged_layout_file_is_kept_and_reported(tmp_path):
    (tmp_path / "workspaces.json").write_text("{oops")
    store = LayoutStore(tmp_path)
    assert store.workspace_state("dashboard") is None
    assert (tmp_path / "workspaces.json.bak").read_text() == "{oops"
    assert "damaged" in store.problems[0]


def test_layout_version_bump_discards_old_layouts(tmp_path):
    (tmp_path / "workspaces.json").write_bytes(
        orjson.dumps({"version": LAYOUT_VERSION - 1, "workspaces": {"models": "AAAA"}})
    )
    assert LayoutStore(tmp_path).workspace_state("models") is None


def test_second_window_and_session_restore(qtbot, studio_factory, studio_home):
    studio = studio_factory(builtins=BUILTIN_PLUGINS)
    shell = StudioShell(studio, restore_session=True)
    main = shell.start()
    qtbot.addWidget(main)
    main.show()
    second = shell.new_window("training")
    qtbot.addWidget(second)
    assert [w.workspace for w in shell.windows] == ["dashboard", "training"]
    main.close()  # closing the primary window ends the session
    assert not second.isVisible()
    shell.shutdown()
    session = orjson.loads((studio_home / "config" / "layouts" / "session.json").read_bytes())
    assert [w["workspace"] for w in session["windows"]] == ["dashboard", "training"]

    restored = StudioShell(studio, restore_session=True)
    window = restored.start()
    qtbot.addWidget(window)
    assert [w.workspace for w in restored.windows] == ["dashboard", "training"]
    assert [w.primary for w in restored.windows] == [True, False]
    for other in list(restored.windows):
        qtbot.addWidget(other)
        other.close()
    restored.shutdown()


def test_restored_geometry_is_clamped_to_the_screens_present(qtbot, probe_shell):
    window = probe_shell.main_window
    window.setGeometry(50_000, 50_000, 20_000, 20_000)
    window.restore_geometry_clamped(b"")
    screen = window.screen().availableGeometry()
    assert screen.contains(window.frameGeometry().topLeft())
    assert window.width() <= screen.width()


def test_a_failing_view_factory_shows_the_error_and_the_app_keeps_working(qtbot, studio_factory):
    def explode(context):
        raise RuntimeError("view factory exploded")

    plugin = make_plugin(
        "crashy",
        studio_register_views=lambda register: register(
            ViewSpec("crashy.view", "Crashy", explode, workspaces=("dashboard",))
        ),
    )
    studio = studio_factory([("crashy", plugin)], builtins=BUILTIN_PLUGINS)
    shell = StudioShell(studio, restore_session=False)
    window = shell.start()
    qtbot.addWidget(window)
    window.show()
    assert window.show_view("crashy.view") is None  # the user opens its tab
    assert isinstance(window.docks["crashy.view"].widget(), ViewErrorPanel)
    assert studio.plugins.records["crashy"].state.value == "errored"
    qtbot.waitUntil(lambda: window.docks["dashboard.home"].materialized)
    window.switch_workspace("models")
    assert window.workspace == "models"
    shell.shutdown()


def test_commands_run_from_the_window_and_failures_are_shown(qtbot, probe_shell):
    messages = []
    probe_shell.message.connect(lambda text, timeout: messages.append(text))
    assert probe_shell.run_command("workbench.workspace.logs") is None
    assert probe_shell.main_window.workspace == "logs"
    probe_shell.run_command("no.such.command")
    assert any("unknown command" in m for m in messages)


def test_keybindings_file_change_is_picked_up_live(qtbot, probe_shell, studio_home):
    studio = probe_shell.studio
    path = studio.paths.keybindings_file
    path.write_text("workbench.workspace.models = Ctrl+Shift+F9\n")
    studio.watcher.poll()
    window = probe_shell.main_window
    qtbot.waitUntil(
        lambda: studio.commands.shortcut("workbench.workspace.models") == "Ctrl+Shift+F9"
    )
    qtbot.waitUntil(
        lambda: (
            window._actions["workbench.workspace.models"].shortcut().toString() == "Ctrl+Shift+F9"
        )
    )
    qtbot.keyClick(
        window,
        Qt.Key.Key_F9,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert window.workspace == "models"


def test_theme_switch_at_runtime(qtbot, probe_shell):
    probe_shell.set_theme("nord")
    assert probe_shell.themes.current.id == "nord"
    assert probe_shell.studio.settings.get("appearance", "theme") == "nord"
    probe_shell.run_command("workbench.theme.next")
    assert probe_shell.themes.current.id != "nord"


def test_display_problem_explains_what_to_do():
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}) is None
    assert display_problem({"DISPLAY": ":0"}) is None
    message = display_problem({})
    assert message is not None and "--screenshot" in message and "xvfb-run" in message


def test_a_view_opens_alone_in_a_new_window(qtbot, probe_shell):
    second = probe_shell.open_view_in_new_window("probe.hidden")
    qtbot.addWidget(second)
    assert second.visible_views() == ["probe.hidden"]
    assert second.docks["probe.hidden"].materialized
    assert not second.primary
    second.close()
    assert second not in probe_shell.windows


def test_switching_workspaces_leaves_no_stray_tab_bars(qtbot, probe_shell):
    from PySide6.QtWidgets import QTabBar

    window = probe_shell.main_window

    def stray_tabs() -> set[str]:
        shown = {d.spec.title for d in window.docks.values() if d.isVisible()}
        titles = {
            bar.tabText(i)
            for bar in window.findChildren(QTabBar)
            if bar.isVisible()
            for i in range(bar.count())
        }
        return titles - shown

    for workspace in ("models", "dashboard", "training"):
        window.switch_workspace(workspace)
        # Qt updates tab bars at the next layout pass; a stray one would persist.
        qtbot.waitUntil(lambda: not stray_tabs())
    hidden = window.docks["probe.hidden"]
    window.show_view("probe.hidden")
    assert hidden.isVisible() and not hidden.isFloating()


def test_dialogs_open_once(qtbot, probe_shell):
    probe_shell.open_preferences()
    first = probe_shell._dialogs["preferences"]
    probe_shell.open_preferences()
    assert probe_shell._dialogs["preferences"] is first
    first.close()
    qtbot.waitUntil(lambda: not first.isVisible())
    probe_shell.open_preferences()
    assert probe_shell._dialogs["preferences"] is not first
    probe_shell._dialogs["preferences"].close()


def test_screenshot_mode_never_writes_layouts(qtbot, studio_factory, studio_home):
    studio = studio_factory(builtins=BUILTIN_PLUGINS)
    shell = StudioShell(studio, restore_session=False, persist_layouts=False)
    window = shell.start()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window._painted)
    window.switch_workspace("models")
    window.close()
    shell.shutdown()
    assert not (studio_home / "config" / "layouts").exists()


def test_after_a_hard_crash_the_next_start_offers_to_disable_the_plugin(
    qtbot, studio_factory, studio_home
):
    import os

    from PySide6.QtWidgets import QMessageBox

    guard = studio_home / "state" / "plugin-guard.json"
    guard.parent.mkdir(parents=True, exist_ok=True)
    # What a segfault while activating "dashboard" leaves behind (its pid is gone).
    dead_pid = max(os.getpid() * 7, 4_000_000)
    guard.write_bytes(orjson.dumps({"plugin": "dashboard", "phase": "activate", "pid": dead_pid}))
    studio = studio_factory(builtins=BUILTIN_PLUGINS)
    shell = StudioShell(studio, restore_session=False)
    window = shell.start()
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: shell.crash_prompt is not None and shell.crash_prompt.isVisible())
    assert "dashboard" in shell.crash_prompt.text()
    shell.crash_prompt.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: "dashboard" in studio.plugins.user_choices.disabled)
    shell.shutdown()


def test_quitting_while_a_job_runs_asks_first(qtbot, probe_shell):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    # A job that runs until cancelled (JobContext.wait returns early on cancel).
    job = probe_shell.studio.jobs.submit("Long conversion", lambda ctx: ctx.wait(30))
    window = probe_shell.main_window
    answers = []

    def answer(button: QMessageBox.StandardButton) -> None:
        box = QApplication.activeModalWidget()
        answers.append(box.text())
        box.button(button).click()

    QTimer.singleShot(50, lambda: answer(QMessageBox.StandardButton.No))
    window.close()
    assert window.isVisible() and not job.state.finished
    assert "Long conversion" in answers[0]

    QTimer.singleShot(50, lambda: answer(QMessageBox.StandardButton.Yes))
    window.close()
    assert not window.isVisible()
    job.future.result(timeout=10)
    assert job.state.value == "cancelled"
