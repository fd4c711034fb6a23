"""Opening, indexing and reading logs of any size and encoding (Qt-free)."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest
from logdata import python_log_lines, write_lines

from studio.core.jobs import JobCancelled, JobContext
from studio.plugins.logs.document import INITIAL_BYTES
from studio.plugins.logs.formats import Level
from studio.plugins.logs.source import LogOpenError


def test_open_shows_the_head_before_indexing_the_rest(tmp_path, open_doc) -> None:
    lines = python_log_lines(60_000)
    write_lines(tmp_path / "big.log", lines)
    doc = open_doc(tmp_path / "big.log")
    assert doc.format.id == "python-logging"
    assert not doc.complete and doc.size == INITIAL_BYTES  # only the head so far
    assert [line.text for line in doc.lines(0, 3)] == lines[:3]
    reports = []
    ctx = JobContext(lambda fraction, message: reports.append(fraction), min_interval=0)
    assert doc.load(ctx) == 60_000
    assert doc.complete and reports[-1] == 1.0 and reports == sorted(reports)
    assert doc.lines(59_999, 5)[0].text == lines[-1]
    assert len(doc.lines(59_999, 5)) == 1


def test_a_load_in_many_chunks_indexes_like_the_reference(tmp_path, open_doc,
                                                         monkeypatch) -> None:
    """Chunks end anywhere in a line; the offsets must be the native reference index's."""
    from studio import native
    from studio.plugins.logs import document

    monkeypatch.setattr(document, "INDEX_CHUNK", (1 << 20) + 7)  # unaligned chunk ends
    path = tmp_path / "big.log"
    write_lines(path, python_log_lines(60_000))
    with open(path, "ab") as handle:
        handle.write(b"last line without a newline")
    reference = native.LineIndex()
    reference.update(path.read_bytes())
    expected = reference.line_bounds(0, reference.line_count)
    doc = open_doc(path)
    assert doc.load() == reference.line_count
    got = doc.current.bounds(0, doc.line_count)
    assert all(np.array_equal(g, e) for g, e in zip(got, expected, strict=True))


def test_a_load_stops_where_a_shrunk_file_ends(tmp_path, open_doc, monkeypatch) -> None:
    """The file shrinks after its size was taken (copytruncate, seen only by the next poll):
    the load indexes what is there, never past the end, and stops instead of spinning."""
    from studio.plugins.logs.index import LineIndex
    from studio.plugins.logs.source import LogFile

    path = tmp_path / "big.log"
    write_lines(path, python_log_lines(60_000))
    doc = open_doc(path)
    gen = doc.current
    reported = gen.data.size()
    with open(path, "r+b") as handle:
        handle.truncate(INITIAL_BYTES + 100)  # mid-line: the last line is cut short
    monkeypatch.setattr(LogFile, "size", lambda self: reported)  # the stale size
    steps = []
    original = LineIndex.update_from_file

    def update_from_file(index, path, end):
        steps.append(end)
        assert len(steps) < 100, "the load keeps asking for bytes that are not there"
        return original(index, path, end)

    monkeypatch.setattr(LineIndex, "update_from_file", update_from_file)
    doc.load()
    assert gen.index.indexed_bytes == INITIAL_BYTES + 100
    assert len(steps) == 2  # one step indexes what is left, the next finds nothing and stops
    _, ends = gen.bounds(gen.line_count - 1, 1)
    assert ends[0] <= INITIAL_BYTES + 100


def test_index_memory_stays_under_16_bytes_per_line(tmp_path, open_doc) -> None:
    write_lines(tmp_path / "big.log", python_log_lines(200_000, tracebacks=False))
    doc = open_doc(tmp_path / "big.log")
    peak = []
    ctx = JobContext(lambda *_: peak.append(doc.index_memory_bytes), min_interval=0)
    doc.load(ctx)
    assert max(peak) <= 16 * doc.line_count  # while loading (the estimate's spare room)
    assert doc.index_memory_bytes == 4 * doc.line_count  # trimmed: 4 bytes per line


def test_levels_are_classified_with_the_format(tmp_path, open_doc) -> None:
    lines = ["2025-01-01 10:00:00,000 - app - INFO - start",
             "2025-01-01 10:00:01,000 - app - ERROR - failed",
             "Traceback (most recent call last):",
             '  File "x.py", line 1, in <module>',
             "ValueError: bad",
             "2025-01-01 10:00:02,000 - app - WARNING - retry",
             "2025-01-01 10:00:03,000 - app - DEBUG - detail"]
    write_lines(tmp_path / "app.log", lines)
    doc = open_doc(tmp_path / "app.log")
    before = doc.line_levels(0, 7).tolist()  # classified on the fly
    doc.load()
    assert doc.line_levels(0, 7).tolist() == before == [
        Level.INFO, Level.ERROR, Level.ERROR, Level.ERROR, Level.ERROR, Level.WARNING,
        Level.DEBUG]


