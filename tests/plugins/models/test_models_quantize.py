"""Quantization through llama-cpp-python in a child process."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tiny_models import load_llama, make_checkpoint, reference_logits

from studio.core.atomic import OutputExistsError
from studio.core.jobs import JobCancelled, JobContext
from studio.plugins.models.gguf_info import read_gguf_info
from studio.plugins.models.hf_to_gguf import convert_hf_to_gguf
from studio.plugins.models.quantize import (
    QUANT_TYPES,
    QuantizeError,
    default_quantized_path,
    estimate_quantized_size,
    quantize_gguf,
)
from studio.testing.real_parts import import_real_part

import_real_part("llama_cpp", "llama-cpp-python (the test extra) is not installed")

COSINE_FLOOR = {"Q8_0": 0.99, "Q6_K": 0.97, "Q4_K_M": 0.8, "IQ4_NL": 0.8}


@pytest.fixture(scope="module")
def f16_model(tmp_path_factory):
    # K-quants need rows that are multiples of 256.
    folder = tmp_path_factory.mktemp("q") / "tiny-qwen"
    model = make_checkpoint(folder, "qwen2", tokenizer="bpe", n_embd=256, n_ff=512, n_head=4,
                            n_head_kv=2, n_layer=2)
    return model, convert_hf_to_gguf(folder, outtype="f16").path


@pytest.mark.parametrize("type_name", ["Q4_K_M", "Q8_0", "IQ4_NL", "Q6_K"])
def test_quantized_model_loads_and_generates(f16_model, type_name: str):
    model, source = f16_model
    reports: list[str] = []
    context = JobContext(on_progress=lambda fraction, message: reports.append(message),
                         min_interval=0)
    result = quantize_gguf(source, type_name=type_name, threads=1, ctx=context)
    assert result.path == default_quantized_path(source, type_name)
    assert result.path.name == f"tiny-qwen-{type_name}.gguf"
    assert not list(result.path.parent.glob("*partial*"))
    info = read_gguf_info(result.path)
    matrix_types = {t.type for t in info.tensors if len(t.shape) == 2}
    assert type_name.split("_", maxsplit=1)[0] in " ".join(matrix_types)
    assert any("blk.1." in message for message in reports)  # per-tensor progress was parsed
    estimate = estimate_quantized_size(source, type_name)
    assert 0.6 < estimate / result.size < 1.5
    llm = load_llama(result.path)
    prompt = model.tokenizer.encode("hello world", add_special_tokens=False).ids
    generated = []
    for token in llm.generate(prompt, temp=0.0):
        generated.append(token)
        if len(generated) == 8:
            break
    assert len(generated) == 8
    llm.reset()
    llm.eval(prompt)
    got = np.asarray(llm.scores[: len(prompt)], dtype=np.float64)
    expected = reference_logits(model.config, model.weights, prompt)
    cosine = (got * expected).sum() / np.linalg.norm(got) / np.linalg.norm(expected)
    # Quantized, but still the same model. Random Gaussian weights are the hardest case for
    # 4-bit types, hence the lower floor there.
    assert cosine > COSINE_FLOOR[type_name], f"cosine {cosine:.4f}"


def test_cancel_kills_and_leaves_nothing(f16_model, tmp_path: Path):
    _, source = f16_model
    context = JobContext()
    context.cancel()
    out = tmp_path / "never.gguf"
    with pytest.raises(JobCancelled):
        quantize_gguf(source, out, "Q4_K_M", ctx=context)
    assert list(tmp_path.iterdir()) == []


def test_bad_inputs_are_explained(f16_model, tmp_path: Path):
    _, source = f16_model
    with pytest.raises(QuantizeError, match="unknown quantization type 'Q9_X'"):
        quantize_gguf(source, type_name="Q9_X")
    not_gguf = tmp_path / "x.gguf"
    not_gguf.write_bytes(b"PK\x03\x04" + bytes(64))
    with pytest.raises(ValueError, match="not a GGUF file"):
        quantize_gguf(not_gguf, type_name="Q8_0")


def test_type_table_covers_llama_cpp_types():
    import llama_cpp

    for name, quant in QUANT_TYPES.items():
        assert hasattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{name}"), name
        assert 2 < quant.bits_per_weight <= 16 and quant.quality
    assert {"Q2_K", "Q4_K_M", "Q8_0", "IQ4_XS", "IQ4_NL", "F16", "BF16"} <= set(QUANT_TYPES)


def test_cancel_mid_run_stops_the_child_and_leaves_nothing(f16_model, tmp_path: Path,
                                                           process_manager):
    _, source = f16_model

    def cancel_at_first_tensor(fraction: float | None, message: str) -> None:
        if "blk." in message:  # llama.cpp is writing the output now
            context.cancel()

    context = JobContext(on_progress=cancel_at_first_tensor, min_interval=0)
    out = tmp_path / "out" / "never.gguf"
    with pytest.raises(JobCancelled):
        quantize_gguf(source, out, "Q8_0", threads=1, ctx=context, processes=process_manager)
    assert list(out.parent.iterdir()) == []  # neither the output nor its .partial
    assert process_manager.processes() == []
    (log,) = process_manager.logs_dir.rglob("llama-quantize-*.log")
    assert "terminated with status" in log.read_text()


def test_an_existing_output_is_kept_unless_overwrite(f16_model, tmp_path: Path):
    _, source = f16_model
    out = tmp_path / "mine.gguf"
    out.write_bytes(b"the user's own file")
    with pytest.raises(OutputExistsError):
        quantize_gguf(source, out, "Q8_0", threads=1)
    assert out.read_bytes() == b"the user's own file"
    result = quantize_gguf(source, out, "Q8_0", threads=1, overwrite=True)
    assert read_gguf_info(result.path).tensors
