"""Search and filter over real files, checked against Python's re line by line (Qt-free)."""

from __future__ import annotations

import re
import threading

import numpy as np
import pytest
from logdata import python_log_lines, write_lines

from studio.core.jobs import JobCancelled, JobContext
from studio.plugins.logs.formats import Level
from studio.plugins.logs.query import SearchError, SearchQuery
from studio.plugins.logs.search import search_document, visible_spans


def reference(lines: list[str], pattern: str, flags: int = 0) -> list[int]:
    compiled = re.compile(pattern, flags)
    return [i for i, line in enumerate(lines) if compiled.search(line)]


def reference_levels(lines: list[str]) -> list[int]:
    """Python logging records name their level; other lines (tracebacks) inherit it."""
    names = {"DEBUG": Level.DEBUG, "INFO": Level.INFO, "WARNING": Level.WARNING,
             "ERROR": Level.ERROR}
    current, out = Level.UNKNOWN, []
    for line in lines:
        record = re.search(r" - (DEBUG|INFO|WARNING|ERROR) - ", line)
        if record:
            current = names[record[1]]
        elif line.startswith("Traceback") or re.search(r"\bERROR\b", line[:128]):
            current = Level.ERROR
        out.append(current)
    return out


@pytest.fixture
def log(tmp_path, open_doc):
    lines = [*python_log_lines(40_000), "ünïcode ERRORS x", "the_loss loss-x ERROR"]
    write_lines(tmp_path / "train.log", lines)
    doc = open_doc(tmp_path / "train.log")
    doc.load()
    return doc, lines


@pytest.mark.parametrize(("query", "pattern", "flags"), [
    (SearchQuery("ERROR"), re.escape("ERROR"), 0),
    (SearchQuery("error", ignore_case=True), "error", re.IGNORECASE),
    (SearchQuery("CUDA out|Traceback", regex=True), "CUDA out|Traceback", 0),
    (SearchQuery(r"loss=2\.\d+$", regex=True), r"loss=2\.\d+$", 0),
    (SearchQuery("loss", whole_word=True), r"(?<!\w)loss(?!\w)", 0),
    (SearchQuery("ERROR", whole_word=True), r"(?<!\w)ERROR(?!\w)", 0),
    (SearchQuery("-x", whole_word=True), r"(?<!\w)-x(?!\w)", 0),
])
def test_matches_equal_python_re(log, query, pattern, flags) -> None:
    doc, lines = log
    result = search_document(doc, query)
    assert result.complete
    assert result.lines.tolist() == reference(lines, pattern, flags)


def test_level_filter_alone_and_with_a_pattern(log) -> None:
    doc, lines = log
    errors = search_document(doc, SearchQuery(levels=frozenset({Level.ERROR})))
    levels = np.array(reference_levels(lines))
    assert errors.lines.tolist() == np.flatnonzero(levels == Level.ERROR).tolist()
    # A traceback under an ERROR record is part of that record (the format inherits levels).
    assert any(lines[line].startswith("Traceback") for line in errors.lines.tolist())
    both = search_document(doc, SearchQuery("loss=0", levels=frozenset({Level.WARNING})))
    expected = [i for i in reference(lines, "loss=0") if levels[i] == Level.WARNING]
    assert both.lines.tolist() == expected and expected


def test_small_chunks_give_the_same_answers(log, monkeypatch) -> None:
    from studio.plugins.logs import document

    doc, lines = log
    monkeypatch.setattr(document, "CHUNK_MAPPED", 4096)  # tracebacks cross chunk borders
    errors = search_document(doc, SearchQuery(levels=frozenset({Level.ERROR})))
    levels = np.array(reference_levels(lines))
    assert errors.lines.tolist() == np.flatnonzero(levels == Level.ERROR).tolist()
    assert search_document(doc, SearchQuery("ERROR")).lines.tolist() == reference(lines, "ERROR")


def test_search_streams_behind_the_index(tmp_path, open_doc) -> None:
    lines = python_log_lines(150_000)
    write_lines(tmp_path / "big.log", lines)
    doc = open_doc(tmp_path / "big.log")
    loader = threading.Thread(target=doc.load)
    doc.loading = True  # as the job runner would have it by the time a search starts
    loader.start()
    result = search_document(doc, SearchQuery("ERROR"))
    loader.join()
    assert result.complete and result.lines.tolist() == reference(lines, "ERROR")


def test_cancel_stops_a_search(log) -> None:
    doc, _ = log
    ctx = JobContext()
    ctx.cancel()
    with pytest.raises(JobCancelled):
        search_document(doc, SearchQuery("ERROR"), ctx)


def test_invalid_regex_is_a_clear_error(log) -> None:
    doc, _ = log
    with pytest.raises(SearchError, match=r"'\(unclosed': invalid regular expression at offset"):
        search_document(doc, SearchQuery("(unclosed", regex=True))


def test_results_extend_when_the_file_grows(tmp_path, open_doc) -> None:
    path = tmp_path / "live.log"
    path.write_bytes(b"a ERROR\nb\nc ERR")  # the last line is still being written
    doc = open_doc(path)
    result = search_document(doc, SearchQuery("ERROR"))
    assert result.lines.tolist() == [0]
    with open(path, "a") as handle:
        handle.write("OR\nd ERROR\n")  # completes line 2 and adds line 3
    doc.sync()
    search_document(doc, SearchQuery("ERROR"), result=result)
    assert result.lines.tolist() == [0, 2, 3]


def test_navigation_helpers(log) -> None:
    doc, _ = log
    result = search_document(doc, SearchQuery("Traceback"))
    hits = result.lines.tolist()
    assert result.next_after(hits[0]) == hits[1]
    assert result.previous_before(hits[1]) == hits[0]
    assert result.next_after(hits[-1]) == hits[0]  # wraps
    assert result.next_after(hits[-1], wrap=False) is None
    assert result.rank_of(hits[2]) == 2


def test_visible_spans_are_display_columns(tmp_path, open_doc) -> None:
    write_lines(tmp_path / "x.log", ["é\tERROR ERROR", "\r0%\r100% ERROR"])
    doc = open_doc(tmp_path / "x.log")
    searcher = SearchQuery("ERROR").compile()
    rows = list(enumerate(doc.lines(0, 2)))
    spans = visible_spans(doc, searcher, rows)
    assert spans[0] == [(8, 13), (14, 19)]  # after a 2-byte é and a tab to column 8
    assert spans[1] == [(5, 10)]  # in the last tqdm state only
