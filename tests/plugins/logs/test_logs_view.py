"""The Logs view driven like a user would (pytest-qt, offscreen): open, scroll, search, filter,
follow while a writer appends, rotation, truncation, delete/recreate, odd bytes, huge lines."""

from __future__ import annotations

import os
import threading
import time

import pytest
from logdata import TRACEBACK, python_log_lines, write_lines
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication, QWheelEvent
from PySide6.QtWidgets import QApplication, QDialog, QPlainTextEdit

from studio.plugins.logs.api import logs_service, open_log
from studio.plugins.logs.widgets.log_tab import LogTab
from studio.plugins.logs.widgets.logs_view import LogsView


@pytest.fixture
def make_tab(qtbot, studio):
    tabs = []

    def factory(path, *, follow=False) -> LogTab:
        service = logs_service(studio)
        tab = LogTab(service, service.open_document(path), follow=follow)
        qtbot.addWidget(tab)
        tab.resize(1000, 600)
        tab.show()
        qtbot.waitExposed(tab)
        with qtbot.waitActive(tab):  # shortcuts (Ctrl+B, F2 …) go to the active window only
            tab.activateWindow()
        tabs.append(tab)
        return tab

    yield factory
    for tab in tabs:
        tab.close_document()


def loaded(tab: LogTab) -> bool:
    return tab.doc.complete and tab.load_job is None


def visible_lines(view) -> list[int]:
    return [row.line for row in view.view_rows(view.top, view.visible_rows())]


def visible_texts(view) -> list[str]:
    return [row.rendered.text for row in view.view_rows(view.top, view.visible_rows())]


def append(path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)


