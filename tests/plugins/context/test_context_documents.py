"""Editor documents, paging, binary access and GGUF/safetensors layouts, checked for real."""

from __future__ import annotations

import itertools
import json
import os
import struct
from pathlib import Path

import gguf
import numpy as np
import pytest
from context_tree import write_gguf, write_safetensors
from hypothesis import given
from hypothesis import strategies as st

from studio.core.jobs import JobCancelled, JobContext
from studio.plugins.context import binfile
from studio.plugins.context.binfile import (
    BinaryFile,
    decode_values,
    find_bytes,
    make_edit_copy,
    parse_needle,
)
from studio.plugins.context.document import (
    DocumentError,
    ExternalChangeError,
    SaveRefusedError,
    TextDocument,
    TooLargeError,
)
from studio.plugins.context.paging import PagedText
from studio.plugins.context.structure import LayoutError, detect_layout
from studio.plugins.models.gguf_info import read_gguf_info

# -- documents ----------------------------------------------------------------------------


def test_round_trip_keeps_encoding_newlines_and_writes_atomically(tmp_path, monkeypatch):
    path = tmp_path / "a.toml"
    path.write_bytes(b"\xef\xbb\xbfa = 1\r\nb = 2\r\n")
    doc = TextDocument.load(path)
    assert doc.base_text == "a = 1\nb = 2\n" and doc.newline == "\r\n"
    doc.save("a = 1\nb = 3\n")
    assert path.read_bytes() == b"\xef\xbb\xbfa = 1\r\nb = 3\r\n"
    # a failing write leaves the old file whole and no temporary file behind
    from studio.core import atomic

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", broken_replace)
    with pytest.raises(DocumentError, match="No space left"):
        doc.save("a = 9\n")
    assert path.read_bytes() == b"\xef\xbb\xbfa = 1\r\nb = 3\r\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.toml"]


