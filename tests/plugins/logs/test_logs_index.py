"""The compact line index: the same answers as the native int64 index, 4 bytes per line."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from studio import native
from studio.plugins.logs.index import LineIndex

documents = st.lists(st.sampled_from([b"a", b"bc", b"\n", b"\r\n", b"\xff", b"long line " * 3]),
                     max_size=40).map(b"".join)


@given(chunks=st.lists(documents, min_size=1, max_size=5))
def test_matches_the_native_index(tmp_path_factory, chunks: list[bytes]) -> None:
    path = tmp_path_factory.mktemp("index") / "x.log"
    path.write_bytes(b"".join(chunks))
    ours, reference = LineIndex(), native.LineIndex()
    reference.update(path.read_bytes())
    end = 0
    data = path.read_bytes()
    for chunk in chunks:  # grown in steps, as a load does
        end += len(chunk)
        ours.update_from_file(path, end)
    assert ours.line_count == reference.line_count
    assert ours.indexed_bytes == reference.indexed_bytes
    assert ours.newline_count == reference.newlines.size
    expected = reference.line_bounds(0, reference.line_count)
    got = ours.line_bounds(0, ours.line_count)
    assert all(np.array_equal(g, e) for g, e in zip(got, expected, strict=True))
    for offset in range(0, len(data) + 1, 7):
        assert ours.line_of_offset(offset) == int(np.searchsorted(reference.newlines, offset))
    ours.shrink_to_fit()
    assert ours.nbytes == 4 * ours.newline_count


def test_offsets_beyond_4_gib() -> None:
    index = LineIndex()
    gib = 1 << 30
    chunks = [np.array([10, 4 * gib - 1], dtype=np.int64),
              np.array([4 * gib, 9 * gib + 5, 9 * gib + 6], dtype=np.int64),
              np.array([13 * gib], dtype=np.int64)]
    for found in chunks:
        index._append(found)
    index._size = 13 * gib + 100
    everything = np.concatenate(chunks)
    assert index.newlines_at(np.arange(6)).tolist() == everything.tolist()
    assert index.line_count == 7  # six newlines and a last line without one
    begins, ends = index.line_bounds(0, 7)
    assert begins.tolist() == [0, *(everything + 1).tolist()]
    assert ends.tolist() == [*everything.tolist(), 13 * gib + 100]
    for offset in (0, 11, 4 * gib - 1, 4 * gib, 5 * gib, 9 * gib + 6, 12 * gib, 13 * gib + 1):
        assert index.line_of_offset(offset) == int(np.searchsorted(everything, offset))
    index.shrink_to_fit()
    assert index.nbytes == 4 * 6 + 8 * 3  # 4 bytes per line and the 3 wrap points


def test_growth_keeps_the_offsets_when_a_view_is_alive(tmp_path) -> None:
    path = tmp_path / "x.log"
    path.write_bytes(b"x\n" * 5000)
    index = LineIndex()
    index.update_from_file(path, 1000)
    view = index._low[:10]  # a reader holding offsets: growth must copy, not realloc
    index.update_from_file(path, 10_000)
    assert view.tolist() == list(range(1, 20, 2))
    assert index.newlines_at(np.arange(5000)).tolist() == list(range(1, 10_000, 2))