def test_open_and_scroll_to_the_end(qtbot, make_tab, tmp_path) -> None:
    lines = python_log_lines(120_000)
    write_lines(tmp_path / "big.log", lines)
    tab = make_tab(tmp_path / "big.log")
    assert visible_texts(tab.view)[0] == lines[0]  # the head before indexing finished
    qtbot.waitUntil(lambda: loaded(tab), timeout=60_000)
    tab.view.setFocus()
    qtbot.keyClick(tab.view, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    assert visible_lines(tab.view)[-1] == len(lines) - 1 and tab.view.at_bottom()
    assert tab.view.current_line == len(lines) - 1
    tab.view.grab()  # paints without error
    qtbot.keyClick(tab.view, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    assert tab.view.top == 0
    assert f"{len(lines):,} lines" in tab.status.text()


def test_scaled_scroll_bar_reaches_every_line(qtbot, make_tab, tmp_path, monkeypatch) -> None:
    from studio.plugins.logs.widgets import viewport

    monkeypatch.setattr(viewport, "SCROLL_RANGE", 1000)  # the path 50 M-line logs take
    write_lines(tmp_path / "many.log", [f"line {i}" for i in range(200_000)])
    tab = make_tab(tmp_path / "many.log")
    qtbot.waitUntil(lambda: loaded(tab), timeout=60_000)
    bar = tab.view.verticalScrollBar()
    assert bar.maximum() == 1000
    bar.setValue(bar.maximum())
    assert visible_lines(tab.view)[-1] == 199_999
    bar.setValue(500)
    assert abs(tab.view.top - tab.view.max_top() // 2) <= tab.view.max_top() / 1000
    tab.view.setFocus()
    before = tab.view.top
    qtbot.keyClick(tab.view, Qt.Key.Key_PageDown)
    assert tab.view.top > before
    before = tab.view.top
    wheel = QWheelEvent(QPointF(50, 50), QPointF(50, 50), QPoint(0, 0), QPoint(0, -240),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(tab.view.viewport(), wheel)
    assert tab.view.top == before + 6  # two notches, three lines each


def test_resizing_keeps_the_end_or_the_current_line_in_view(qtbot, make_tab, studio,
                                                            tmp_path) -> None:
    write_lines(tmp_path / "resize.log", [f"line {i}" for i in range(5_000)])
    tab = make_tab(tmp_path / "resize.log")
    qtbot.waitUntil(lambda: loaded(tab), timeout=60_000)
    tab.view.set_top(tab.view.max_top())  # at the end: a taller or shorter window stays there
    tab.resize(1000, 300)
    qtbot.waitUntil(lambda: tab.view.at_bottom() and visible_lines(tab.view)[-1] == 4_999)
    tab.resize(1000, 700)
    qtbot.waitUntil(lambda: tab.view.at_bottom() and visible_lines(tab.view)[-1] == 4_999)
    tab.view.go_to_line(2_000)
    tab.view.set_top(2_000 - tab.view.visible_rows() + 1)
    assert visible_lines(tab.view)[-1] == 2_000  # the current line at the bottom edge
    tab.resize(1000, 200)  # shrinking would hide it: the view moves to keep it
    qtbot.waitUntil(lambda: tab.view.visible_rows() < 20)
    assert 2_000 in visible_lines(tab.view)
    tab.view.set_top(100)  # scrolled away from the current line by the user: left alone
    tab.resize(1000, 400)
    qtbot.waitUntil(lambda: tab.view.visible_rows() > 20)
    assert tab.view.top == 100
    service = logs_service(studio)  # opened at its end while hidden, then shown smaller
    followed = LogTab(service, service.open_document(tmp_path / "resize.log"), follow=True)
    qtbot.addWidget(followed)
    followed.resize(1000, 200)
    followed.show()
    qtbot.waitExposed(followed)
    qtbot.waitUntil(lambda: loaded(followed), timeout=60_000)
    try:
        assert followed.view.at_bottom() and visible_lines(followed.view)[-1] == 4_999
    finally:
        followed.close_document()


def test_search_highlights_counts_and_steps(qtbot, make_tab, tmp_path) -> None:
    lines = python_log_lines(20_000)
    write_lines(tmp_path / "s.log", lines)
    tab = make_tab(tmp_path / "s.log")
    expected = [i for i, line in enumerate(lines) if "Traceback" in line]
    qtbot.keyClicks(tab.search.pattern, "Traceback")
    qtbot.waitUntil(lambda: tab.result is not None and tab.result.complete
                    and tab.search_job is None, timeout=30_000)
    assert tab.result.lines.tolist() == expected
    assert tab.search.count.text() == f"{len(expected):,} matches"
    qtbot.keyClick(tab.search.pattern, Qt.Key.Key_Return)
    assert tab.view.current_line == expected[0]
    assert tab.search.count.text() == f"1 of {len(expected):,}"
    rows = tab.view.view_rows(tab.view.top, tab.view.visible_rows())
    spans = tab.view.spans_for(rows)
    assert spans[expected[0]] == [(0, 9)]
    qtbot.keyClick(tab.search.pattern, Qt.Key.Key_Return)
    assert tab.view.current_line == expected[1]
    qtbot.keyClick(tab.search.pattern, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert tab.view.current_line == expected[0]


def test_filter_view_lists_matches_and_jumps_back(qtbot, make_tab, tmp_path) -> None:
    lines = python_log_lines(5000)
    write_lines(tmp_path / "f.log", lines)
    tab = make_tab(tmp_path / "f.log")
    qtbot.waitUntil(lambda: loaded(tab), timeout=30_000)
    tab.search.filter.click()
    tab.search.level_actions[5].setChecked(True)  # errors only
    qtbot.waitUntil(lambda: tab.result is not None and tab.result.complete
                    and tab.search_job is None, timeout=30_000)
    errors = tab.result.lines.tolist()
    assert errors and tab.filter_view.isVisible()
    assert tab.filter_view.row_count() == len(errors)
    third = tab.filter_view.view_rows(2, 1)[0]
    assert third.line == errors[2] and third.rendered.text == lines[errors[2]]
    y = 2 * tab.filter_view.line_height + 2
    qtbot.mouseClick(tab.filter_view.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(tab.filter_view.text_left() + 30, y))
    assert tab.view.current_line == errors[2]
    assert errors[2] in visible_lines(tab.view)


def test_follow_while_a_writer_appends(qtbot, make_tab, tmp_path) -> None:
    path = tmp_path / "live.log"
    write_lines(path, python_log_lines(50))
    tab = make_tab(path, follow=True)
    qtbot.waitUntil(lambda: loaded(tab), timeout=30_000)

    def writer() -> None:
        for index in range(200):
            append(path, f"2025-12-22 12:00:00,000 - writer - INFO - appended {index}\n")
            time.sleep(0.002)  # a writer flushing now and then, not a test wait

    thread = threading.Thread(target=writer)
    thread.start()
    qtbot.waitUntil(lambda: tab.doc.line_count == 250
                    and visible_lines(tab.view)[-1] == 249, timeout=30_000)
    thread.join()
    assert visible_texts(tab.view)[-1].endswith("appended 199") and tab.view.at_bottom()
    tab.view.set_top(0)  # the user scrolls up: new lines must not move the view
    append(path, "one more\n")
    qtbot.waitUntil(lambda: tab.doc.line_count == 251, timeout=10_000)
    assert tab.view.top == 0


@pytest.mark.parametrize("change", ["rotate", "rotate-seen-midway", "truncate",
                                    "delete-recreate"])
def test_rotation_truncation_and_recreation_are_marked(qtbot, make_tab, tmp_path, change) -> None:
    path = tmp_path / "live.log"
    write_lines(path, python_log_lines(300))
    tab = make_tab(path, follow=True)
    qtbot.waitUntil(lambda: loaded(tab), timeout=30_000)
    if change == "rotate":
        os.rename(path, tmp_path / "live.log.1")
        path.write_text("rotated line\n")
        words = "rotated"
    elif change == "rotate-seen-midway":  # a poll between the rename and the new file
        os.rename(path, tmp_path / "live.log.1")
        qtbot.waitUntil(lambda: "renamed away" in tab.info.text(), timeout=10_000)
        assert "moved away" in tab.status.text() and tab.doc.line_count == 300
        path.write_text("rotated line\n")
        words = "rotated"
    elif change == "truncate":
        with open(path, "r+b") as handle:
            handle.truncate(0)
        append(path, "rotated line\n")
        words = "truncated"
    else:
        path.unlink()
        qtbot.waitUntil(lambda: "deleted" in tab.info.text(), timeout=10_000)
        assert tab.doc.line_count == 300  # still readable
        path.write_text("rotated line\n")
        words = "created again"
    qtbot.waitUntil(lambda: words in tab.info.text() and tab.doc.line_count == 1,
                    timeout=10_000)
    assert tab.info.isVisible() and "300 lines before" in tab.info.text()
    assert visible_texts(tab.view) == ["rotated line"]
    append(path, "and more\n")
    qtbot.waitUntil(lambda: visible_texts(tab.view) == ["rotated line", "and more"],
                    timeout=10_000)


def test_invalid_utf8_binary_and_an_empty_file(qtbot, make_tab, tmp_path) -> None:
    (tmp_path / "bad.log").write_bytes(b"ok \xff\xfe\n\x00\x07\x1b[2J\n")
    tab = make_tab(tmp_path / "bad.log")
    assert visible_texts(tab.view) == ["ok \ufffd\ufffd", "\\x00\\x07\\x1b[2J"]
    tab.view.grab()
    (tmp_path / "empty.log").write_bytes(b"")
    empty = make_tab(tmp_path / "empty.log", follow=True)
    empty.view.grab()
    for key in (Qt.Key.Key_Down, Qt.Key.Key_PageDown, Qt.Key.Key_End):
        qtbot.keyClick(empty.view, key)
    assert empty.view.row_count() == 0
    append(tmp_path / "empty.log", "first line\n")
    qtbot.waitUntil(lambda: visible_texts(empty.view) == ["first line"], timeout=10_000)


def test_ten_megabyte_line_is_truncated_and_expands(qtbot, make_tab, tmp_path) -> None:
    big = "y" * (10 << 20)
    (tmp_path / "long.log").write_text(f"short\n{big}\nend\n")
    tab = make_tab(tmp_path / "long.log")
    qtbot.waitUntil(lambda: loaded(tab), timeout=30_000)
    row = tab.view.view_rows(1, 1)[0]
    assert row.rendered.truncated and len(row.rendered.text) < 100_000
    tab.view.grab()
    hbar = tab.view.horizontalScrollBar()
    assert hbar.maximum() > tab.view.viewport().width()  # the long line scrolls sideways
    hbar.setValue(hbar.maximum())
    assert tab.view.hscroll == hbar.maximum()
    tab.view.grab()
    hbar.setValue(0)
    y = tab.view.line_height + 2
    qtbot.mouseDClick(tab.view.viewport(), Qt.MouseButton.LeftButton,
                      pos=QPoint(tab.view.text_left() + 40, y))
    dialog = tab.findChild(QDialog, "logs-whole-line")
    assert dialog is not None and dialog.isVisible()
    text = dialog.findChild(QPlainTextEdit).toPlainText()
    assert text.replace("\n", "") == big
    dialog.close()


def test_selection_and_copy(qtbot, make_tab, tmp_path) -> None:
    write_lines(tmp_path / "c.log", ["alpha one", "beta two", "gamma three"])
    tab = make_tab(tmp_path / "c.log")
    view = tab.view
    x0 = view.text_left()
    start = QPoint(int(x0 + 6 * view.char_width), 2)
    end = QPoint(int(x0 + 4 * view.char_width), view.line_height + 2)
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(view.viewport(), end)
    view.mouseMoveEvent(_drag(end))
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=end)
    assert view.selected_text() == "one\nbeta"
    qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == "one\nbeta"


def _drag(point: QPoint):
    from PySide6.QtGui import QMouseEvent

    return QMouseEvent(QMouseEvent.Type.MouseMove, QPointF(point), QPointF(point),
                       Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)


def test_tracebacks_are_grouped_and_fold(qtbot, make_tab, tmp_path) -> None:
    lines = ["2025-12-22 10:00:00,000 - app - INFO - start",
             "2025-12-22 10:00:01,000 - app - ERROR - boom", *TRACEBACK,
             "2025-12-22 10:00:02,000 - app - INFO - after"]
    write_lines(tmp_path / "tb.log", lines)
    tab = make_tab(tmp_path / "tb.log")
    view = tab.view
    view.grab()
    blocks = view.painter_.blocks
    assert [(b.first, b.last) for b in blocks] == [(2, 7)]
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(view.fold_left() + 2, 2 * view.line_height + 2))
    assert view.row_count() == len(lines) - 5
    assert visible_texts(view)[2] == TRACEBACK[0] and visible_texts(view)[3].endswith("after")


def test_bookmarks_persist_per_file(qtbot, make_tab, tmp_path, studio) -> None:
    write_lines(tmp_path / "b.log", [f"line {i}" for i in range(100)])
    tab = make_tab(tmp_path / "b.log")
    tab.view.go_to_line(41)
    tab.view.setFocus()
    qtbot.keyClick(tab.view, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    tab.view.go_to_line(7)
    tab.toggle_bookmark()
    assert tab.view.bookmarks == {7, 41}
    again = make_tab(tmp_path / "b.log")
    assert again.view.bookmarks == {7, 41}
    again.view.go_to_line(0)
    again.view.setFocus()
    qtbot.keyClick(again.view, Qt.Key.Key_F2)
    assert again.view.current_line == 7
    stored = logs_service(studio).bookmarks.path
    assert stored.is_relative_to(studio.paths.state)


def test_go_to_time_dialog(qtbot, make_tab, tmp_path) -> None:
    lines = python_log_lines(3000, tracebacks=False)
    write_lines(tmp_path / "t.log", lines)
    tab = make_tab(tmp_path / "t.log")
    qtbot.waitUntil(lambda: loaded(tab), timeout=30_000)
    target = lines[1500][:19]  # "2025-12-22 HH:MM:SS"

    def answer() -> None:
        from PySide6.QtWidgets import QInputDialog

        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QInputDialog)
        dialog.setTextValue(target)
        dialog.accept()

    from PySide6.QtCore import QTimer

    QTimer.singleShot(0, answer)
    tab.go_to_time_dialog()
    assert lines[tab.view.current_line].startswith(target)
    assert not lines[tab.view.current_line - 1].startswith(target)


def test_logs_view_opens_drops_and_reports_problems(qtbot, studio, tmp_path,
                                                   denied_file) -> None:
    from studio.shell.api import ViewContext

    view = LogsView(ViewContext(studio, None, None, "logs.viewer"))
    qtbot.addWidget(view)
    view.show()
    assert view.open_path(denied_file) is None
    assert view.banner.isVisible() and "permission denied" in view.banner.text()
    assert view.tabs.count() == 0
    write_lines(tmp_path / "a.log", ["a"])
    write_lines(tmp_path / "b.log", ["b"])
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(tmp_path / "a.log")),
                  QUrl.fromLocalFile(str(tmp_path / "b.log"))])
    drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, data,
                      Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    view.dropEvent(drop)
    assert [view.tabs.tabText(i) for i in range(view.tabs.count())] == ["a.log", "b.log"]
    assert not view.banner.isVisible()
    assert view.open_path(tmp_path / "a.log") is view.tabs.widget(0)  # no second tab
    view.close_all()
    assert view.pages.currentIndex() == 0 and view.recent_list.count() >= 2


