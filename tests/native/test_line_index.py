"""Kernel 1: newline offsets and the incremental LineIndex."""

from __future__ import annotations

import mmap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio import native

from .reference import split_lines

line_bytes = st.binary(max_size=300).map(lambda b: b.replace(b"\n", b"x"))
documents = st.lists(st.one_of(line_bytes, st.sampled_from([b"", b"\r", b"\x00\x00", b"\xff\xfe"])),
                     max_size=40).map(b"\n".join) | st.binary(max_size=2000)


def reference_offsets(data: bytes, base: int = 0) -> list[int]:
    return [base + i for i, c in enumerate(data) if c == 10]


@settings(max_examples=200, deadline=None)
@given(data=documents, base=st.integers(0, 10**12))
def test_offsets_match_reference(data: bytes, base: int) -> None:
    assert native.newline_offsets(data, base=base).tolist() == reference_offsets(data, base)


def test_every_simd_level_agrees(simd: str) -> None:
    rng = np.random.default_rng(7)
    data = rng.integers(0, 14, size=1_000_003, dtype=np.uint8)  # ~7% newlines, NULs, \r
    expected = np.flatnonzero(data == 10)
    for start in (0, 1, 63, 64, 65):  # unaligned starts and tails
        got = native.newline_offsets(data[start:], base=start)
        np.testing.assert_array_equal(got, expected[expected >= start])


def test_thread_count_does_not_change_result(threads: int) -> None:
    data = (b"x" * 97 + b"\n") * 200_000 + b"tail"  # > 4 MB per part so threads really split
    expected = native.newline_offsets(data, threads=1)
    np.testing.assert_array_equal(native.newline_offsets(data, threads=threads), expected)


@pytest.mark.parametrize("source", ["bytes", "bytearray", "memoryview", "numpy", "mmap"])
def test_accepts_buffers_without_copy(source: str, tmp_path) -> None:
    payload = b"a\r\nbb\n\nccc\x00\n\xff"
    path = tmp_path / "log.txt"
    path.write_bytes(payload)
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        data = {
            "bytes": payload,
            "bytearray": bytearray(payload),
            "memoryview": memoryview(payload),
            "numpy": np.frombuffer(payload, dtype=np.uint8),
            "mmap": mm,
        }[source]
        assert native.newline_offsets(data).tolist() == [2, 5, 6, 11]


def test_huge_line_and_empty_inputs() -> None:
    huge = b"y" * (12 << 20)  # a 12 MB line
    assert native.newline_offsets(huge + b"\n" + huge).tolist() == [12 << 20]
    assert native.newline_offsets(b"").tolist() == []
    assert native.newline_offsets(b"\n").tolist() == [0]


def test_file_ranges_match_buffer(tmp_path, threads: int) -> None:
    data = bytes(np.random.default_rng(3).integers(0, 12, size=9_000_001, dtype=np.uint8))
    path = tmp_path / "big.log"
    path.write_bytes(data)
    expected = np.array(reference_offsets(data))
    got = native.newline_offsets_file(path, threads=threads)
    np.testing.assert_array_equal(got, expected)
    part = native.newline_offsets_file(path, 1000, 5_000_000, threads=threads)
    np.testing.assert_array_equal(part, expected[(expected >= 1000) & (expected < 5_000_000)])


def test_missing_file_is_an_os_error(tmp_path) -> None:
    with pytest.raises(OSError, match="cannot open"):
        native.newline_offsets_file(tmp_path / "nope.log")


@settings(max_examples=100, deadline=None)
@given(chunks=st.lists(documents, min_size=1, max_size=6))
def test_incremental_index_equals_full_index(chunks: list[bytes]) -> None:
    index = native.LineIndex()
    grown = b""
    for chunk in chunks:
        grown += chunk
        index.update(grown)
        assert index.newlines.tolist() == reference_offsets(grown)
        assert index.line_count == len(split_lines(grown))
        assert index.indexed_bytes == len(grown)


def test_line_bounds_strip_crlf() -> None:
    data = b"one\r\ntwo\n\nthree"
    index = native.LineIndex()
    index.update(data)
    begins, ends = index.line_bounds(0, 10, data)
    assert [data[b:e] for b, e in zip(begins, ends, strict=True)] == [b"one", b"two", b"", b"three"]
    assert index.line_bounds(5, 3)[0].size == 0


def test_update_from_file_reads_only_appended_bytes(tmp_path) -> None:
    path = tmp_path / "live.log"
    path.write_bytes(b"a\nb")
    index = native.LineIndex()
    assert index.update_from_file(path) == 2
    with open(path, "ab") as f:
        f.write(b"c\nd\n")
    index.update_from_file(path)
    assert index.newlines.tolist() == [1, 4, 6]
    assert index.line_count == 3
    path.write_bytes(b"x\n")  # truncated (rotated): the index restarts
    index.update_from_file(path)
    assert index.newlines.tolist() == [1]


@pytest.mark.parametrize("bad", [np.zeros(4, dtype=np.int32), np.zeros((2, 2), dtype=np.uint8),
                                 np.zeros(8, dtype=np.uint8)[::2], "text", 12])
def test_bad_input_raises(bad: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        native.newline_offsets(bad)


def test_bounds_of_any_lines_in_any_order() -> None:
    data = b"one\r\ntwo\n\nthree"
    index = native.LineIndex()
    index.update(data)
    begins, ends = index.bounds_of(np.array([3, 0, 2]), data)
    assert [data[b:e] for b, e in zip(begins, ends, strict=True)] == [b"three", b"one", b""]
    with pytest.raises(ValueError, match=r"line numbers must be in \[0, 4\)"):
        index.bounds_of(np.array([4]))
