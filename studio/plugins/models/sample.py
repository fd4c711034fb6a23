"""A tiny but real model for the sample workspace: HF checkpoint → GGUF → quantized → registered.

Everything is generated here with NumPy and the standard library (no network, no downloaded
weights, no ``tokenizers``/``safetensors`` packages at run time): a byte-level BPE tokenizer
trained on a small built-in corpus of hafs-flavoured text (65816 assembly and Python), a
Qwen2-shaped checkpoint with random weights, a ``trainer_state.json`` with a synthetic loss
curve and a hafs fine-tune ``metadata.json``, so a newcomer sees every part of the Models panel
filled: detection, details, loss curve, conversion, quantization and the inspector.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import struct
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from studio.api import NULL_CONTEXT, JobContext

__all__ = [
    "QWEN2_SPLIT",
    "SAMPLE_MODEL_ID",
    "bytes_to_unicode",
    "make_sample_checkpoint",
    "populate_sample_models",
    "train_byte_level_bpe",
    "write_safetensors",
]

SAMPLE_MODEL_ID = "oracle-sample-asm-tiny-qwen2-20250101"
# Qwen2's pre-tokenizer regex: the converter recognises it and llama.cpp splits text the same.
QWEN2_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
# The same split in Python's ``re`` (no \p classes), only used to train merges.
_TRAIN_SPLIT = re.compile(r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\w]?[^\W\d_]+|\d"
                          r"| ?[^\s\w]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
CHAT_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + "
    "message['content'] + '<|im_end|>' + '\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
_CORPUS = """
; Link's sprite routine, bank $07
Sprite_Main:
    LDA #$01 : STA $7E0010
    JSR Sprite_CheckDamage
    LDA $0D80, X : BNE .active
    RTS
.active
    INC $0D80, X
    ADC #$10 : SBC #$02 : INX : DEY : BNE .active : BEQ .done
.done
    RTL
def load_rom(path):
    with open(path, "rb") as handle:
        return handle.read()
class Sprite:
    def __init__(self, index, bank):
        self.index = index
        self.bank = bank
    def address(self):
        return (self.bank << 16) | self.index
the oracle of secrets rom hack uses yaze to edit the overworld and dungeons
write a simple NOP instruction in 65816 assembly
"""


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte → printable character table used by byte-level BPE."""
    printable = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
                 + list(range(ord("®"), ord("ÿ") + 1)))
    table, extra = {}, 0
    for byte in range(256):
        if byte in printable:
            table[byte] = chr(byte)
        else:
            table[byte] = chr(256 + extra)
            extra += 1
    return table


def train_byte_level_bpe(text: str, vocab_size: int) -> tuple[dict[str, int], list[str]]:
    """Learn byte-level BPE merges on ``text``; return (vocab, merges) in HF's spelling."""
    to_char = bytes_to_unicode()
    words = Counter(tuple(to_char[b] for b in piece.encode("utf-8"))
                    for piece in _TRAIN_SPLIT.findall(text))
    vocab = {to_char[b]: i for i, b in enumerate(sorted(to_char, key=lambda b: to_char[b]))}
    merges: list[str] = []
    target = vocab_size - len(SPECIAL_TOKENS)
    while len(vocab) < target:
        pairs: Counter[tuple[str, str]] = Counter()
        for word, count in words.items():
            for pair in itertools.pairwise(word):
                pairs[pair] += count
        if not pairs:
            break
        (left, right), _ = max(pairs.items(), key=lambda item: (item[1], item[0]))
        merges.append(f"{left} {right}")
        vocab[left + right] = len(vocab)
        merged: Counter[tuple[str, ...]] = Counter()
        for word, count in words.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == left and word[i + 1] == right:
                    out.append(left + right)
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] += count
        words = merged
    return vocab, merges


