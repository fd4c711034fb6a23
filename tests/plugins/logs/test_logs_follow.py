"""tail -F semantics on a real file: appends, truncation, rotation, delete and recreate."""

from __future__ import annotations

import os

from logdata import python_log_lines, write_lines

from studio.plugins.logs.follow import ChangeKind


def append(path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)


def texts(doc) -> list[str]:
    return [line.text for line in doc.lines(0, doc.line_count)]


def test_appended_lines_are_indexed_and_classified(tmp_path, open_doc) -> None:
    path = tmp_path / "live.log"
    write_lines(path, python_log_lines(10))
    doc = open_doc(path)
    doc.load()
    seen = []
    doc.subscribe(seen.append)
    assert doc.sync().kind is ChangeKind.NONE
    append(path, "2025-12-22 11:00:00,000 - trainer - ERROR - out of memory\npartial")
    assert doc.sync().kind is ChangeKind.APPENDED
    assert doc.line_count == 12 and texts(doc)[-2:] == [
        "2025-12-22 11:00:00,000 - trainer - ERROR - out of memory", "partial"]
    assert doc.line_levels(10, 1).tolist() == [5]
    append(path, " line\n")  # the last line grows
    doc.sync()
    assert texts(doc)[-1] == "partial line" and doc.line_count == 12
    assert [change.kind for change in seen] == ["appended", "appended"]
    assert doc.generation == 0 and not doc.events


def test_copytruncate_restarts_with_a_marker(tmp_path, open_doc) -> None:
    path = tmp_path / "live.log"
    write_lines(path, python_log_lines(100))
    doc = open_doc(path)
    doc.load()
    with open(path, "r+b") as handle:  # what logrotate's copytruncate does
        handle.truncate(0)
    append(path, "fresh start\n")
    change = doc.sync()
    assert change.kind is ChangeKind.TRUNCATED
    assert texts(doc) == ["fresh start"] and doc.generation == 1
    event = doc.events[-1]
    assert event.kind is ChangeKind.TRUNCATED and event.lines_before == 100
    assert "truncated" in event.description


def test_rotation_follows_the_new_file(tmp_path, open_doc) -> None:
    path = tmp_path / "live.log"
    path.write_text("old 1\nold 2\n")
    doc = open_doc(path)
    os.rename(path, tmp_path / "live.log.1")  # rename + new file
    path.write_text("new 1\n")
    assert doc.sync().kind is ChangeKind.ROTATED
    assert texts(doc) == ["new 1"]
    append(path, "new 2\n")
    assert doc.sync().kind is ChangeKind.APPENDED
    assert texts(doc) == ["new 1", "new 2"]


def test_a_check_between_the_rename_and_the_new_file_is_not_a_delete(tmp_path, open_doc) -> None:
    # logrotate renames the log and the writer then creates it again: a poll can land between.
    path = tmp_path / "live.log"
    path.write_text("old 1\n")
    doc = open_doc(path)
    os.rename(path, tmp_path / "live.log.1")
    assert doc.sync().kind is ChangeKind.MOVED
    assert texts(doc) == ["old 1"]  # still readable while the new file is awaited
    assert doc.sync().kind is ChangeKind.NONE  # reported once
    path.write_text("new 1\n")
    assert doc.sync().kind is ChangeKind.ROTATED
    assert texts(doc) == ["new 1"]
    assert [event.kind for event in doc.events] == [ChangeKind.MOVED, ChangeKind.ROTATED]


def test_delete_then_recreate(tmp_path, open_doc) -> None:
    path = tmp_path / "live.log"
    path.write_text("before\n")
    doc = open_doc(path)
    path.unlink()
    assert doc.sync().kind is ChangeKind.DELETED
    assert texts(doc) == ["before"]  # the last content stays readable
    assert doc.sync().kind is ChangeKind.NONE  # reported once
    path.write_text("after\n")
    assert doc.sync().kind is ChangeKind.RECREATED
    assert texts(doc) == ["after"]
    assert [event.kind for event in doc.events] == [ChangeKind.DELETED, ChangeKind.RECREATED]


def test_rewritten_in_place_is_not_an_append(tmp_path, open_doc) -> None:
    path = tmp_path / "live.log"
    path.write_text("aaaa\n")
    doc = open_doc(path)
    with open(path, "r+") as handle:  # same inode, new head, larger
        handle.write("bbbb\ncccc\n")
    assert doc.sync().kind is ChangeKind.REWRITTEN
    assert texts(doc) == ["bbbb", "cccc"]


def test_appends_to_a_utf16_log(tmp_path, open_doc) -> None:
    path = tmp_path / "w.log"
    path.write_bytes(b"\xff\xfe" + "one\n".encode("utf-16-le"))
    doc = open_doc(path)
    with open(path, "ab") as handle:
        handle.write("two ✓\n".encode("utf-16-le"))
    assert doc.sync().kind is ChangeKind.APPENDED
    assert texts(doc) == ["one", "two ✓"]


def test_service_watcher_syncs_followed_files(studio, tmp_path) -> None:
    import threading

    from studio.plugins.logs.api import logs_service

    service = logs_service(studio)
    path = tmp_path / "live.log"
    path.write_text("one\n")
    doc = service.open_document(path)
    synced = threading.Event()
    handle = service.watch(doc, follow=True,
                           on_sync=lambda change: change.kind == "appended" and synced.set())
    try:
        append(path, "two\n")
        assert synced.wait(10), "the follow watcher did not pick up the append"
        assert texts(doc) == ["one", "two"]
    finally:
        handle.cancel()
        doc.close()
