"""The model's chat template: read once, rendered the same way for every backend.

The template is the Jinja2 text a model ships with (``tokenizer.chat_template`` in a GGUF,
``chat_template`` in a Hugging Face ``tokenizer_config.json``, read by the Models plugin),
rendered here with Jinja2's sandbox as Hugging Face does (``trim_blocks``, ``lstrip_blocks``,
``raise_exception``), so a conversation becomes the same prompt text whether llama.cpp,
CTranslate2 or Ollama runs it.

Ollama needs its own Go-template syntax for ``ollama run``: :meth:`ChatTemplate.ollama` maps
the common template families (ChatML as used by Qwen, Llama 3, Gemma, Mistral ``[INST]``,
Phi-3) to an equivalent Go template and its stop tokens.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

__all__ = ["ChatTemplate", "OllamaTemplate", "TemplateError", "template_from_gguf",
           "template_from_vocabulary"]


class TemplateError(ValueError):
    """A chat template cannot be read or rendered; the message names its origin."""


@dataclass(frozen=True)
class OllamaTemplate:
    """Go template and stop strings for Ollama's ``/api/create``; ``family`` names the match."""

    template: str
    stop: tuple[str, ...]
    family: str


_CHATML = OllamaTemplate(
    "{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}"
    "<|im_start|>assistant\n", ("<|im_end|>", "<|im_start|>"), "chatml")
_LLAMA3 = OllamaTemplate(
    "{{- range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>\n\n"
    "{{ .Content }}<|eot_id|>{{ end }}<|start_header_id|>assistant<|end_header_id|>\n\n",
    ("<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>"), "llama3")
_GEMMA = OllamaTemplate(
    "{{- range .Messages }}<start_of_turn>"
    "{{ if eq .Role \"assistant\" }}model{{ else }}user{{ end }}\n"
    "{{ .Content }}<end_of_turn>\n{{ end }}<start_of_turn>model\n",
    ("<end_of_turn>",), "gemma")
_MISTRAL = OllamaTemplate(
    "{{- range .Messages }}{{ if eq .Role \"user\" }}[INST] {{ .Content }} [/INST]"
    "{{ else if eq .Role \"assistant\" }}{{ .Content }}</s>{{ end }}{{ end }}",
    ("[INST]", "[/INST]"), "mistral")
_PHI3 = OllamaTemplate(
    "{{- range .Messages }}<|{{ .Role }}|>\n{{ .Content }}<|end|>\n{{ end }}<|assistant|>\n",
    ("<|end|>", "<|user|>", "<|assistant|>"), "phi3")
_PLAIN = OllamaTemplate("{{ .Prompt }}", (), "plain")

# Markers that identify a family, most specific first.
_FAMILIES: tuple[tuple[str, OllamaTemplate], ...] = (
    ("<|im_start|>", _CHATML),
    ("<|start_header_id|>", _LLAMA3),
    ("<start_of_turn>", _GEMMA),
    ("<|end|>", _PHI3),
    ("[INST]", _MISTRAL),
)


@dataclass(frozen=True)
class ChatTemplate:
    """A model's chat template and the special tokens it refers to."""

    source: str | None  # the Jinja2 text; None when the model has no chat template
    bos_token: str = ""
    eos_token: str = ""
    add_bos: bool = False  # the tokenizer itself prepends BOS (GGUF add_bos_token)
    origin: str = ""  # file it was read from, for messages

    @property
    def family(self) -> str:
        """"chatml", "llama3", "gemma", "phi3", "mistral", "plain" or "unknown"."""
        if not self.source:
            return "plain"
        return next((t.family for marker, t in _FAMILIES if marker in self.source), "unknown")

    def render(self, messages: Sequence[dict[str, str]], add_generation_prompt: bool = True
               ) -> str:
        """The prompt text for ``messages`` (dicts with ``role`` and ``content``)."""
        if not self.source:
            # No template (a base model): the conversation as plain text to continue.
            return "".join(f"{m['content']}\n" for m in messages)
        try:
            return _compile(self.source).render(messages=list(messages), bos_token=self.bos_token,
                                   eos_token=self.eos_token,
                                   add_generation_prompt=add_generation_prompt)
        except TemplateError:
            raise
        except Exception as exc:  # Jinja syntax/runtime errors: name the template's origin
            where = self.origin or "the model's chat template"
            raise TemplateError(f"{where}: chat template failed: {type(exc).__name__}: {exc}"
                                ) from exc

    def compile(self) -> None:
        """Compile the template now (cached per template text) so no answer waits for it."""
        if self.source:
            # A broken template is reported, with its origin, when it is rendered.
            with contextlib.suppress(Exception):
                _compile(self.source)

    def needs_bos(self, text: str) -> bool:
        """Prepend BOS when the tokenizer wants it and the rendered text lacks it."""
        return self.add_bos and not (self.bos_token and text.startswith(self.bos_token))

    def ollama(self) -> OllamaTemplate:
        """The equivalent Ollama Go template and stop strings (``plain`` when unknown)."""
        if not self.source:
            return _PLAIN
        for marker, template in _FAMILIES:
            if marker in self.source:
                return template
        return OllamaTemplate(_PLAIN.template, (), "unknown")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ChatTemplate:
        data = data or {}
        return cls(data.get("source"), str(data.get("bos_token") or ""),
                   str(data.get("eos_token") or ""), bool(data.get("add_bos")),
                   str(data.get("origin") or ""))


def _raise_exception(message: str) -> None:
    raise TemplateError(f"chat template refused the conversation: {message}")


@functools.lru_cache(maxsize=32)
def _compile(source: str) -> Any:
    """Compiling a template costs milliseconds: once per template text, not per message."""
    return _environment().from_string(source)


def _environment() -> Any:
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    env.filters["tojson"] = lambda value, indent=None: json.dumps(value, indent=indent,
                                                                  ensure_ascii=False)
    return env


def template_from_gguf(info: Any) -> ChatTemplate:
    """From a GGUF header (:class:`GGUFInfo` of the Models plugin's ``inspect``)."""
    metadata = info.metadata
    source = metadata.get("tokenizer.chat_template")
    tokens: list[str] = []
    if "tokenizer.ggml.tokens" in metadata:
        tokens = info.array("tokenizer.ggml.tokens")

    def token(key: str) -> str:
        index = metadata.get(key)
        return tokens[index] if isinstance(index, int) and 0 <= index < len(tokens) else ""

    add_bos = metadata.get("tokenizer.ggml.add_bos_token")
    if add_bos is None:  # llama.cpp's default: SentencePiece vocabularies add BOS
        add_bos = metadata.get("tokenizer.ggml.model") == "llama"
    return ChatTemplate(source if isinstance(source, str) and source.strip() else None,
                        token("tokenizer.ggml.bos_token_id"),
                        token("tokenizer.ggml.eos_token_id"), bool(add_bos), str(info.path))


def template_from_vocabulary(vocabulary: Any, origin: str) -> ChatTemplate:
    """From a Hugging Face checkpoint's vocabulary as the Models plugin reads it."""
    tokens, special = vocabulary.tokens, vocabulary.special_ids

    def token(kind: str) -> str:
        index = special.get(kind)
        return tokens[index] if index is not None and 0 <= index < len(tokens) else ""

    return ChatTemplate(vocabulary.chat_template or None, token("bos"), token("eos"),
                        bool(vocabulary.add_bos), origin)
