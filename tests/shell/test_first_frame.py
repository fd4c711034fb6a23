"""The window's first frame before the core (studio.shell.first_frame) and the launcher around it.

A returning user's window is painted from ``first-frame.json`` and the saved session before the
core is imported; the shell then builds into that same window. The cache is read leniently (a
cache is never worth an error) and kept by the shell whenever a theme is applied.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QMainWindow

from studio.__main__ import parse_common
from studio.core.paths import studio_paths
from studio.core.themes import palette_roles
from studio.shell import theming
from studio.shell.first_frame import (
    FIRST_FRAME_FORMAT,
    FirstFrameLook,
    first_frame_file,
    palette_from_roles,
    read_first_frame_look,
    write_first_frame_look,
)
from studio.shell.launch import GuiStart, start_gui
from studio.shell.layouts import LayoutStore, WindowSession

LOOK = FirstFrameLook(theme="nord", dark=True,
                      palette={"Window": "#2e3440", "WindowText": "#eceff4",
                               "Disabled:WindowText": "#616e88"},
                      restore_session=True, stylesheet="QMainWindow { background: #2e3440; }")


# -- the cache, Qt-free ------------------------------------------------------------------------
def test_the_look_survives_a_round_trip_and_is_written_only_when_it_changed(tmp_path):
    path = tmp_path / "cache" / "first-frame.json"
    assert write_first_frame_look(path, LOOK) is True
    assert read_first_frame_look(path) == LOOK
    before = path.stat().st_ino, path.stat().st_mtime_ns
    assert write_first_frame_look(path, LOOK) is False  # every start applies the same theme
    assert (path.stat().st_ino, path.stat().st_mtime_ns) == before  # not replaced
    other = FirstFrameLook(theme="light", dark=False, palette={"Window": "#ffffff"})
    assert write_first_frame_look(path, other) is True
    assert read_first_frame_look(path) == other


@pytest.mark.parametrize("content", [
    b"",  # mid-save
    b'{"format": 1, "theme": "nord", "dark": tr',  # half-written
    b"[]",
    b'{"format": 99, "theme": "nord", "dark": true, "palette": {"Window": "#000000"}}',
    b'{"format": 1, "theme": "nord", "dark": true, "palette": {}}',
    b'{"format": 1, "theme": 7, "dark": true, "palette": {"Window": "#000000"}}',
    b'{"format": 1, "theme": "nord", "dark": "yes", "palette": {"Window": "#000000"}}',
    b'{"format": 1, "theme": "nord", "dark": true, "palette": {"Window": "not a colour"}}',
    b'{"format": 1, "theme": "nord", "dark": true, "palette": {"Window": 12}}',
    b"\xff\xfe not json",
], ids=["empty", "truncated", "list", "other-format", "no-palette", "bad-theme", "bad-dark",
        "bad-colour", "colour-not-text", "binary"])
def test_an_unusable_cache_means_no_early_frame_not_an_error(tmp_path, content):
    path = tmp_path / "first-frame.json"
    path.write_bytes(content)
    assert read_first_frame_look(path) is None
    assert read_first_frame_look(tmp_path / "missing.json") is None


def test_optional_fields_of_the_cache_fall_back_to_their_defaults(tmp_path):
    path = tmp_path / "first-frame.json"
    path.write_text(f'{{"format": {FIRST_FRAME_FORMAT}, "theme": "nord", "dark": true, '
                    '"palette": {"Window": "#2e3440"}, "restore_session": "no", "stylesheet": 3}')
    look = read_first_frame_look(path)
    assert look is not None and look.restore_session is True and look.stylesheet == ""


def test_the_palette_sets_every_group_first_then_the_group_overrides():
    palette = palette_from_roles({"Disabled:WindowText": "#616e88", "WindowText": "#eceff4",
                                  "NoSuchRole": "#123456", "NoSuchGroup:Text": "#123456"})
    active = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.WindowText)
    disabled = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
    assert active.name() == "#eceff4"
    assert disabled.name() == "#616e88"  # not overwritten by the plain key that came after it


# -- the launcher ------------------------------------------------------------------------------
@pytest.fixture
def launch(qapp, qtbot, studio_home, tmp_path, monkeypatch):
    """``launch(*argv)`` → a :class:`GuiStart` as hafs-studio makes it; closed afterwards."""
    monkeypatch.setenv("HAFS_CONTEXT_ROOT", str(tmp_path / "context"))
    monkeypatch.setenv("QT_STYLE_OVERRIDE", "Fusion")  # as the launcher sets it; restored after
    starts: list[GuiStart] = []

    def start(*argv: str) -> GuiStart:
        options, rest = parse_common(list(argv))
        assert not rest
        started = start_gui(options)
        assert isinstance(started, GuiStart)
        starts.append(started)
        return started

    yield start
    for started in starts:
        if started.shell is not None:
            for window in list(started.shell.windows):
                window.close()
            started.shell.themes.close()
            started.shell.shutdown()
        elif started.window is not None:
            started.window.close()
        if started.studio is not None:
            started.studio.shutdown()
    # The application is shared by every test: leave it unthemed.
    qapp.setStyleSheet("")
    qapp.setPalette(QPalette())
    QGuiApplication.styleHints().unsetColorScheme()
    theming._active_manager = None


def _wait_ready(qtbot, start: GuiStart) -> None:
    qtbot.waitUntil(lambda: start.ready, timeout=30_000)


def _save_session(geometry: QRect, workspace: str = "models") -> bytes:
    """Write a session as the shell would, with the main window at ``geometry``."""
    window = QMainWindow()
    window.setGeometry(geometry)
    blob = bytes(window.saveGeometry().data())
    window.deleteLater()
    LayoutStore(studio_paths().layouts_dir).save_session([WindowSession(workspace, blob)])
    return blob


def test_the_very_first_start_paints_the_default_theme_early_and_caches_the_look(launch, qtbot):
    cache = first_frame_file(studio_paths())
    first = launch()  # no settings, no cache, no plugin index
    assert first.frame is not None and first.frame.look.theme == "cobalt"
    _wait_ready(qtbot, first)
    current = first.shell.themes.current
    assert current.id == "cobalt"
    # The default look is the default theme's palette exactly: no recolour once the shell is up.
    assert first.frame.look.palette == palette_roles(current)
    look = read_first_frame_look(cache)
    assert look is not None and look.theme == current.id
    assert look.palette["Window"] == current["bg"]
    assert look.stylesheet == first.shell.themes.qss(current)


def test_settings_without_a_cache_mean_no_early_frame(launch, qtbot):
    paths = studio_paths()
    paths.config.mkdir(parents=True, exist_ok=True)
    paths.settings_file.write_text('{"appearance": {"theme": "light"}}')
    start = launch()  # the user's theme is unknown before the core: everything starts first
    assert start.frame is None and start.ready
    assert start.shell.themes.current.id == "light"
    assert read_first_frame_look(first_frame_file(paths)).theme == "light"


def test_a_returning_start_paints_the_window_before_the_core_and_builds_into_it(launch, qtbot):
    geometry = QRect(40, 30, 700, 500)
    write_first_frame_look(first_frame_file(studio_paths()), LOOK)
    _save_session(geometry, workspace="models")

    start = launch()
    frame = start.frame
    assert frame is not None and not start.ready  # the core and the shell come after it
    window = start.window
    assert window is frame.window and window.isVisible() and not window.attached
    assert window.geometry().size() == geometry.size()
    assert window.palette().color(QPalette.ColorRole.Window) == QColor("#2e3440")
    assert window.statusBar().currentMessage() == "Starting…"
    assert [a.text() for a in window.menuBar().actions()] == ["&File", "&View", "&Tools", "&Help"]
    frames: list[bool] = []  # once for the first frame, once for the shell's
    window.first_frame_shown.connect(lambda: frames.append(True))

    _wait_ready(qtbot, start)
    assert start.shell.main_window is window and window.attached  # the same window, built in
    assert window.workspace == "models" and window.docks
    assert window.geometry().size() == geometry.size()  # not moved or resized again
    assert window.statusBar().currentMessage() == ""
    # The shell's own frame follows, and with it the views and the plugins.
    qtbot.waitUntil(lambda: len(frames) == 2, timeout=10_000)
    qtbot.waitUntil(lambda: start.studio.started, timeout=30_000)
    assert any(dock.materialized for dock in window.docks.values())


def test_an_explicit_theme_or_a_screenshot_starts_everything_first(launch, qtbot, tmp_path):
    cache = first_frame_file(studio_paths())
    write_first_frame_look(cache, LOOK)
    themed = launch("--theme", "light")
    assert themed.frame is None and themed.ready
    assert themed.shell.themes.current.id == "light"
    themed.shell.save_session()
    own = themed.studio.settings.get("appearance", "theme")
    assert own != "light"
    assert read_first_frame_look(cache).theme == own  # a one-off theme is not the next start's
    themed.shell.set_theme("light")  # ...until the user chooses it
    assert read_first_frame_look(cache).theme == "light"
    shot = launch("--screenshot", str(tmp_path / "shot.png"))
    assert shot.frame is None and shot.ready and not shot.window.isVisible()


def test_a_failure_after_the_first_frame_ends_the_loop_and_is_raised(launch, qtbot):
    write_first_frame_look(first_frame_file(studio_paths()), LOOK)
    start = launch()
    assert start.frame is not None

    def broken(_start: GuiStart) -> None:
        raise RuntimeError("the shell could not start")

    start.on_ready.append(broken)
    with pytest.raises(RuntimeError, match="the shell could not start"):
        start.run()  # the event loop runs the rest of the start, which fails
    assert start.failure is not None


def test_closing_the_window_before_the_shell_exists_is_allowed(launch, qtbot):
    write_first_frame_look(first_frame_file(studio_paths()), LOOK)
    start = launch()
    assert start.window.close() is True
    assert not start.window.isVisible()


def test_the_shell_keeps_the_cache_in_step_with_the_theme(launch, qtbot):
    start = launch()
    _wait_ready(qtbot, start)
    cache = first_frame_file(studio_paths())
    start.shell.set_theme("light")
    look = read_first_frame_look(cache)
    light = start.shell.themes.theme("light")
    assert look is not None and look.theme == "light" and look.dark is False
    assert look.palette["Window"] == light["bg"]
    start.studio.settings.set("general", "restore_session", False)
    start.shell.save_session()
    look = read_first_frame_look(cache)
    assert look is not None and look.restore_session is False


def test_no_saved_session_is_used_when_the_cache_says_so(launch, qtbot):
    write_first_frame_look(first_frame_file(studio_paths()),
                           FirstFrameLook(theme="nord", dark=True, palette=LOOK.palette,
                                          restore_session=False))
    _save_session(QRect(40, 30, 700, 500), workspace="models")
    start = launch()
    assert start.frame is not None and start.frame.sessions == [WindowSession("dashboard")]
    _wait_ready(qtbot, start)
    assert start.window.workspace == "dashboard"


def test_a_read_only_shell_never_writes_the_cache(launch, qtbot, tmp_path):
    cache = first_frame_file(studio_paths())
    launch("--screenshot", str(tmp_path / "shot.png"))
    assert not cache.exists()
