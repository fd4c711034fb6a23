"""GGUF inspector, checked against the gguf package's own reader."""

from __future__ import annotations

from pathlib import Path

import gguf
import pytest
from tiny_models import make_checkpoint

from studio.api import format_bytes
from studio.plugins.models.gguf_info import (
    ArraySummary,
    GGUFFormatError,
    info_to_dict,
    read_gguf_info,
)
from studio.plugins.models.hf_to_gguf import convert_hf_to_gguf


@pytest.fixture(scope="module")
def q8_file(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("info") / "tiny"
    make_checkpoint(folder, "qwen2", tokenizer="bpe")
    return convert_hf_to_gguf(folder, outtype="q8_0").path


def test_header_matches_gguf_reader(q8_file: Path):
    info = read_gguf_info(q8_file)
    reader = gguf.GGUFReader(q8_file)
    assert info.architecture == "qwen2"
    assert [t.name for t in info.tensors] == [t.name for t in reader.tensors]
    for mine, theirs in zip(info.tensors, reader.tensors, strict=True):
        assert mine.shape == tuple(int(d) for d in theirs.shape)
        assert mine.type == theirs.tensor_type.name
        assert mine.n_bytes == theirs.n_bytes
        assert mine.offset == theirs.data_offset
    assert set(info.metadata) == {k for k in reader.fields if not k.startswith("GGUF.")}
    assert info.parameter_count == sum(int(t.n_elements) for t in reader.tensors)
    tokens = info.metadata["tokenizer.ggml.tokens"]
    assert isinstance(tokens, ArraySummary) and tokens.count == len(
        reader.fields["tokenizer.ggml.tokens"].data)
    assert "…" in str(tokens)
    full = info.array("tokenizer.ggml.tokens")
    field = reader.fields["tokenizer.ggml.tokens"]
    assert full == [str(bytes(field.parts[i]), "utf-8") for i in field.data]


def test_totals_ram_and_json(q8_file: Path):
    info = read_gguf_info(q8_file)
    totals = info.totals_by_type()
    assert set(totals) == {"Q8_0", "F32"}
    assert sum(row["bytes"] for row in totals.values()) == info.tensor_bytes
    assert info.estimated_ram_bytes(n_ctx=256) > info.tensor_bytes
    assert info.estimated_ram_bytes(n_ctx=512) > info.estimated_ram_bytes(n_ctx=256)
    data = info_to_dict(info)
    assert data["metadata"]["tokenizer.ggml.tokens"]["count"] == data["metadata"][
        "qwen2.vocab_size"]
    assert format_bytes(1536) == "1.5 KiB"


def test_damaged_files_are_reported(q8_file: Path, tmp_path: Path):
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(q8_file.read_bytes()[:-1000])
    with pytest.raises(GGUFFormatError, match="truncated"):
        read_gguf_info(truncated)
    header_cut = tmp_path / "cut.gguf"
    header_cut.write_bytes(q8_file.read_bytes()[:300])
    with pytest.raises(GGUFFormatError, match=str(header_cut)):
        read_gguf_info(header_cut)
    other = tmp_path / "weights.bin"
    other.write_bytes(b"\x00" * 64)
    with pytest.raises(GGUFFormatError, match="not a GGUF file"):
        read_gguf_info(other)
