"""Tiny random-weight Hugging Face checkpoints and a NumPy reference forward pass.

Everything is generated here: tokenizers are trained with the ``tokenizers`` library on a small
built-in corpus, weights are seeded random numbers saved with the ``safetensors`` package. The
reference forward pass follows the Hugging Face Llama/Qwen2 modelling code (rotate-half RoPE,
GQA, SwiGLU, RMSNorm) in float64, independent of the converter under test.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file
from tokenizers import (
    Regex,
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
    trainers,
)

from studio.testing.real_parts import import_real_part

WORDS = (  # noqa: SIM905 - a word list reads best as text
    "hello world def class import return print self none true false while else elif the of "
    "and to in is you that it he was for on are as with his they at be this from have or "
    "by one had not but what all were when we there can an your which their said if do "
    "will each about how up out them then she many some so these would other into has more "
    "her two like him see time could no make than first been its who now people my made "
    "over did down only way find use may water long little very after words called just "
    "where most know lda sta jsr rts nop adc sbc inx dey bne beq rom bank sprite"
).split()
CHAT_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + "
    "message['content'] + '<|im_end|>' + '\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
QWEN2_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
SAMPLE_TEXTS = [
    "hello world",
    "def hello(self): return None",
    "  leading spaces and\ttabs\nnew lines\n\n",
    "LDA #$01 ; STA $7E0010 and JSR Sprite_Main",
    "numbers 12345 and 3.14159, punctuation!? (yes) [no] {maybe}",
    "unicode: café naïve — ✓ 日本語 🙂",
    "they'll say it's what we've done",
]


def _corpus(seed: int = 7) -> list[str]:
    rng = np.random.default_rng(seed)
    lines = [" ".join(rng.choice(WORDS, size=12)) for _ in range(300)]
    pairs = zip(WORDS, reversed(WORDS), strict=True)
    lines += [f"    {w}({v}) = {i}" for i, (w, v) in enumerate(pairs)]
    lines += ["LDA #$10\nSTA $2100\nJSR $8000\nRTS", "if x == 1:\n    return 'yes'"]
    return lines


def make_byte_level_tokenizer(split: str = "gpt2", vocab_size: int = 420) -> Tokenizer:
    """GPT-2 (``split="gpt2"``) or Qwen2-style (``"qwen2"``) byte-level BPE with ChatML tokens."""
    tokenizer = Tokenizer(models.BPE())
    if split == "qwen2":
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(QWEN2_SPLIT), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ])
    else:
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, show_progress=False,
        special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(_corpus(), trainer)
    return tokenizer


def make_sentencepiece_tokenizer(vocab_size: int = 600) -> Tokenizer:
    """Llama-2-style tokenizer.json: BPE with byte fallback, ▁ for spaces, <unk> <s> </s>."""
    trained = Tokenizer(models.BPE())
    trained.normalizer = normalizers.Sequence([normalizers.Prepend("▁"),
                                               normalizers.Replace(" ", "▁")])
    trainer = trainers.BpeTrainer(vocab_size=vocab_size - 259, show_progress=False)
    trained.train_from_iterator(_corpus(), trainer)
    model = json.loads(trained.to_str())["model"]
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    vocab.update({f"<0x{b:02X}>": 3 + b for b in range(256)})
    for text, _ in sorted(model["vocab"].items(), key=lambda item: item[1]):
        vocab.setdefault(text, len(vocab))
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in model["merges"]]
    tokenizer = Tokenizer(models.BPE(vocab, merges, unk_token="<unk>", byte_fallback=True,
                                     fuse_unk=True))
    tokenizer.normalizer = trained.normalizer
    tokenizer.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(),
                                           decoders.Fuse(), decoders.Strip(" ", 1, 0)])
    tokenizer.add_special_tokens(["<unk>", "<s>", "</s>"])
    tokenizer.post_processor = processors.TemplateProcessing(single="<s> $A",
                                                             special_tokens=[("<s>", 1)])
    return tokenizer


@dataclass
class TinyModel:
    folder: Path
    config: dict
    weights: dict[str, np.ndarray]  # float32 values as saved (after dtype rounding)
    tokenizer: Tokenizer


def make_checkpoint(folder: Path, arch: str = "llama", *, tokenizer: str = "spm",
                    n_embd: int = 64, n_layer: int = 2, n_head: int = 4, n_head_kv: int = 2,
                    n_ff: int = 128, tie: bool = False, dtype: str = "float32",
                    pad_vocab_to: int = 0, shards: int = 1, seed: int = 0,
                    rope: dict | None = None, rope_style: str = "transformers4") -> TinyModel:
    """Write a random-weight HF checkpoint folder and return it with its float32 weights.

    ``rope``: ``{"rope_theta": …, "rope_type": …, "factor": …}`` (default θ 10000, no
    scaling). ``rope_style="transformers5"`` writes it as ``rope_parameters`` with no
    top-level ``rope_theta``, as transformers 5 saves checkpoints; ``"transformers4"`` as
    ``rope_theta`` plus ``rope_scaling``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if tokenizer == "spm":
        tok = make_sentencepiece_tokenizer()
        special = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
                   "add_bos_token": True, "add_eos_token": False}
    else:
        tok = make_byte_level_tokenizer("qwen2" if arch == "qwen2" else "gpt2")
        special = {"bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
                   "add_bos_token": False}
    tok.save(str(folder / "tokenizer.json"))
    (folder / "tokenizer_config.json").write_text(json.dumps(
        {**special, "chat_template": CHAT_TEMPLATE, "model_max_length": 256}))
    vocab = max(tok.get_vocab_size(), pad_vocab_to)
    hf_arch = {"llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM",
               "qwen2": "Qwen2ForCausalLM"}[arch]
    config = {
        "architectures": [hf_arch], "model_type": arch, "hidden_size": n_embd,
        "intermediate_size": n_ff, "num_attention_heads": n_head, "num_hidden_layers": n_layer,
        "num_key_value_heads": n_head_kv, "rms_norm_eps": 1e-5,
        **rope_config(rope or {"rope_theta": 10000.0}, rope_style),
        "max_position_embeddings": 256, "vocab_size": vocab, "tie_word_embeddings": tie,
        "bos_token_id": 1 if tokenizer == "spm" else None,
        "eos_token_id": tok.token_to_id("</s>" if tokenizer == "spm" else "<|im_end|>"),
        "torch_dtype": dtype,
    }
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    weights = random_weights(config, seed)
    _save(folder, weights, dtype, shards)
    weights = {k: _round(v, dtype) for k, v in weights.items()}
    return TinyModel(folder, config, weights, tok)