def test_open_log_from_another_plugin_switches_to_the_logs_workspace(qtbot, studio_shell,
                                                                    tmp_path) -> None:
    write_lines(tmp_path / "run.log", [f"line {i}" for i in range(100)])
    studio = studio_shell.studio
    open_log(studio, tmp_path / "run.log", line=40)
    window = studio_shell.main_window
    qtbot.waitUntil(lambda: window.workspace == "logs" and any(
        view.tabs.count() for view in logs_service(studio).views), timeout=10_000)
    view = next(iter(logs_service(studio).views))
    assert view.current_tab().view.current_line == 39
    with pytest.raises(ValueError, match="start at 1"):
        open_log(studio, tmp_path / "run.log", line=0)


def test_a_running_search_can_be_cancelled(qtbot, make_tab, tmp_path, monkeypatch) -> None:
    from studio.plugins.logs import document

    monkeypatch.setattr(document, "CHUNK_MAPPED", 64 * 1024)  # many chunks: cancel points
    write_lines(tmp_path / "big.log", python_log_lines(300_000, tracebacks=False))
    tab = make_tab(tmp_path / "big.log")
    qtbot.waitUntil(lambda: loaded(tab), timeout=60_000)
    tab.search.regex.setChecked(True)
    tab.search.pattern.setText(r"^(\w+).*\b\1\b")  # a back-reference: PCRE2 on every line
    tab.search._emit()
    job = tab.search_job
    assert job is not None and tab.result is not None
    tab.cancel.click()
    qtbot.waitUntil(lambda: job.state.finished, timeout=60_000)
    assert job.state.value == "cancelled"
    assert not tab.result.complete and tab.result.scanned_lines < 300_000
    qtbot.waitUntil(lambda: not tab.progress_row.isVisible(), timeout=10_000)