def test_external_change_is_detected_and_never_overwritten(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("one\ntwo\nthree\n")
    doc = TextDocument.load(path)
    assert not doc.changed_on_disk()
    os.utime(path, ns=(1, 1))  # touched, same bytes: not a change
    assert not doc.changed_on_disk()
    path.write_text("one\ntwo\nthree\nfour (hafs)\n")
    assert doc.changed_on_disk()
    with pytest.raises(ExternalChangeError) as raised:
        doc.save("ONE\ntwo\nthree\n")
    assert raised.value.disk_text.endswith("four (hafs)\n")
    assert path.read_text() == "one\ntwo\nthree\nfour (hafs)\n"
    merged = doc.merge("ONE\ntwo\nthree\n")
    assert merged.conflicts == 0 and merged.text == "ONE\ntwo\nthree\nfour (hafs)\n"
    doc.save(merged.text)  # the disk version is the new base: no conflict
    assert path.read_text() == merged.text


def test_merge_marks_conflicts(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("a\nb\nc\n")
    doc = TextDocument.load(path)
    path.write_text("a\nB-disk\nc\n")
    merged = doc.merge("a\nB-mine\nc\n")
    assert merged.conflicts == 1
    assert "<<<<<<<" in merged.text and "B-mine" in merged.text and "B-disk" in merged.text


def test_deleted_file_is_an_external_change(tmp_path):
    path = tmp_path / "x.json"
    path.write_text("{}")
    doc = TextDocument.load(path)
    path.unlink()
    with pytest.raises(ExternalChangeError, match="deleted"):
        doc.save("{}")
    doc.save("{}", overwrite_external=True)
    assert path.read_text() == "{}"


def test_strict_files_refuse_saves_that_make_hafs_drop_data(tree):
    doc = TextDocument.load(tree.registry)
    data = json.loads(doc.base_text)
    data["models"]["oracle-asm"]["studio_rating"] = 5
    with pytest.raises(SaveRefusedError, match="unknown key") as refused:
        doc.save(json.dumps(data, indent=2))
    assert refused.value.problems[0].line
    assert json.loads(tree.registry.read_text())["models"]["oracle-asm"].get(
        "studio_rating") is None
    data["models"]["oracle-asm"].pop("studio_rating")
    data["models"]["oracle-asm"]["notes"] = "edited in the studio"
    doc.save(json.dumps(data, indent=2))
    assert json.loads(tree.registry.read_text())["models"]["oracle-asm"]["notes"] == \
        "edited in the studio"
    tasks = TextDocument.load(tree.scheduled_tasks)
    with pytest.raises(SaveRefusedError, match="8 defaults"):
        tasks.save(tasks.base_text.replace('"limit"', '"max_items"'))


def test_limits_and_binary_content(tmp_path):
    big = tmp_path / "big.jsonl"
    big.write_text("{}\n" * 1000)
    with pytest.raises(TooLargeError, match="edit limit"):
        TextDocument.load(big, limit=100)
    binary = tmp_path / "x.bin"
    binary.write_bytes(b"abc\x00def")
    with pytest.raises(DocumentError, match="binary"):
        TextDocument.load(binary)
    latin = tmp_path / "l.txt"
    latin.write_bytes(b"caf\xe9\n")
    doc = TextDocument.load(latin)
    assert doc.encoding == "latin-1" and doc.base_text == "café\n"
    doc.save("café!\n")
    assert latin.read_bytes() == b"caf\xe9!\n"


# -- paging ---------------------------------------------------------------------------------


def test_pages_of_a_big_file_match_its_lines(tmp_path):
    path = tmp_path / "big.jsonl"
    lines = [json.dumps({"text": "ü" * (i % 7), "i": i}, ensure_ascii=False)
             for i in range(5003)]
    path.write_text("\n".join(lines) + "\n")
    pager = PagedText(path, page_lines=1000)
    first = pager.first_page()  # before any index
    assert first.text.split("\n") == lines[:1000]
    assert pager.build_index() == 5003 and pager.page_count == 6
    page = pager.page(3)
    assert page.first_line == 3000 and page.text.split("\n") == lines[3000:4000]
    assert pager.page(5).text.split("\n") == lines[5000:]
    hits = pager.find('"i": 4242}')
    assert [h.line for h in hits] == [4242]
    hits = pager.find(r'"i": 12\d\d}', regex=True)
    assert [h.line for h in hits] == list(range(1200, 1300))
    line = lines[1250]
    assert hits[50].column == line.index('"i": 1250') and hits[50].length == len('"i": 1250}')
    assert [h.line for h in pager.find("üüüüüü")] == [i for i in range(5003) if i % 7 == 6]
    assert len(pager.find('"TEXT"', case_sensitive=False)) == 5003


def test_index_build_can_be_cancelled(tmp_path, monkeypatch):
    from studio.plugins.context import paging

    path = tmp_path / "log.txt"
    path.write_text("line\n" * 10000)
    monkeypatch.setattr(paging, "INDEX_SLICE", 1000)
    ctx = JobContext()
    calls = []

    def report(fraction, message):
        calls.append(fraction)
        if len(calls) == 3:
            ctx.cancel()

    ctx._on_progress = report
    ctx._min_interval = 0
    pager = PagedText(path)
    with pytest.raises(JobCancelled):
        pager.build_index(ctx)
    assert not pager.indexed and pager.line_count is None
    assert pager.build_index() == 10000


# -- binary files ---------------------------------------------------------------------------

_FORMATS = {"int8": "b", "uint8": "B", "int16": "h", "uint16": "H", "int32": "i", "uint32": "I",
            "int64": "q", "uint64": "Q", "float16": "e", "float32": "f", "float64": "d"}


@given(st.binary(min_size=0, max_size=12))
def test_decoded_values_match_struct(data):
    for value in decode_values(data):
        if value.type == "bfloat16":
            if len(data) >= 2:
                expected = np.frombuffer(b"\0\0" + data[:2], dtype="<f4")[0]
                got = value.little
                assert (np.isnan(expected) and np.isnan(got)) or got == expected
            continue
        code = _FORMATS[value.type]
        size = struct.calcsize(code)
        if len(data) < size:
            assert value.little is None and value.big is None
            continue
        for order, got in (("<", value.little), (">", value.big)):
            (expected,) = struct.unpack(order + code, data[:size])
            assert got == expected or (expected != expected and got != got)  # NaN


def test_search_finds_matches_across_slice_edges_and_cancels(tmp_path, monkeypatch):
    monkeypatch.setattr(binfile, "SEARCH_SLICE", 64)
    data = bytearray(1000)
    data[60:64] = b"GGUF"  # straddles the first slice edge (64 + overlap finds it)
    data[62 + 64 * 5: 66 + 64 * 5] = b"GGUF"
    path = tmp_path / "x.bin"
    path.write_bytes(bytes(data))
    with BinaryFile(path) as bf:
        assert find_bytes(bf.view, b"GGUF") == 60
        assert find_bytes(bf.view, b"GGUF", 61) == 62 + 64 * 5
        assert find_bytes(bf.view, b"GGUF", 999, backwards=True) == 62 + 64 * 5
        assert find_bytes(bf.view, b"GGUF", 62 + 64 * 5 + 3, backwards=True) == 60
        assert find_bytes(bf.view, b"nope") == -1
        ctx = JobContext()
        ctx.cancel()
        with pytest.raises(JobCancelled):
            find_bytes(bf.view, b"nope", ctx=ctx)
        assert bf.read(60, 4) == b"GGUF" and bf.read(998, 10) == b"\0\0"
        with pytest.raises(PermissionError):
            bf.write(0, b"x")
    assert parse_needle("47 47 55 46", "hex") == b"GGUF"
    assert parse_needle("0x4747", "hex") == b"GG"
    assert parse_needle("ünï", "text") == "ünï".encode()
    with pytest.raises(ValueError, match="not a byte sequence"):
        parse_needle("4G", "hex")


def test_edit_copy_never_touches_the_original(tmp_path):
    original = tmp_path / "model.gguf"
    write_gguf(original)
    before = original.read_bytes()
    copy = make_edit_copy(original, tmp_path / "model.edited.gguf")
    assert copy.read_bytes() == before
    with BinaryFile(copy, writable=True) as bf:
        bf.write(4, b"\x09")
        bf.flush()
    assert copy.read_bytes()[4] == 9 and original.read_bytes() == before
    with pytest.raises(FileExistsError):
        make_edit_copy(original, copy)
    ctx = JobContext()
    ctx.cancel()
    with pytest.raises(JobCancelled):
        make_edit_copy(original, tmp_path / "cancelled.gguf", ctx)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.edited.gguf", "model.gguf"]


def test_sparse_copy_stays_sparse_and_equal(tmp_path):
    source = tmp_path / "sparse.bin"
    with open(source, "wb") as handle:
        handle.truncate(64 * 1024 * 1024)
        handle.seek(40 * 1024 * 1024)
        handle.write(b"data")
    copy = make_edit_copy(source, tmp_path / "copy.bin")
    assert copy.stat().st_size == source.stat().st_size
    with BinaryFile(copy) as bf:
        assert bf.read(40 * 1024 * 1024, 4) == b"data"
    assert copy.stat().st_blocks * 512 < 16 * 1024 * 1024


# -- structure ------------------------------------------------------------------------------


def test_gguf_layout_agrees_with_the_models_inspector_and_the_gguf_reader(tmp_path):
    path = write_gguf(tmp_path / "m.gguf", vocab=300)
    layout = detect_layout(path)
    info = read_gguf_info(path)
    reader = gguf.GGUFReader(path)
    assert layout.format == "gguf" and layout.summary["data_offset"] == info.data_offset
    tensors = layout.named("tensor_data")
    assert [(r.name, r.start, r.size) for r in tensors] == [
        (t.name, t.offset, t.n_bytes) for t in info.tensors]
    assert [(t.name, int(t.data_offset), int(t.n_bytes)) for t in reader.tensors] == [
        (r.name, r.start, r.size) for r in tensors]
    kvs = layout.named("kv")
    assert [r.name for r in kvs] == list(info.metadata)
    fields = [f for name, f in reader.fields.items() if not name.startswith("GGUF.")]
    for region, field in zip(kvs, fields, strict=True):
        # a field's parts lie back to back: key length ... last value part
        start = int(field.offset)
        end = start + sum(int(p.nbytes) for p in field.parts)
        assert (region.start, region.end) == (start, end), region.name
    tokens = next(r for r in kvs if r.name == "tokenizer.ggml.tokens")
    summary = info.metadata["tokenizer.ggml.tokens"]
    assert tokens.start < summary.offset < tokens.end  # the inspector's array offset inside
    infos = layout.named("tensor_info")
    assert infos[0].start == kvs[-1].end and layout.named("padding")[0].end == \
        info.data_offset
    # regions tile the header without gaps
    header_regions = [r for r in layout.regions if r.kind != "tensor_data"]
    assert all(a.end == b.start for a, b in itertools.pairwise(header_regions))
    assert layout.at(tensors[1].start + 3).name == tensors[1].name
    assert layout.at(3).name == "magic" and layout.at(path.stat().st_size + 5) is None


def test_safetensors_layout_matches_the_file(tmp_path):
    path, tensors = write_safetensors(tmp_path / "w.safetensors")
    layout = detect_layout(path)
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + length])
    data_start = 8 + length
    regions = {r.name: r for r in layout.named("tensor_data")}
    for name, array in tensors.items():
        region = regions[name]
        begin, end = header[name]["data_offsets"]
        assert (region.start, region.end) == (data_start + begin, data_start + end)
        assert np.array_equal(np.frombuffer(raw[region.start:region.end], dtype=array.dtype)
                              .reshape(array.shape), array)
    entries = {r.name: r for r in layout.regions if r.kind in ("json", "metadata")
               and r.name != "header JSON"}
    for name, region in entries.items():
        text = raw[region.start:region.end].decode()
        assert text.startswith(json.dumps(name)), name
        value = json.loads("{" + text + "}")[name]
        assert value == header[name]
    assert layout.summary["metadata"] == {"format": "pt", "note": "context test"}


def test_damaged_structures_name_the_file_and_place(tmp_path):
    path = write_gguf(tmp_path / "t.gguf")
    truncated = tmp_path / "cut.gguf"
    truncated.write_bytes(path.read_bytes()[:500])
    with pytest.raises(LayoutError, match=r"cut\.gguf: .*runs past the end"):
        detect_layout(truncated)
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(struct.pack("<Q", 10) + b"{not json}" + b"\0" * 4)
    with pytest.raises(LayoutError, match="not valid JSON"):
        detect_layout(bad)
    plain = tmp_path / "plain.bin"
    plain.write_bytes(b"hello")
    assert detect_layout(plain) is None


def test_read_only_map_of_missing_path(tmp_path: Path):
    with pytest.raises(OSError):
        BinaryFile(tmp_path / "missing.bin")
