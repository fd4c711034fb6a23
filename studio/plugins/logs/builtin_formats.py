"""The log formats the studio knows out of the box (hafs-formats.md §2.C, §2.F, §4).

* ``hafs-campaign``: hafs generation campaigns (``generate_campaign.py``), e.g.
  ``2025-12-22 18:31:02,417 [agents.training.curator] INFO: Progress: 1234/34500``
* ``hafs-daemon``: hafs daemons (``training_daemon.py`` …), e.g.
  ``2025-12-22 18:31:02,417 [INFO] services.daemons.training_daemon: Running task: …``
* ``python-logging``: Python's ``logging`` with a timestamp, or ``basicConfig``'s default:
  ``2024-05-01 12:00:00,123 - trainer - WARNING - …`` / ``ERROR:root:…``
* ``hf-training``: Hugging Face Trainer runs with tqdm bars (hafs fine-tune logs), e.g.
  `` 2%|▏   | 4/252 [13:41<14:51:41, 215.73s/it]``
* ``llama-cpp``: llama.cpp's ``llama-server`` / ``llama-cli``: ``srv  update_slots: …``
* ``llama-cpp-python``: ``python -m llama_cpp.server`` (uvicorn + llama.cpp), e.g.
  ``INFO:     127.0.0.1:5000 - "POST /v1/completions HTTP/1.1" 200 OK``

Detection scores the first lines of a file: the share of lines in the format's shape, with the
hafs formats slightly ahead of generic Python logging when both fit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from studio.plugins.logs.formats import (
    DEFAULT_LEVEL_TOKENS,
    FormatRegistry,
    Level,
    LogFormat,
    iso_timestamp,
    matching_fraction,
)

__all__ = ["BUILTIN_FORMATS", "register_builtin_formats"]

_LEVEL = r"(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL)"
_STAMP = r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[,.]\d+)?"

# Python warnings and tracebacks show up in every training and server log.
_PYTHON_TOKENS = {
    **DEFAULT_LEVEL_TOKENS,
    "UserWarning": Level.WARNING, "FutureWarning": Level.WARNING,
    "DeprecationWarning": Level.WARNING, "RuntimeWarning": Level.WARNING,
}  # fmt: skip


def _boosted(base: float, lines: Sequence[str], markers: Sequence[str], bonus: float) -> float:
    """``base`` plus ``bonus`` when any line holds one of ``markers`` (only if base > 0)."""
    if base <= 0:
        return 0.0
    text = "\n".join(lines)
    return min(1.0, base + (bonus if any(marker in text for marker in markers) else 0.0))


_campaign_shape = matching_fraction(rf"{_STAMP} \[[\w.]+\] {_LEVEL}: ")
_daemon_shape = matching_fraction(rf"{_STAMP} \[{_LEVEL}\] [\w.]+: ")
_python_shape = matching_fraction(
    rf"(?:{_STAMP}\s*(?:[-|:]\s*)?(?:\[?[\w.]+\]?\s*[-|:]?\s*)?\[?{_LEVEL}\]?[\s:-]"
    rf"|{_LEVEL}:[\w.]+:)")
_TQDM = re.compile(r"\d+%\|[^|]*\|\s*\d+/\d+\s*\[")
_HF_MARKERS = ("Training Configuration", "{'loss':", "{'eval_loss':", "'train_runtime'",
               "it/s]", "s/it]", "Training started at:", "trainable params:")


def _detect_hf(lines: Sequence[str]) -> float:
    sample = [line for line in lines if line.strip()]
    if not sample:
        return 0.0
    hits = sum(1 for line in sample if _TQDM.search(line) or any(m in line for m in _HF_MARKERS))
    steps = sum(1 for line in sample if re.match(r"\[\d+/\d+\] ", line))
    return min(1.0, 0.35 * (hits > 0) + 0.25 * (steps > 0) + hits / len(sample))


_LLAMA_PREFIX = re.compile(
    r"(?:\d+\.\d\d\.\d{3}\.\d{3} [IWED] |llama_|llm_load_|load_tensors:|print_info:|srv |slot |"
    r"main: |build: |system_info:|common_init|ggml_|gguf_|que |init: |load: )")
_UVICORN = re.compile(rf"{_LEVEL}:\s+(?:\d+\.\d+\.\d+\.\d+:\d+ - \"|Started server|Waiting for"
                      r"|Application startup|Uvicorn running|Shutting down|Finished server)")


def _detect_llama_cpp(lines: Sequence[str]) -> float:
    sample = [line for line in lines if line.strip()]
    if not sample:
        return 0.0
    return sum(1 for line in sample if _LLAMA_PREFIX.match(line)) / len(sample)


def _detect_llama_cpp_python(lines: Sequence[str]) -> float:
    sample = [line for line in lines if line.strip()]
    uvicorn = sum(1 for line in sample if _UVICORN.match(line))
    if not uvicorn:
        return 0.0
    llama = sum(1 for line in sample if _LLAMA_PREFIX.match(line))
    return min(1.0, 0.5 + (uvicorn + llama) / len(sample))


_LLAMA_TOKENS = {
    **DEFAULT_LEVEL_TOKENS,
    "E": Level.ERROR, "W": Level.WARNING, "I": Level.INFO, "D": Level.DEBUG,
    "error": Level.ERROR, "warning": Level.WARNING, "failed": Level.ERROR,
}  # fmt: skip

_python_time = iso_timestamp()
_CAMPAIGN_MARKERS = ("Progress:", "Generating from domain:", "Starting curation",
                     "GENERATION CAMPAIGN", "Target:")

BUILTIN_FORMATS: tuple[LogFormat, ...] = (
    LogFormat(
        "hafs-campaign", "hafs campaign",
        lambda lines: _boosted(_campaign_shape(lines) * 1.05, lines, _CAMPAIGN_MARKERS, 0.15),
        level_tokens=_PYTHON_TOKENS, level_max_column=96, level_inherit=True,
        timestamp=_python_time,
        description="hafs data-generation campaigns: asctime [logger] LEVEL: message"),
    LogFormat(
        "hafs-daemon", "hafs daemon",
        lambda lines: min(1.0, _daemon_shape(lines) * 1.05),
        level_tokens=_PYTHON_TOKENS, level_max_column=64, level_inherit=True,
        timestamp=_python_time,
        description="hafs daemons: asctime [LEVEL] logger: message"),
    LogFormat(
        "python-logging", "Python logging", _python_shape,
        level_tokens=_PYTHON_TOKENS, level_max_column=128, level_inherit=True,
        timestamp=_python_time,
        description="Python's logging module with a timestamp, or basicConfig's LEVEL:name:"),
    LogFormat(
        "hf-training", "Hugging Face training", _detect_hf,
        level_tokens=_PYTHON_TOKENS, timestamp=iso_timestamp(search=True),
        description="Trainer runs: header, [k/n] steps, tqdm bars, {'loss': …} dicts"),
    LogFormat(
        "llama-cpp", "llama.cpp", _detect_llama_cpp, level_tokens=_LLAMA_TOKENS,
        level_max_column=48,
        description="llama-server / llama-cli output (loader, slots, requests)"),
    LogFormat(
        "llama-cpp-python", "llama-cpp-python server", _detect_llama_cpp_python,
        level_tokens=_LLAMA_TOKENS, level_max_column=48,
        description="python -m llama_cpp.server: uvicorn access lines and llama.cpp output"),
)


def register_builtin_formats(registry: FormatRegistry) -> FormatRegistry:
    for fmt in BUILTIN_FORMATS:
        registry.register(fmt)
    return registry
