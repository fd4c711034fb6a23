"""HF → GGUF converter: llama.cpp's logits match a NumPy forward pass; tokenizers agree."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tiny_models import (
    SAMPLE_TEXTS,
    load_llama,
    make_checkpoint,
    reference_logits,
    write_lora_adapter,
)

from studio.core.jobs import JobCancelled, JobContext
from studio.plugins.models.gguf_info import read_gguf_info
from studio.plugins.models.hf_to_gguf import ConversionError, convert_hf_to_gguf

PROMPT = "hello world def class return the rom bank"

# Largest |llama.cpp - reference| relative to the largest |reference logit|. F32 is limited only
# by float32 arithmetic; F16/BF16/Q8_0 by weight rounding (and llama.cpp's 8-bit activations for
# Q8_0 matrix products), measured at roughly a third of these bounds.
# Llama 3.1-style scaling with a short original context, so that most frequencies are scaled
# (at real sizes, 8192, a prompt of a few tokens would barely notice).
LLAMA3_ROPE = {"rope_theta": 500000.0, "rope_type": "llama3", "factor": 8.0,
               "low_freq_factor": 1.0, "high_freq_factor": 4.0,
               "original_max_position_embeddings": 32}
TOLERANCE = {"f32": 1e-5, "f16": 5e-3, "bf16": 3e-2, "q8_0": 6e-2}

CASES = {
    # id: (arch, tokenizer, options, outtype)
    "llama-spm-gqa-f32": ("llama", "spm", {}, "f32"),
    "qwen2-bias-tied-padded-f32": ("qwen2", "bpe", {"tie": True, "pad_vocab_to": 448}, "f32"),
    "mistral-spm-tied-f16": ("mistral", "spm", {"tie": True}, "f16"),
    "llama-gpt2-mha-q8_0": ("llama", "bpe", {"n_head_kv": 4}, "q8_0"),
    "qwen2-bf16-sharded-bf16": ("qwen2", "bpe", {"dtype": "bfloat16", "shards": 2}, "bf16"),
    "llama-f16-source-f16": ("llama", "spm", {"dtype": "float16"}, "f16"),
    # RoPE in both spellings (transformers 4: rope_theta + rope_scaling; transformers 5:
    # rope_parameters only). θ far from the 10000 default, so a dropped θ cannot pass.
    "llama-rope-t4-theta-f32": ("llama", "spm", {"rope": {"rope_theta": 500000.0}}, "f32"),
    "llama-rope-t5-theta-f32": ("llama", "spm", {"rope": {"rope_theta": 500000.0},
                                                 "rope_style": "transformers5"}, "f32"),
    "qwen2-rope-t5-theta-f32": ("qwen2", "bpe", {"rope": {"rope_theta": 1e6},
                                                 "rope_style": "transformers5"}, "f32"),
    "llama-rope-t4-llama3-f32": ("llama", "spm", {"rope": LLAMA3_ROPE}, "f32"),
    "llama-rope-t5-llama3-f32": ("llama", "spm", {"rope": LLAMA3_ROPE,
                                                  "rope_style": "transformers5"}, "f32"),
    "llama-rope-t5-linear-f32": ("llama", "spm", {"rope": {"rope_theta": 20000.0,
                                                           "rope_type": "linear",
                                                           "factor": 4.0},
                                                  "rope_style": "transformers5"}, "f32"),
}


@pytest.fixture(scope="module", params=list(CASES))
def converted(request, tmp_path_factory):
    arch, tokenizer, options, outtype = CASES[request.param]
    folder = tmp_path_factory.mktemp("hf") / request.param
    model = make_checkpoint(folder, arch, tokenizer=tokenizer, **options)
    result = convert_hf_to_gguf(folder, outtype=outtype)
    return model, result, load_llama(result.path)


def test_logits_match_numpy_reference(converted):
    model, result, llm = converted
    ids = model.tokenizer.encode(PROMPT, add_special_tokens=False).ids
    llm.reset()
    llm.eval(ids)
    got = np.asarray(llm.scores[: len(ids)], dtype=np.float64)
    expected = reference_logits(model.config, model.weights, ids)
    error = np.abs(got - expected).max() / np.abs(expected).max()
    assert error < TOLERANCE[result.outtype], f"relative error {error:.2e}"
    assert (got.argmax(-1) == expected.argmax(-1)).mean() >= 0.8


def test_tokenization_matches_tokenizers_library(converted):
    model, _, llm = converted
    for text in SAMPLE_TEXTS:
        expected = model.tokenizer.encode(text, add_special_tokens=False).ids
        assert llm.tokenize(text.encode(), add_bos=False, special=False) == expected, text
    # Special tokens are parsed as single control tokens when asked to.
    special = "<|im_start|>" if "<|im_start|>" in model.tokenizer.get_vocab() else "</s>"
    assert llm.tokenize(special.encode(), add_bos=False, special=True) == [
        model.tokenizer.token_to_id(special)]


def test_metadata_is_complete(converted):
    model, result, llm = converted
    info = read_gguf_info(result.path)
    arch = info.architecture
    config = model.config
    assert arch == ("qwen2" if config["model_type"] == "qwen2" else "llama")
    meta = info.metadata
    assert meta[f"{arch}.context_length"] == 256
    assert meta[f"{arch}.attention.head_count"] == config["num_attention_heads"]
    assert meta[f"{arch}.attention.head_count_kv"] == config["num_key_value_heads"]
    rope = config.get("rope_parameters") or {"rope_theta": config["rope_theta"]}
    assert meta[f"{arch}.rope.freq_base"] == pytest.approx(rope["rope_theta"])
    assert not [w for w in result.warnings if "rope" in w]  # every rope setting converted
    assert meta[f"{arch}.attention.layer_norm_rms_epsilon"] == pytest.approx(1e-5)
    assert "<|im_start|>" in meta["tokenizer.chat_template"]
    assert meta["tokenizer.ggml.eos_token_id"] == config["eos_token_id"]
    assert len(info.array("tokenizer.ggml.tokens")) == config["vocab_size"]
    assert ("output.weight" in {t.name for t in info.tensors}) != config["tie_word_embeddings"]
    assert llm.n_vocab() == config["vocab_size"]
    assert llm.metadata["tokenizer.chat_template"] == meta["tokenizer.chat_template"]


def test_lora_adapter_is_merged_before_conversion(tmp_path: Path):
    model = make_checkpoint(tmp_path / "base", "qwen2", tokenizer="bpe")
    merged = write_lora_adapter(tmp_path / "adapter", model)
    result = convert_hf_to_gguf(model.folder, tmp_path / "merged.gguf", "f32",
                                adapter_dir=tmp_path / "adapter")
    ids = model.tokenizer.encode(PROMPT, add_special_tokens=False).ids
    llm = load_llama(result.path)
    llm.eval(ids)
    got = np.asarray(llm.scores[: len(ids)], dtype=np.float64)
    expected = reference_logits(model.config, merged, ids)
    without = reference_logits(model.config, model.weights, ids)
    scale = np.abs(expected).max()
    assert np.abs(got - expected).max() / scale < TOLERANCE["f32"]
    assert np.abs(without - expected).max() / scale > 1e-2  # the adapter really changed it


def test_cancel_leaves_no_file(tmp_path: Path):
    model = make_checkpoint(tmp_path / "m", "llama")
    context = JobContext(on_progress=lambda fraction, message: None, min_interval=0)
    reports: list[float | None] = []

    def cancel_midway(fraction, message):
        reports.append(fraction)
        if fraction and fraction > 0.3:
            context.cancel()

    context._on_progress = cancel_midway
    out = tmp_path / "out.gguf"
    with pytest.raises(JobCancelled):
        convert_hf_to_gguf(model.folder, out, "f16", ctx=context)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no partial file either
    assert reports and reports[0] == 0.0


def test_unsupported_architecture_lists_supported(tmp_path: Path):
    model = make_checkpoint(tmp_path / "m", "llama")
    config = (model.folder / "config.json").read_text().replace("LlamaForCausalLM",
                                                                "GPTNeoXForCausalLM")
    (model.folder / "config.json").write_text(config)
    with pytest.raises(ConversionError, match=r"GPTNeoXForCausalLM.*LlamaForCausalLM, "
                                              r"MistralForCausalLM, Qwen2ForCausalLM"):
        convert_hf_to_gguf(model.folder)


@pytest.mark.parametrize("missing", ["tokenizer.json", "model.safetensors", "config.json"])
def test_missing_files_are_named(tmp_path: Path, missing: str):
    model = make_checkpoint(tmp_path / "m", "llama")
    (model.folder / missing).unlink()
    with pytest.raises(ConversionError, match=missing.split(".", maxsplit=1)[0]):
        convert_hf_to_gguf(model.folder)
    assert not list(tmp_path.glob("*.gguf"))


def test_unchanged_tensors_are_copied_by_the_kernel_or_written(tmp_path: Path, monkeypatch):
    """Byte-identical output whether tensors go through copy_file_range or plain writes."""
    import errno
    import os

    folder = tmp_path / "f16"
    make_checkpoint(folder, "llama", dtype="float16")
    kernel = convert_hf_to_gguf(folder, tmp_path / "kernel.gguf", "f16").path

    def unsupported(*args, **kwargs):
        raise OSError(errno.EXDEV, "cross-device")

    monkeypatch.setattr(os, "copy_file_range", unsupported, raising=False)
    monkeypatch.setattr(os, "sendfile", unsupported, raising=False)
    written = convert_hf_to_gguf(folder, tmp_path / "written.gguf", "f16").path
    assert kernel.read_bytes() == written.read_bytes()


def _with_config(folder: Path, **changes) -> None:
    config = json.loads((folder / "config.json").read_text())
    for key, value in changes.items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    (folder / "config.json").write_text(json.dumps(config))


@pytest.mark.parametrize(("changes", "message"), [
    ({"rope_parameters": {"rope_type": "longrope", "rope_theta": 1e4}}, "LongRoPE"),
    ({"rope_parameters": {"rope_type": "wobbly", "rope_theta": 1e4}}, "'wobbly' is not understood"),
    ({"rope_scaling": {"type": "linear"}}, "needs a factor"),
    ({"rope_parameters": {"full_attention": {"rope_theta": 1e4},
                          "sliding_attention": {"rope_theta": 1e4}}}, "per layer type"),
    ({"rope_parameters": {"rope_theta": "fast"}}, "rope_theta should be a number"),
    ({"hidden_act": "gelu"}, "hidden_act 'gelu'"),
    ({"quantization_config": {"quant_method": "gptq"}}, "quantized .gptq."),
    ({"partial_rotary_factor": 0.5}, "partial_rotary_factor"),
])
def test_config_values_that_change_the_model_are_refused(tmp_path: Path, changes, message):
    model = make_checkpoint(tmp_path / "m", "llama")
    _with_config(model.folder, **changes)
    with pytest.raises(ConversionError, match=message):
        convert_hf_to_gguf(model.folder, tmp_path / "out.gguf")
    assert not (tmp_path / "out.gguf").exists()


def test_config_values_not_converted_are_warned_about(tmp_path: Path):
    model = make_checkpoint(tmp_path / "m", "llama")
    _with_config(model.folder, rope_theta=None, rms_norm_eps=None, sliding_window=64,
                 rope_scaling={"type": "dynamic", "factor": 2.0},
                 frobnication_level=3, use_cache=True)
    result = convert_hf_to_gguf(model.folder, tmp_path / "out.gguf")
    text = "\n".join(result.warnings)
    assert "no rope_theta" in text and "10000" in text
    assert "dynamic NTK" in text and "factor = 2.0 not converted" in text
    assert "sliding-window attention (64 tokens)" in text
    assert "no rms_norm_eps" in text
    assert "not used by the converter: frobnication_level" in text
    assert "use_cache" not in text  # bookkeeping is not noise


def test_both_spellings_disagreeing_use_rope_parameters_and_say_so(tmp_path: Path):
    model = make_checkpoint(tmp_path / "m", "llama", rope={"rope_theta": 500000.0},
                            rope_style="transformers5")
    _with_config(model.folder, rope_theta=10000.0)
    result = convert_hf_to_gguf(model.folder, tmp_path / "out.gguf", "f32")
    assert any("rope_parameters.rope_theta = 500000.0 differs" in w for w in result.warnings)
    assert read_gguf_info(result.path).metadata["llama.rope.freq_base"] == pytest.approx(5e5)
