"""Prompt sets: prompts with optional expectations, run against several deployments.

A prompt set is a JSON or YAML file::

    name: smoke
    system: You are an expert in 65816 assembly.      # optional, for every prompt
    params: {temperature: 0, max_tokens: 64, seed: 1}  # optional generation settings
    prompts:
      - id: nop
        prompt: Write a NOP instruction.
        expect: [NOP]                 # substrings that must all appear
        expect_regex: ['(?i)\\bnop\\b']   # regexes that must all match
      - Just a prompt, nothing checked

(a bare list of prompts is accepted too). Errors name the file and the field
(``prompts[2].expect_regex[0]: …``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from studio.plugins.deploy.backend import GenerationParams

__all__ = ["PromptCase", "PromptSet", "PromptSetError", "describe_expectations", "load_prompt_set",
           "parse_prompt_set"]

_PARAM_KEYS = ("max_tokens", "temperature", "top_p", "top_k", "seed")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class PromptSetError(ValueError):
    """A prompt set file is unusable; the message names the file and the field."""


@dataclass(frozen=True)
class PromptCase:
    id: str
    prompt: str
    system: str | None = None
    expect: tuple[str, ...] = ()
    expect_regex: tuple[re.Pattern[str], ...] = ()
    max_tokens: int | None = None

    @property
    def checked(self) -> bool:
        return bool(self.expect or self.expect_regex)

    def failures(self, output: str) -> list[str]:
        """What the output misses (empty: it passes)."""
        missing = [f"missing {text!r}" for text in self.expect if text not in output]
        missing += [f"no match for /{pattern.pattern}/" for pattern in self.expect_regex
                    if not pattern.search(output)]
        return missing

    def messages(self) -> list[dict[str, str]]:
        system = [{"role": "system", "content": self.system}] if self.system else []
        return [*system, {"role": "user", "content": self.prompt}]


@dataclass(frozen=True)
class PromptSet:
    name: str
    cases: tuple[PromptCase, ...]
    params: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    def generation_params(self, base: GenerationParams | None = None) -> GenerationParams:
        """``base`` (or the defaults) with the set's own ``params`` applied."""
        return replace(base or GenerationParams(), **self.params)


def load_prompt_set(path: str | Path) -> PromptSet:
    """Read a ``.json``, ``.yaml`` or ``.yml`` prompt set."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PromptSetError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise PromptSetError(f"{path}: not valid YAML ({exc})") from exc
    else:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise PromptSetError(f"{path}: not valid JSON ({exc})") from exc
    return parse_prompt_set(data, str(path), default_name=path.stem)


def parse_prompt_set(data: Any, source: str = "<prompt set>", default_name: str = "prompts"
                     ) -> PromptSet:
    def fail(where: str, message: str) -> PromptSetError:
        return PromptSetError(f"{source}: {where}: {message}")

    if isinstance(data, list):
        data = {"prompts": data}
    if not isinstance(data, dict):
        raise fail("top level", "expected a mapping with 'prompts' (or a list of prompts)")
    unknown = sorted(set(data) - {"name", "system", "params", "prompts", "description"})
    if unknown:
        raise fail("top level", f"unknown key(s) {', '.join(unknown)}")
    prompts = data.get("prompts")
    if not isinstance(prompts, list) or not prompts:
        raise fail("prompts", "expected a non-empty list")
    system = _optional_str(data.get("system"), "system", fail)
    params = _params(data.get("params") or {}, fail)
    cases: list[PromptCase] = []
    seen: set[str] = set()
    for index, item in enumerate(prompts):
        case = _case(item, index, system, fail)
        if case.id in seen:
            raise fail(f"prompts[{index}].id", f"{case.id!r} is used twice")
        seen.add(case.id)
        cases.append(case)
    name = _optional_str(data.get("name"), "name", fail) or default_name
    return PromptSet(name, tuple(cases), params, source)


def _optional_str(value: Any, where: str, fail: Callable[[str, str], PromptSetError]
                  ) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise fail(where, f"expected text, got {type(value).__name__}")
    return value


def _strings(value: Any, where: str, fail: Callable[[str, str], PromptSetError]
             ) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise fail(where, "expected a list of non-empty texts")
    return value


def _params(value: Any, fail: Callable[[str, str], PromptSetError]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise fail("params", "expected a mapping")
    unknown = sorted(set(value) - set(_PARAM_KEYS))
    if unknown:
        raise fail("params", f"unknown key(s) {', '.join(unknown)} (known: "
                   f"{', '.join(_PARAM_KEYS)})")
    try:
        GenerationParams(**value)
    except (TypeError, ValueError) as exc:
        raise fail("params", str(exc)) from None
    return dict(value)


def _case(item: Any, index: int, system: str | None,
          fail: Callable[[str, str], PromptSetError]) -> PromptCase:
    where = f"prompts[{index}]"
    if isinstance(item, str):
        item = {"prompt": item}
    if not isinstance(item, dict):
        raise fail(where, "expected a text or a mapping with 'prompt'")
    unknown = sorted(set(item) - {"id", "prompt", "system", "expect", "expect_regex",
                                  "max_tokens"})
    if unknown:
        raise fail(where, f"unknown key(s) {', '.join(unknown)}")
    prompt = item.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise fail(f"{where}.prompt", "expected a non-empty text")
    case_id = str(item.get("id") or f"p{index + 1}")
    if not _ID.match(case_id):
        raise fail(f"{where}.id", f"{case_id!r}: use letters, digits, '.', '_' and '-'")
    patterns = []
    for number, pattern in enumerate(_strings(item.get("expect_regex"),
                                              f"{where}.expect_regex", fail)):
        try:
            patterns.append(re.compile(pattern))
        except re.error as exc:
            raise fail(f"{where}.expect_regex[{number}]", f"invalid regex: {exc}") from None
    max_tokens = item.get("max_tokens")
    if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1):
        raise fail(f"{where}.max_tokens", "expected a positive integer")
    return PromptCase(case_id, prompt, _optional_str(item.get("system"), f"{where}.system",
                                                     fail) or system,
                      tuple(_strings(item.get("expect"), f"{where}.expect", fail)),
                      tuple(patterns), max_tokens)


def describe_expectations(case: PromptCase) -> Sequence[str]:
    return [*(f"contains {t!r}" for t in case.expect),
            *(f"matches /{p.pattern}/" for p in case.expect_regex)]