def test_cancelling_a_load_stops_it(tmp_path, open_doc) -> None:
    write_lines(tmp_path / "big.log", python_log_lines(100_000))
    doc = open_doc(tmp_path / "big.log")
    ctx = JobContext()
    ctx.cancel()
    with pytest.raises(JobCancelled):
        doc.load(ctx)
    assert not doc.complete


def test_empty_file(tmp_path, open_doc) -> None:
    (tmp_path / "empty.log").write_bytes(b"")
    doc = open_doc(tmp_path / "empty.log")
    assert doc.line_count == 0 and doc.complete and doc.lines(0, 10) == []
    assert doc.load() == 0
    assert doc.line_levels(0, 5).size == 0


def test_last_line_without_newline(tmp_path, open_doc) -> None:
    (tmp_path / "x.log").write_bytes(b"one\ntwo")
    doc = open_doc(tmp_path / "x.log")
    assert [line.text for line in doc.lines(0, 5)] == ["one", "two"]
    assert doc.current.terminated_lines == 1


def test_invalid_utf8_and_binary_bytes_never_fail(tmp_path, open_doc) -> None:
    every_byte = bytes(b for b in range(256) if b != 10)
    data = b"ok \xff\xfe\xfd\n\x00\x01\x02\x03 binary\n" + every_byte + b"\n"
    (tmp_path / "bin.log").write_bytes(data)
    doc = open_doc(tmp_path / "bin.log")
    doc.load()
    texts = [line.text for line in doc.lines(0, 3)]
    assert texts[0] == "ok \ufffd\ufffd\ufffd"
    assert texts[1] == "\\x00\\x01\\x02\\x03 binary"
    assert "\ufffd" in texts[2] and "\\x1f" in texts[2]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_logs_by_bom(tmp_path, open_doc, encoding) -> None:
    bom = b"\xff\xfe" if encoding.endswith("le") else b"\xfe\xff"
    lines = ["2025-01-01 10:00:00,000 - app - ERROR - échec", "second line ✓"]
    text = "\r\n".join(lines) + "\r\n"
    (tmp_path / "w.log").write_bytes(bom + text.encode(encoding))
    doc = open_doc(tmp_path / "w.log")
    doc.load()
    assert doc.encoding == encoding
    assert [line.text for line in doc.lines(0, 5)] == lines
    assert doc.line_levels(0, 1).tolist() == [Level.ERROR]
    copy = doc.current.transcoder.target
    assert copy.is_relative_to(tmp_path / "cache") and copy.exists()
    doc.close()
    assert not copy.exists()  # the UTF-8 copy goes with the log


def test_ten_megabyte_single_line(tmp_path, open_doc) -> None:
    line = b"x" * (10 << 20)
    (tmp_path / "long.log").write_bytes(b"before\n" + line + b"\nafter\n")
    doc = open_doc(tmp_path / "long.log")
    doc.load()
    rendered = doc.lines(0, 3)
    assert [r.text for r in (rendered[0], rendered[2])] == ["before", "after"]
    assert rendered[1].truncated and rendered[1].length == len(line)
    assert len(rendered[1].text) < 100_000
    assert doc.raw_line(1) == line  # the whole line on request


def test_missing_file_and_folder_have_clear_errors(tmp_path, open_doc) -> None:
    with pytest.raises(LogOpenError, match="no such file"):
        open_doc(tmp_path / "nope.log")
    with pytest.raises(LogOpenError, match="is a folder"):
        open_doc(tmp_path)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX FIFO")
def test_a_fifo_is_refused_without_hanging(tmp_path, open_doc) -> None:
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(LogOpenError, match="not a regular file"):
        open_doc(tmp_path / "pipe")


def test_permission_denied_names_the_file(denied_file, open_doc) -> None:
    with pytest.raises(LogOpenError, match=rf"{denied_file.name}: permission denied: the studio "
                                           "runs as"):
        open_doc(denied_file)


def test_line_levels_match_a_full_classification(tmp_path, open_doc) -> None:
    write_lines(tmp_path / "big.log", python_log_lines(30_000))
    doc = open_doc(tmp_path / "big.log")
    on_the_fly = doc.line_levels(100, 50)
    doc.load()
    assert np.array_equal(on_the_fly, doc.line_levels(100, 50))
