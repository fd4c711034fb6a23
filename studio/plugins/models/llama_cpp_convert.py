"""llama.cpp's ``convert_hf_to_gguf.py`` as an alternative converter, when a checkout exists.

It covers every architecture llama.cpp supports (the built-in converter: llama, mistral, qwen2)
but needs torch and transformers in the interpreter that runs it. It runs as a managed child
process (:mod:`studio.core.process`: no shell, its own process group, a log file): the
checkout's own ``.venv`` interpreter if it has one, else the ``models.llama_cpp_python``
setting, else this interpreter. Progress comes from its log (``INFO:hf-to-gguf:<tensor>,
torch.float16 --> F16, shape = …`` while it prepares tensors, then tqdm's ``Writing:  42%|…``,
redrawn with carriage returns); cancelling stops its process group; output goes through
:func:`studio.core.atomic.partial_output`, renamed into place only when the script succeeded.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.api import (
    NULL_CONTEXT,
    JobContext,
    NoOutputError,
    ProcessFailed,
    ProcessManager,
    ToolRegistry,
    ToolsManifestError,
    ToolSpec,
    load_manifest,
    locate_tool,
    partial_output,
)

__all__ = [
    "LLAMA_CPP_OUTTYPES",
    "TOOL_NAME",
    "LlamaCppConverter",
    "convert_with_llama_cpp",
    "find_from_settings",
    "find_llama_cpp_converter",
]

TOOL_NAME = "convert-hf-to-gguf"  # the third_party/tools.toml entry
SCRIPT = "convert_hf_to_gguf.py"
LLAMA_CPP_OUTTYPES = ("f32", "f16", "bf16", "q8_0")  # the ones both converters offer
TAIL_LINES = 15
_TENSOR_LINE = re.compile(r"^INFO:hf-to-gguf:([\w.]+),\s+\S+\s+-->\s+(\w+), shape")
_WRITING = re.compile(r"Writing:\s+(\d+)%")
# Share of the bar for the preparation phase (tensor lines) vs tqdm's "Writing" phase.
_PREPARE_SHARE = 0.3


@dataclass(frozen=True)
class LlamaCppConverter:
    script: Path
    python: str
    found_by: str  # "setting", "search path", "PATH"

    @property
    def checkout(self) -> Path:
        return self.script.parent


def _checkout_python(checkout: Path) -> Path | None:
    for candidate in (checkout / ".venv" / "bin" / "python",
                      checkout / ".venv" / "Scripts" / "python.exe"):
        if candidate.is_file():
            return candidate
    return None


def find_llama_cpp_converter(checkout: str | os.PathLike[str] | None = None,
                             python: str | None = None,
                             tools: ToolRegistry | None = None) -> LlamaCppConverter | None:
    """The converter script, looked for like every external tool (``studio.core.tools``).

    ``checkout``: the ``tools.llama_cpp_dir`` setting (a folder or the script itself); empty
    searches the manifest's folders (hafs default ``~/Code/llama.cpp``) and PATH. ``python``:
    the ``models.llama_cpp_python`` setting, used when the checkout has no ``.venv``.
    ``tools``: the studio's tool registry (manifest and overrides parsed once), else the
    bundled manifest is read.
    """
    spec = _converter_spec(tools)
    if spec is None:
        return None
    status = locate_tool(spec, str(checkout) if checkout else None, read_version=False)
    if status.path is None:
        return None
    interpreter = _checkout_python(status.path.parent)
    chosen = str(interpreter) if interpreter else (python or sys.executable)
    return LlamaCppConverter(status.path, chosen, status.found_by)


def _converter_spec(tools: ToolRegistry | None) -> ToolSpec | None:
    try:
        if tools is not None:
            return tools.spec(TOOL_NAME)
        return next((s for s in load_manifest() if s.name == TOOL_NAME), None)
    except (ToolsManifestError, KeyError):
        return None


def find_from_settings(settings: Any, tools: ToolRegistry | None = None
                       ) -> LlamaCppConverter | None:
    """:func:`find_llama_cpp_converter` with the studio's settings (sections may be absent)."""
    return find_llama_cpp_converter(_setting(settings, "tools", "llama_cpp_dir"),
                                    _setting(settings, "models", "llama_cpp_python"), tools)


