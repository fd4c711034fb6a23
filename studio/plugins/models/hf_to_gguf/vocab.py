"""tokenizer.json (+ tokenizer_config.json) → the GGUF ``tokenizer.*`` metadata llama.cpp needs.

Two families are supported, both stored by HF as a BPE model in tokenizer.json:

* GPT-2-style byte-level BPE (Qwen2, Llama 3, GPT-2): tokens are kept in their byte-to-unicode
  spelling, merges are copied, and ``tokenizer.ggml.pre`` names the pre-tokenizer regex so
  llama.cpp splits text the same way.
* SentencePiece-style BPE with byte fallback (Llama 1/2, Mistral): llama.cpp's SPM tokenizer
  merges the adjacent pair whose *result* has the highest score, while HF applies the merge with
  the lowest rank, so each token gets ``score = -rank`` of the merge that creates it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gguf import GGUFWriter, TokenType

from studio.plugins.models.hf_to_gguf.arch import ConversionError, ModelParams

__all__ = ["Vocabulary", "read_vocabulary"]

# Split regexes of known byte-level pre-tokenizers → llama.cpp's tokenizer.ggml.pre names.
_PRE_PATTERNS: dict[str, str] = {
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+": "qwen2",
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+": "llama-bpe",
    r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+": "gpt-2",
}
_BYTE_TOKEN = re.compile(r"<0x[0-9A-Fa-f]{2}>")
UNMERGEABLE_SCORE = -1e9  # multi-character tokens no merge produces: merge them last


@dataclass
class Vocabulary:
    """Everything written under ``tokenizer.*``."""

    model: str  # "gpt2" or "llama"
    tokens: list[str]
    token_types: list[int]
    scores: list[float] | None = None
    merges: list[str] | None = None
    pre: str | None = None
    special_ids: dict[str, int] = field(default_factory=dict)  # bos/eos/unk/pad
    add_bos: bool | None = None
    add_eos: bool | None = None
    add_space_prefix: bool | None = None
    chat_template: str | None = None
    warnings: list[str] = field(default_factory=list)

    def write(self, writer: GGUFWriter) -> None:
        writer.add_tokenizer_model(self.model)
        if self.pre:
            writer.add_tokenizer_pre(self.pre)
        writer.add_token_list(self.tokens)
        if self.scores is not None:
            writer.add_token_scores(self.scores)
        writer.add_token_types(self.token_types)
        if self.merges:
            writer.add_token_merges(self.merges)
        adders = {"bos": writer.add_bos_token_id, "eos": writer.add_eos_token_id,
                  "unk": writer.add_unk_token_id, "pad": writer.add_pad_token_id}
        for kind, token_id in self.special_ids.items():
            adders[kind](token_id)
        if self.add_bos is not None:
            writer.add_add_bos_token(self.add_bos)
        if self.add_eos is not None:
            writer.add_add_eos_token(self.add_eos)
        if self.add_space_prefix is not None:
            writer.add_add_space_prefix(self.add_space_prefix)
        if self.chat_template:
            writer.add_chat_template(self.chat_template)


def _load_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ConversionError(f"{path}: cannot read ({exc})") from exc


def _token_text(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("content")
    return value if isinstance(value, str) else None


def _components(node: dict[str, Any] | None, key: str) -> list[dict[str, Any]]:
    """Flatten a normalizer/pre-tokenizer/decoder that may be a ``Sequence``."""
    if not node:
        return []
    if node.get("type") == "Sequence":
        return [part for child in node.get(key, []) for part in _components(child, key)]
    return [node]


def read_vocabulary(model_dir: Path, params: ModelParams) -> Vocabulary:
    """Build the GGUF vocabulary from ``tokenizer.json`` in ``model_dir``."""
    tokenizer_file = model_dir / "tokenizer.json"
    tokenizer = _load_json(tokenizer_file)
    if tokenizer is None:
        raise ConversionError(
            f"{model_dir}: no tokenizer.json (the built-in converter needs the fast-tokenizer "
            "file that save_pretrained writes)")
    config = _load_json(model_dir / "tokenizer_config.json") or {}
    model = tokenizer.get("model") or {}
    if model.get("type") != "BPE":
        raise ConversionError(f"{tokenizer_file}: tokenizer model {model.get('type')!r} is not "
                              "supported (supported: BPE byte-level and BPE with byte fallback)")
    pre_parts = _components(tokenizer.get("pre_tokenizer"), "pretokenizers")
    byte_level = any(p.get("type") == "ByteLevel" for p in pre_parts)
    if model.get("byte_fallback"):
        vocab = _spm_vocabulary(tokenizer, params)
    elif byte_level:
        vocab = _gpt2_vocabulary(tokenizer, pre_parts, params)
    else:
        raise ConversionError(f"{tokenizer_file}: a BPE tokenizer without byte-level "
                              "pre-tokenization or byte fallback is not supported")
    _add_special_tokens(vocab, tokenizer, config, params)
    vocab.chat_template = _chat_template(model_dir, config)
    return vocab


def _id_table(tokenizer: dict[str, Any], params: ModelParams
              ) -> tuple[list[str | None], dict[int, dict]]:
    model_vocab: dict[str, int] = tokenizer["model"].get("vocab") or {}
    added = {int(t["id"]): t for t in tokenizer.get("added_tokens") or []}
    size = max([params.vocab_size, *(i + 1 for i in model_vocab.values()),
                *(i + 1 for i in added)])
    table: list[str | None] = [None] * size
    for text, token_id in model_vocab.items():
        table[token_id] = text
    for token_id, token in added.items():
        table[token_id] = token["content"]
    return table, added


def _merges(model: dict[str, Any]) -> list[str]:
    # Older tokenizers store "a b" strings, newer ones [a, b] pairs.
    return [m if isinstance(m, str) else " ".join(m) for m in model.get("merges") or []]


def _gpt2_vocabulary(tokenizer: dict[str, Any], pre_parts: list[dict[str, Any]],
                     params: ModelParams) -> Vocabulary:
    table, added = _id_table(tokenizer, params)
    tokens, types = [], []
    for token_id, text in enumerate(table):
        if text is None:  # embedding rows beyond the tokenizer (padding to a round size)
            tokens.append(f"[PAD{token_id}]")
            types.append(TokenType.UNUSED)
        elif token_id in added:
            tokens.append(text)
            types.append(TokenType.CONTROL if added[token_id].get("special")
                         else TokenType.USER_DEFINED)
        else:
            tokens.append(text)
            types.append(TokenType.NORMAL)
    vocab = Vocabulary("gpt2", tokens, [int(t) for t in types], merges=_merges(tokenizer["model"]))
    vocab.pre = _pre_tokenizer_name(pre_parts, vocab.warnings)
    return vocab


def _pre_tokenizer_name(parts: list[dict[str, Any]], warnings: list[str]) -> str:
    for part in parts:
        if part.get("type") == "Split":
            pattern = (part.get("pattern") or {}).get("Regex", "")
            if pattern in _PRE_PATTERNS:
                return _PRE_PATTERNS[pattern]
            warnings.append("unknown pre-tokenizer regex; using llama.cpp's 'default' splitting, "
                            "tokenization of some texts may differ")
            return "default"
        if part.get("type") == "ByteLevel" and part.get("use_regex", True):
            return "gpt-2"
    return "default"


def _spm_vocabulary(tokenizer: dict[str, Any], params: ModelParams) -> Vocabulary:
    table, added = _id_table(tokenizer, params)
    model = tokenizer["model"]
    merges = _merges(model)
    rank_of: dict[str, int] = {}
    for rank, merge in enumerate(merges):
        left, _, right = merge.partition(" ")
        rank_of.setdefault(left + right, rank)
    unk = model.get("unk_token")
    tokens, types, scores = [], [], []
    for token_id, text in enumerate(table):
        if text is None:
            tokens.append(f"<unused{token_id}>")
            types.append(TokenType.UNUSED)
            scores.append(UNMERGEABLE_SCORE)
            continue
        tokens.append(text)
        if token_id in added and text != unk:
            types.append(TokenType.CONTROL if added[token_id].get("special")
                         else TokenType.USER_DEFINED)
        elif text == unk:
            types.append(TokenType.UNKNOWN)
        elif _BYTE_TOKEN.fullmatch(text):
            types.append(TokenType.BYTE)
        else:
            types.append(TokenType.NORMAL)
        if text in rank_of:
            scores.append(-float(rank_of[text]))
        else:
            scores.append(0.0 if len(text) == 1 else UNMERGEABLE_SCORE)
    normalizers = _components(tokenizer.get("normalizer"), "normalizers")
    pre_parts = _components(tokenizer.get("pre_tokenizer"), "pretokenizers")
    prepends = any(n.get("type") == "Prepend" for n in normalizers) or any(
        p.get("type") == "Metaspace" and p.get("prepend_scheme", "always") != "never"
        and p.get("add_prefix_space", True) for p in pre_parts)
    vocab = Vocabulary("llama", tokens, [int(t) for t in types], scores=scores,
                       add_space_prefix=prepends)
    if unk in tokens:
        vocab.special_ids["unk"] = tokens.index(unk)
    return vocab


def _add_special_tokens(vocab: Vocabulary, tokenizer: dict[str, Any], config: dict[str, Any],
                        params: ModelParams) -> None:
    index = {text: i for i, text in enumerate(vocab.tokens)}
    for kind in ("bos", "eos", "unk", "pad"):
        text = _token_text(config.get(f"{kind}_token"))
        if text is not None and text in index:
            vocab.special_ids[kind] = index[text]
    if "bos" not in vocab.special_ids and params.bos_token_id is not None:
        vocab.special_ids["bos"] = int(params.bos_token_id)
    if "eos" not in vocab.special_ids and params.eos_token_id is not None:
        vocab.special_ids["eos"] = int(params.eos_token_id)
    add_bos = config.get("add_bos_token")
    if add_bos is None:
        add_bos = _post_processor_adds_bos(tokenizer, vocab)
    vocab.add_bos = bool(add_bos)
    vocab.add_eos = bool(config.get("add_eos_token", False))


def _post_processor_adds_bos(tokenizer: dict[str, Any], vocab: Vocabulary) -> bool:
    processors = _components(tokenizer.get("post_processor"), "processors")
    for processor in processors:
        if processor.get("type") == "TemplateProcessing":
            single = processor.get("single") or []
            return bool(single) and "SpecialToken" in single[0]
    return vocab.model == "llama"  # SentencePiece Llama tokenizers add <s> by default


def _chat_template(model_dir: Path, config: dict[str, Any]) -> str | None:
    template = config.get("chat_template")
    if isinstance(template, list):  # [{"name": "default", "template": …}, …]
        named = {t.get("name"): t.get("template") for t in template if isinstance(t, dict)}
        template = named.get("default") or next(iter(named.values()), None)
    if not template:
        jinja = model_dir / "chat_template.jinja"
        if jinja.is_file():
            template = jinja.read_text(encoding="utf-8")
    return template or None