def _tokenizer_json(vocab: dict[str, int], merges: list[str]) -> dict[str, Any]:
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False,
                  "use_regex": False}
    added = [{"id": len(vocab) + i, "content": token, "single_word": False, "lstrip": False,
              "rstrip": False, "normalized": False, "special": True}
             for i, token in enumerate(SPECIAL_TOKENS)]
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": QWEN2_SPLIT}, "behavior": "Isolated",
             "invert": False},
            byte_level]},
        "post_processor": byte_level, "decoder": byte_level,
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": merges},
    }


def write_safetensors(path: Path, tensors: dict[str, np.ndarray],
                      metadata: dict[str, str] | None = None) -> None:
    """The safetensors layout (8-byte header length, JSON header, raw little-endian data)."""
    dtypes = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16"}
    header: dict[str, Any] = {"__metadata__": metadata or {"format": "pt"}}
    blobs, offset = [], 0
    for name, array in tensors.items():
        blob = np.ascontiguousarray(array).tobytes()
        header[name] = {"dtype": dtypes[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(encoded)) + encoded)
        for blob in blobs:
            handle.write(blob)


def _random_weights(config: dict[str, Any], seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    d, ff, vocab = config["hidden_size"], config["intermediate_size"], config["vocab_size"]
    head_dim = d // config["num_attention_heads"]
    q_rows, kv_rows = d, config["num_key_value_heads"] * head_dim

    def mat(rows: int, cols: int, std: float) -> np.ndarray:
        return (rng.standard_normal((rows, cols)) * std).astype(np.float16)

    def vec(n: int, mean: float, std: float) -> np.ndarray:
        return (mean + std * rng.standard_normal(n)).astype(np.float16)

    weights = {"model.embed_tokens.weight": mat(vocab, d, 0.5)}
    for i in range(config["num_hidden_layers"]):
        p = f"model.layers.{i}."
        weights |= {
            p + "input_layernorm.weight": vec(d, 1.0, 0.1),
            p + "self_attn.q_proj.weight": mat(q_rows, d, 0.08),
            p + "self_attn.q_proj.bias": vec(q_rows, 0.0, 0.05),
            p + "self_attn.k_proj.weight": mat(kv_rows, d, 0.08),
            p + "self_attn.k_proj.bias": vec(kv_rows, 0.0, 0.05),
            p + "self_attn.v_proj.weight": mat(kv_rows, d, 0.08),
            p + "self_attn.v_proj.bias": vec(kv_rows, 0.0, 0.05),
            p + "self_attn.o_proj.weight": mat(d, q_rows, 0.08),
            p + "post_attention_layernorm.weight": vec(d, 1.0, 0.1),
            p + "mlp.gate_proj.weight": mat(ff, d, 0.08),
            p + "mlp.up_proj.weight": mat(ff, d, 0.08),
            p + "mlp.down_proj.weight": mat(d, ff, 0.08),
        }
    weights["model.norm.weight"] = vec(d, 1.0, 0.1)
    return weights  # tied embeddings: no lm_head, as Qwen2.5's small models


def _trainer_state(steps: int, seed: int) -> dict[str, Any]:
    """A plausible (synthetic) HF Trainer log: loss falling from ~2.6 towards ~0.9."""
    rng = np.random.default_rng(seed)
    history: list[dict[str, Any]] = []
    for step in range(5, steps + 1, 5):
        loss = 0.85 + 1.8 * math.exp(-step / 60) + float(rng.normal(0, 0.04))
        history.append({"step": step, "epoch": round(step / 100, 3), "loss": round(loss, 4),
                        "learning_rate": 2e-4 * (1 - step / steps), "grad_norm": 1.2})
        if step % 50 == 0:
            eval_loss = 0.95 + 1.7 * math.exp(-step / 65)
            history.append({"step": step, "epoch": round(step / 100, 3),
                            "eval_loss": round(eval_loss, 4)})
    return {"global_step": steps, "max_steps": steps, "epoch": steps / 100,
            "num_train_epochs": math.ceil(steps / 100), "train_batch_size": 1,
            "log_history": history, "best_metric": None, "best_model_checkpoint": None}


def make_sample_checkpoint(folder: Path, *, hidden: int = 256, layers: int = 2,
                           vocab_size: int = 512, seed: int = 0) -> dict[str, Any]:
    """Write a Qwen2-shaped HF checkpoint folder with a trained tokenizer; return its config."""
    folder.mkdir(parents=True, exist_ok=True)
    vocab, merges = train_byte_level_bpe(_CORPUS * 3, vocab_size)
    (folder / "tokenizer.json").write_text(json.dumps(_tokenizer_json(vocab, merges),
                                                      ensure_ascii=False), encoding="utf-8")
    (folder / "tokenizer_config.json").write_text(json.dumps({
        "bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
        "add_bos_token": False, "chat_template": CHAT_TEMPLATE, "model_max_length": 512}))
    n_tokens = len(vocab) + len(SPECIAL_TOKENS)
    config = {
        "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2",
        "hidden_size": hidden, "intermediate_size": 2 * hidden, "num_attention_heads": 4,
        "num_key_value_heads": 2, "num_hidden_layers": layers, "rms_norm_eps": 1e-6,
        "rope_theta": 1000000.0, "max_position_embeddings": 512, "vocab_size": n_tokens,
        "tie_word_embeddings": True, "bos_token_id": None,
        "eos_token_id": len(vocab) + SPECIAL_TOKENS.index("<|im_end|>"),
        "torch_dtype": "float16",
    }
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    write_safetensors(folder / "model.safetensors", _random_weights(config, seed))
    checkpoint = folder / "checkpoint-200"
    checkpoint.mkdir(exist_ok=True)
    (checkpoint / "trainer_state.json").write_text(json.dumps(_trainer_state(200, seed),
                                                              indent=2))
    (folder / "metadata.json").write_text(json.dumps({
        "expert": {"name": "sample", "specialization": "assembler", "role": "asm",
                   "group": "rom-tooling"},
        "model": {"base": "sample/tiny-qwen2-random", "lora_rank": 16, "lora_alpha": 32},
        "training": {"dataset": "D:/hafs_training/datasets/sample_asm_200", "num_samples": 200,
                     "duration_minutes": 3, "learning_rate": 2e-4, "batch_size": 1,
                     "num_epochs": 2, "sequence_length": 512},
        "hardware": {"name": "sample-cpu", "device": "cpu"},
        "metadata": {"created": "2025-01-01T12:00:00"},
    }, indent=2))
    return config


def populate_sample_models(root: Path, report: Callable[[str], None],
                           ctx: JobContext = NULL_CONTEXT) -> None:
    """Create, convert, quantize and register the sample model below context ``root``."""
    from studio.plugins.models.api import ModelsService
    from studio.plugins.models.quantize import QuantizeError, llama_cpp_available

    service = ModelsService(root)
    if SAMPLE_MODEL_ID in service.load().models:
        report(f"Sample model {SAMPLE_MODEL_ID} is already registered")
        return
    folder = root / "training" / "models" / SAMPLE_MODEL_ID
    make_sample_checkpoint(folder)
    report(f"Generated a tiny random-weight Qwen2 checkpoint in {folder}")
    service.register(folder, model_id=SAMPLE_MODEL_ID, location="mac",
                     notes="Sample model: random weights and a synthetic loss curve, made by "
                           "“Create sample workspace” to show what the Models panel does.",
                     tags=["sample", "qwen2"])
    converted = service.convert(SAMPLE_MODEL_ID, outtype="f16", ctx=ctx)
    report(f"Converted it to {converted.path.name}")
    if not llama_cpp_available():
        report("Skipped quantization: llama-cpp-python is not installed "
               "(pip install 'hafs-studio[llama]')")
        return
    try:
        quantized = service.quantize(converted.path, "Q4_K_M", model_id=SAMPLE_MODEL_ID,
                                     ctx=ctx)
    except QuantizeError as exc:
        report(f"Quantization failed: {exc}")
        return
    report(f"Quantized it to {quantized.path.name}")