def rope_config(rope: dict, style: str) -> dict:
    """config.json keys for ``rope`` in transformers 4's or 5's spelling."""
    if style == "transformers5":
        return {"rope_parameters": {"rope_type": "default", **rope}}
    assert style == "transformers4", style
    scaling = {k: v for k, v in rope.items() if k != "rope_theta"}
    return {"rope_theta": rope["rope_theta"], **({"rope_scaling": scaling} if scaling else {})}


def rope_inverse_frequencies(config: dict, head_dim: int) -> np.ndarray:
    """inv_freq as transformers computes it (modeling_rope_utils), from either spelling."""
    rope = dict(config.get("rope_scaling") or {})
    rope.update(config.get("rope_parameters") or {})
    theta = rope.get("rope_theta", config.get("rope_theta", 10000.0))
    kind = rope.get("rope_type", rope.get("type", "default"))
    inv_freq = 1.0 / (theta ** (np.arange(0, head_dim, 2) / head_dim))
    if kind == "default":
        return inv_freq
    factor = rope["factor"]
    if kind == "linear":
        return inv_freq / factor
    assert kind == "llama3", kind
    old_context = rope["original_max_position_embeddings"]
    low, high = rope["low_freq_factor"], rope["high_freq_factor"]
    wavelen = 2 * np.pi / inv_freq
    scaled = np.where(wavelen > old_context / low, inv_freq / factor, inv_freq)
    smooth = (old_context / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    medium = (wavelen >= old_context / high) & (wavelen <= old_context / low)
    return np.where(medium, smoothed, scaled)


def random_weights(config: dict, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    d, ff, vocab = config["hidden_size"], config["intermediate_size"], config["vocab_size"]
    hd = d // config["num_attention_heads"]
    q_rows, kv_rows = config["num_attention_heads"] * hd, config["num_key_value_heads"] * hd

    def mat(rows: int, cols: int, std: float) -> np.ndarray:
        return (rng.standard_normal((rows, cols)) * std).astype(np.float32)

    def norm() -> np.ndarray:
        return (1.0 + 0.2 * rng.standard_normal(d)).astype(np.float32)

    weights = {"model.embed_tokens.weight": mat(vocab, d, 1.0)}
    for i in range(config["num_hidden_layers"]):
        p = f"model.layers.{i}."
        weights[p + "input_layernorm.weight"] = norm()
        weights[p + "self_attn.q_proj.weight"] = mat(q_rows, d, 0.15)
        weights[p + "self_attn.k_proj.weight"] = mat(kv_rows, d, 0.15)
        weights[p + "self_attn.v_proj.weight"] = mat(kv_rows, d, 0.15)
        if config["model_type"] == "qwen2":
            for name, rows in (("q", q_rows), ("k", kv_rows), ("v", kv_rows)):
                weights[p + f"self_attn.{name}_proj.bias"] = mat(1, rows, 0.1)[0]
        weights[p + "self_attn.o_proj.weight"] = mat(d, q_rows, 0.15)
        weights[p + "post_attention_layernorm.weight"] = norm()
        weights[p + "mlp.gate_proj.weight"] = mat(ff, d, 0.15)
        weights[p + "mlp.up_proj.weight"] = mat(ff, d, 0.15)
        weights[p + "mlp.down_proj.weight"] = mat(d, ff, 0.15)
    weights["model.norm.weight"] = norm()
    if not config["tie_word_embeddings"]:
        weights["lm_head.weight"] = mat(vocab, d, 0.3)
    return weights


def _round(array: np.ndarray, dtype: str) -> np.ndarray:
    if dtype == "float16":
        return array.astype(np.float16).astype(np.float32)
    if dtype == "bfloat16":
        return (_to_bf16_bits(array).astype(np.uint32) << 16).view(np.float32)
    return array


def _to_bf16_bits(array: np.ndarray) -> np.ndarray:
    bits = array.astype(np.float32).view(np.uint32)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)  # round to nearest even


def _save(folder: Path, weights: dict[str, np.ndarray], dtype: str, shards: int) -> None:
    names = list(weights)
    groups = [names[i::shards] for i in range(shards)]
    files = (["model.safetensors"] if shards == 1 else
             [f"model-{i + 1:05d}-of-{shards:05d}.safetensors" for i in range(shards)])
    for file, group in zip(files, groups, strict=True):
        subset = {n: weights[n] for n in group}
        if dtype == "bfloat16":
            write_bf16_safetensors(folder / file, subset)
        else:
            save_file({n: a.astype(dtype) for n, a in subset.items()}, str(folder / file),
                      metadata={"format": "pt"})
    if shards > 1:
        weight_map = {n: files[i] for i, group in enumerate(groups) for n in group}
        (folder / "model.safetensors.index.json").write_text(
            json.dumps({"metadata": {}, "weight_map": weight_map}))


def write_bf16_safetensors(path: Path, weights: dict[str, np.ndarray]) -> None:
    """safetensors with BF16 tensors (NumPy has no bfloat16, so the package cannot write it)."""
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, array in weights.items():
        blob = _to_bf16_bits(array).tobytes()
        header[name] = {"dtype": "BF16", "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs))


def write_lora_adapter(folder: Path, model: TinyModel, rank: int = 4, alpha: float = 8.0,
                       seed: int = 1) -> dict[str, np.ndarray]:
    """A PEFT adapter on q/v/down projections; returns the merged float32 weights."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    tensors, merged = {}, dict(model.weights)
    for name, weight in model.weights.items():
        if not name.endswith(("q_proj.weight", "v_proj.weight", "down_proj.weight")):
            continue
        module = "base_model.model." + name.removesuffix(".weight")
        lora_a = (rng.standard_normal((rank, weight.shape[1])) * 0.2).astype(np.float32)
        lora_b = (rng.standard_normal((weight.shape[0], rank)) * 0.2).astype(np.float32)
        tensors[module + ".lora_A.weight"] = lora_a
        tensors[module + ".lora_B.weight"] = lora_b
        merged[name] = weight + (lora_b @ lora_a) * (alpha / rank)
    save_file(tensors, str(folder / "adapter_model.safetensors"))
    (folder / "adapter_config.json").write_text(json.dumps({
        "peft_type": "LORA", "r": rank, "lora_alpha": alpha, "base_model_name_or_path":
        str(model.folder), "target_modules": ["q_proj", "v_proj", "down_proj"],
        "task_type": "CAUSAL_LM"}))
    return merged


# ----------------------------------------------------------------------------------------------
def reference_logits(config: dict, weights: dict[str, np.ndarray], ids: list[int]) -> np.ndarray:
    """Logits (positions x vocab) of the HF model for ``ids``, computed in float64."""
    w = {k: v.astype(np.float64) for k, v in weights.items()}
    d, n_head = config["hidden_size"], config["num_attention_heads"]
    n_kv, eps = config["num_key_value_heads"], config["rms_norm_eps"]
    hd = d // n_head
    steps = len(ids)
    inv_freq = rope_inverse_frequencies(config, hd)
    angles = np.outer(np.arange(steps), inv_freq)
    cos, sin = np.cos(np.concatenate([angles, angles], -1)), np.sin(np.concatenate([angles,
                                                                                  angles], -1))

    def rms(x: np.ndarray, weight: np.ndarray) -> np.ndarray:
        return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * weight

    def rope(x: np.ndarray) -> np.ndarray:  # x: (steps, heads, hd); HF rotate_half
        half = hd // 2
        rotated = np.concatenate([-x[..., half:], x[..., :half]], -1)
        return x * cos[:, None, :] + rotated * sin[:, None, :]

    x = w["model.embed_tokens.weight"][ids]
    mask = np.triu(np.full((steps, steps), -np.inf), 1)
    for i in range(config["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms(x, w[p + "input_layernorm.weight"])
        proj = {}
        for name in ("q", "k", "v"):
            proj[name] = h @ w[p + f"self_attn.{name}_proj.weight"].T
            if p + f"self_attn.{name}_proj.bias" in w:
                proj[name] = proj[name] + w[p + f"self_attn.{name}_proj.bias"]
        q = rope(proj["q"].reshape(steps, n_head, hd))
        k = np.repeat(rope(proj["k"].reshape(steps, n_kv, hd)), n_head // n_kv, axis=1)
        v = np.repeat(proj["v"].reshape(steps, n_kv, hd), n_head // n_kv, axis=1)
        scores = np.einsum("qhd,khd->hqk", q, k) / np.sqrt(hd) + mask
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        attn = np.einsum("hqk,khd->qhd", scores, v).reshape(steps, n_head * hd)
        x = x + attn @ w[p + "self_attn.o_proj.weight"].T
        h = rms(x, w[p + "post_attention_layernorm.weight"])
        gate = h @ w[p + "mlp.gate_proj.weight"].T
        up = h @ w[p + "mlp.up_proj.weight"].T
        x = x + (gate / (1 + np.exp(-gate)) * up) @ w[p + "mlp.down_proj.weight"].T
    x = rms(x, w["model.norm.weight"])
    head = w.get("lm_head.weight", w["model.embed_tokens.weight"])
    return x @ head.T


def load_llama(path: Path, **kwargs):
    """Load a GGUF in llama-cpp-python, quietly, with F32 KV cache so F32 checks stay tight."""
    llama_cpp = import_real_part("llama_cpp", "llama-cpp-python (the test extra) is not installed")
    options = {"n_ctx": 256, "n_threads": 1, "verbose": False, "type_k": 0, "type_v": 0,
               "logits_all": True}
    options.update(kwargs)
    return llama_cpp.Llama(model_path=str(path), **options)