def _setting(settings: Any, section: str, key: str) -> str | None:
    try:
        return settings.get(section, key) or None
    except Exception:  # section not registered (plugin-only tests, CLI without workbench)
        return None


def convert_with_llama_cpp(converter: LlamaCppConverter, model_dir: str | os.PathLike[str],
                           out_path: str | os.PathLike[str], outtype: str = "f16", *,
                           ctx: JobContext = NULL_CONTEXT, overwrite: bool = False,
                           processes: ProcessManager | None = None) -> Path:
    """Run the script on ``model_dir``; returns ``out_path`` once complete and durable.

    Raises :class:`ConversionError` with the script's last output lines when it fails,
    ``JobCancelled`` (process group stopped, no file left) when ``ctx`` is cancelled, and
    ``OutputExistsError`` for an existing output unless ``overwrite``. ``processes``: the
    studio's process manager (log file, owner); without one the script runs managed anyway.
    """
    # Imported here: the package pulls in NumPy and gguf, which finding the script (the
    # Convert dialog, on the GUI thread) does not need.
    from studio.plugins.models.hf_to_gguf.arch import ConversionError

    outtype = outtype.lower()
    if outtype not in LLAMA_CPP_OUTTYPES:
        raise ConversionError(f"output type {outtype!r} is not one of "
                              f"{', '.join(LLAMA_CPP_OUTTYPES)}")
    out = Path(out_path)
    progress = _Progress(ctx)
    ctx.report(0.0, f"llama.cpp: converting {Path(model_dir).name}")
    try:
        with partial_output(out, overwrite=overwrite) as tmp:
            (processes or ProcessManager()).run(
                [converter.python, str(converter.script), str(model_dir), "--outfile", str(tmp),
                 "--outtype", outtype],
                name="llama-cpp-convert", ctx=ctx, cwd=converter.checkout,
                # tqdm only draws its bar for a terminal unless told to; Python must not buffer.
                env={"PYTHONUNBUFFERED": "1", "TQDM_MININTERVAL": "0.2"},
                on_line=progress.feed, on_partial=progress.feed)
    except ProcessFailed as exc:
        raise ConversionError(_failure(converter, exc.returncode,
                                       exc.stderr_tail[-TAIL_LINES:])) from None
    except NoOutputError:
        raise ConversionError(f"{converter.script} exited successfully but wrote no "
                              f"{out.name}") from None
    ctx.report(1.0, f"Wrote {out.name}")
    return out


def _failure(converter: LlamaCppConverter, code: int, tail: list[str]) -> str:
    text = "\n".join(tail)
    hint = ""
    if "No module named" in text:
        hint = (f"\nIts interpreter ({converter.python}) lacks the script's requirements: "
                f"pip install -r {converter.checkout / 'requirements'}/"
                "requirements-convert_hf_to_gguf.txt, or create a .venv in the checkout, or "
                "set models.llama_cpp_python to an interpreter that has torch.")
    return f"llama.cpp's {SCRIPT} failed (exit code {code}):\n{text}{hint}"


class _Progress:
    """Turns the script's log into job progress (tensor count unknown up front)."""

    def __init__(self, ctx: JobContext) -> None:
        self.ctx = ctx
        self.tensors = 0

    def feed(self, stream: str, line: str) -> None:
        writing = _WRITING.search(line)
        if writing:
            share = int(writing.group(1)) / 100
            self.ctx.report(_PREPARE_SHARE + (1 - _PREPARE_SHARE) * share * 0.99,
                            f"llama.cpp: writing {writing.group(1)}%")
            return
        tensor = _TENSOR_LINE.match(line)
        if tensor:
            self.tensors += 1
            # Approaches the preparation share without knowing the total.
            fraction = _PREPARE_SHARE * self.tensors / (self.tensors + 20)
            self.ctx.report(fraction, f"llama.cpp: {tensor.group(1)} → {tensor.group(2)}")
