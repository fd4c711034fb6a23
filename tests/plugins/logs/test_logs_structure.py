"""Tracebacks as groups, folded rows, time navigation, bookmarks and recent files (Qt-free)."""

from __future__ import annotations

import json

import pytest
from logdata import TRACEBACK, python_log_lines, write_lines

from studio.plugins.logs.navigation import find_time, first_timestamp
from studio.plugins.logs.stores import BookmarkStore, RecentFiles
from studio.plugins.logs.structure import LineRows, MatchRows, traceback_blocks


def test_traceback_blocks_with_chained_exceptions() -> None:
    texts = ["2025 INFO start", *TRACEBACK, "",
             "During handling of the above exception, another exception occurred:", "",
             *TRACEBACK, "2025 INFO after"]
    blocks = traceback_blocks(100, texts)
    assert [(b.first, b.last) for b in blocks] == [(101, 106), (110, 115)]
    assert blocks[0].summary == "RuntimeError: CUDA out of memory"
    # a block still open at the end of the window ends there
    assert [(b.first, b.last) for b in traceback_blocks(0, TRACEBACK[:3])] == [(0, 2)]
    assert traceback_blocks(0, ["  indented", "plain"]) == []


def test_folding_maps_rows_to_lines() -> None:
    rows = LineRows()
    rows.set_line_count(100)
    block = traceback_blocks(10, TRACEBACK)[0]  # lines 10..15
    assert rows.toggle_fold(block)
    assert rows.row_count() == 95
    assert [rows.line_of(r) for r in (9, 10, 11, 94)] == [9, 10, 16, 99]
    assert [rows.row_of(line) for line in (10, 13, 16)] == [10, 10, 11]
    second = traceback_blocks(50, TRACEBACK)[0]
    rows.toggle_fold(second)
    assert rows.row_count() == 90 and rows.line_of(45) == 50 and rows.line_of(46) == 56
    assert not rows.toggle_fold(block)  # unfold
    assert rows.row_count() == 95 and rows.line_of(45) == 45
    rows.set_line_count(40)  # the file restarted: folds past the end go
    assert rows.row_count() == 40


def test_match_rows() -> None:
    import numpy as np

    rows = MatchRows(np.array([3, 8, 20]))
    assert rows.row_count() == 3 and rows.line_of(1) == 8 and rows.row_of(9) == 2


def test_find_time_bisects_timestamps(tmp_path, open_doc) -> None:
    lines = python_log_lines(5000)
    write_lines(tmp_path / "t.log", lines)
    doc = open_doc(tmp_path / "t.log")
    doc.load()
    parse = doc.format.timestamp
    times = [parse(line) for line in lines]
    target = times[3210]
    expected = next(i for i, t in enumerate(times) if t is not None and t >= target)
    assert find_time(doc, target) == expected
    assert find_time(doc, first_timestamp(doc) - 10) == 0
    assert find_time(doc, times[-1] + 10_000) == len(lines) - 1


def test_find_time_without_timestamps(tmp_path, open_doc) -> None:
    write_lines(tmp_path / "t.log", ["llama_model_loader: x", "srv  y"])
    doc = open_doc(tmp_path / "t.log")
    assert doc.format.timestamp is None and find_time(doc, 0.0) is None


def test_bookmarks_and_recent_files_persist(tmp_path) -> None:
    bookmarks = BookmarkStore(tmp_path / "state" / "bookmarks.json")
    assert bookmarks.toggle("/logs/a.log", 41) and bookmarks.toggle("/logs/a.log", 7)
    bookmarks.flush()
    again = BookmarkStore(tmp_path / "state" / "bookmarks.json")
    assert again.lines("/logs/a.log") == [7, 41] and again.lines("/other") == []
    assert not again.toggle("/logs/a.log", 41)
    again.flush()
    assert BookmarkStore(again.path).lines("/logs/a.log") == [7]
    recent = RecentFiles(tmp_path / "state" / "recent.json")
    for name in ("a", "b", "a"):
        recent.add(f"/logs/{name}.log")
    assert recent.items() == ["/logs/a.log", "/logs/b.log"]
    for index in range(30):
        recent.add(f"/logs/{index}.log")
    recent.flush()
    assert len(RecentFiles(tmp_path / "state" / "recent.json").items()) == RecentFiles.LIMIT


def test_a_damaged_store_is_kept_and_reset(tmp_path) -> None:
    path = tmp_path / "bookmarks.json"
    path.write_text("{not json")
    store = BookmarkStore(path)
    assert store.lines("/x") == []
    assert (tmp_path / "bookmarks.json.bak").read_text() == "{not json"
    assert "unreadable" in store.problem
    store.toggle("/x", 1)
    store.flush()
    assert json.loads(path.read_text())["files"] == {"/x": {"lines": [1]}}


def test_the_service_keeps_its_files_in_the_studio_state(studio, tmp_path) -> None:
    from studio.plugins.logs.api import logs_service

    service = logs_service(studio)
    log = tmp_path / "user" / "train.log"
    log.parent.mkdir()
    log.write_text("x\n")
    service.bookmarks.toggle(str(log), 0)
    service.open_document(log).close()
    assert service.bookmarks.path.is_relative_to(studio.paths.state)
    assert service.recent.items()[0] == str(log)
    assert sorted(p.name for p in log.parent.iterdir()) == ["train.log"]  # nothing beside it


@pytest.mark.parametrize("top", [0, 1, 12_345_678, 49_999_950])
def test_scroll_mapping_of_50m_lines_stays_in_qt_int_range(top) -> None:
    from studio.plugins.logs.widgets.viewport import SCROLL_RANGE, scroll_value, top_for_value

    max_top = 49_999_950
    value = scroll_value(top, max_top)
    assert 0 <= value <= SCROLL_RANGE < 2**31
    assert abs(top_for_value(value, max_top) - top) <= max_top / SCROLL_RANGE
    huge = 5 * 10**12  # lines of a file that could never fit a 32-bit scroll bar
    assert top_for_value(scroll_value(huge // 3, huge), huge) == pytest.approx(huge // 3,
                                                                              rel=1e-6)
