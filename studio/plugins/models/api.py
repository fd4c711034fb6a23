"""The Models plugin's public, Qt-free API: what the panel, the CLI and other plugins call.

One :class:`ModelsService` per context root ties the registry, the studio sidecar, detection,
conversion, quantization and inspection together, and records results in the registry the way
hafs expects (``"gguf"`` appended to ``formats`` once the file exists; file paths and types in
the sidecar only). A registered model's GGUF goes *inside* its local folder as
``<id>-f16.gguf`` / ``<id>-<TYPE>.gguf`` (:func:`model_gguf_path`), the only place hafs's
``deploy`` looks (hafs-formats §1.5).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.api import NULL_CONTEXT, ContextRoot, JobContext, hafs_path
from studio.plugins.models.action_spec import ModelActionSpec
from studio.plugins.models.ids import id_path_part
from studio.plugins.models.quant_types import QUANT_TYPES, QuantType
from studio.plugins.models.registry import (
    EntryDamage,
    Registry,
    RegistryError,
    RegistryReadOnlyError,
    RegistryStore,
    UnknownModelError,
)
from studio.plugins.models.schema import (
    FIELD_SET,
    FIELDS,
    REQUIRED_FIELDS,
    ModelEntry,
    entry_problems,
)
from studio.plugins.models.sidecar import SidecarStore

# Detection, conversion, quantization and the inspector pull in numpy and gguf (~0.3 s): they
# are imported by the methods that need them, so listing models (dashboard cards, the panel,
# `models list`) stays cheap.
if TYPE_CHECKING:
    import numpy as np

    from studio.api import ProcessManager, Studio
    from studio.plugins.models.detect import Detection
    from studio.plugins.models.gguf_info import GGUFInfo
    from studio.plugins.models.hf_to_gguf import ConversionResult
    from studio.plugins.models.hf_to_gguf.arch import ModelParams
    from studio.plugins.models.hf_to_gguf.checkpoint import Checkpoint
    from studio.plugins.models.hf_to_gguf.vocab import Vocabulary
    from studio.plugins.models.llama_cpp_convert import LlamaCppConverter
    from studio.plugins.models.quantize import QuantizeResult
    from studio.plugins.models.state import ModelsState

__all__ = [
    "QUANT_TYPES",
    "FieldComparison",
    "HFCheckpoint",
    "ModelActionSpec",
    "ModelsService",
    "QuantType",
    "RegistryError",
    "RegistryReadOnlyError",
    "RegistryTextCheck",
    "UnknownModelError",
    "check_registry_text",
    "gguf_file_name",
    "model_actions",
    "model_gguf_path",
    "models",
    "open_hf_checkpoint",
]

# Errors of the heavy modules, importable from here without loading them up front (other
# plugins catch them): ``from studio.plugins.models.api import GGUFFormatError``.
_LAZY_NAMES = {
    "GGUFFormatError": "studio.plugins.models.gguf_info",
    "ConversionError": "studio.plugins.models.hf_to_gguf",
    "QuantizeError": "studio.plugins.models.quantize",
    "CheckpointError": "studio.plugins.models.hf_to_gguf.checkpoint",
    "DetectError": "studio.plugins.models.detect",
    "estimate_quantized_size": "studio.plugins.models.quantize",
    "format_bytes": "studio.api",  # the studio's one size format, kept under its old name
    "read_gguf_info": "studio.plugins.models.gguf_info",
}


def __getattr__(name: str) -> Any:
    module = _LAZY_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class FieldComparison:
    field: str
    left: Any
    right: Any

    @property
    def differs(self) -> bool:
        return self.left != self.right


def models(studio: Studio) -> ModelsState:
    """The studio's live registry state (ServiceUnavailableError when Models is not active)."""
    from studio.plugins.models.state import models_state

    return models_state(studio)


def model_actions(studio: Studio, entry: ModelEntry | None = None) -> list[ModelActionSpec]:
    """Actions offered on models, by order (only those that apply to ``entry`` when given)."""
    table = models(studio).actions
    actions = sorted(table.items() if table is not None else [],
                     key=lambda a: (a.order, a.command_id))
    return [a for a in actions if entry is None or a.applies_to(entry)]


def gguf_file_name(model_id: str, type_name: str) -> str:
    """``<id>-f16.gguf`` for F16 (hafs's own name) and ``<id>-<TYPE>.gguf`` otherwise
    (``Q4_K_M``, ``Q8_0``, ``BF16`` …), the id made safe as a file name."""
    suffix = "f16" if type_name.lower() == "f16" else type_name.upper()
    return f"{id_path_part(model_id)}-{suffix}.gguf"


def model_gguf_path(model_location: str | os.PathLike[str], model_id: str,
                    type_name: str) -> Path:
    """Where a GGUF made from a registered model goes: inside its folder (``locations.mac``),
    where hafs's ``deploy`` globs ``*.gguf``; a model registered as a file gets its folder."""
    location = Path(model_location).expanduser()
    folder = location if location.is_dir() else location.parent
    return folder / gguf_file_name(model_id, type_name)


@dataclass
class HFCheckpoint:
    """A Hugging Face checkpoint folder read the way the GGUF converter reads it.

    For other converters (the Deploy plugin's CTranslate2 one): ``params`` are the
    hyper-parameters from config.json, ``vocabulary`` the tokens in id order with the special
    ids, ``add_bos`` and the chat template; :meth:`tensor` returns a weight as float32.
    """

    folder: Path
    params: ModelParams
    vocabulary: Vocabulary
    checkpoint: Checkpoint

    def names(self) -> list[str]:
        return list(self.checkpoint.tensors)

    def tensor(self, name: str) -> np.ndarray:
        return self.checkpoint.float32(name)

    def close(self) -> None:
        self.checkpoint.close()


def open_hf_checkpoint(folder: str | os.PathLike[str]) -> HFCheckpoint:
    """Open a llama/mistral/qwen2 checkpoint folder; ConversionError/CheckpointError if not."""
    from studio.plugins.models.hf_to_gguf.arch import read_params
    from studio.plugins.models.hf_to_gguf.checkpoint import Checkpoint
    from studio.plugins.models.hf_to_gguf.vocab import read_vocabulary

    folder = Path(folder)
    params = read_params(folder)
    return HFCheckpoint(folder, params, read_vocabulary(folder, params),
                        Checkpoint.from_folder(folder))


class ModelsService:
    """Registry-aware model operations for one hafs context root (``~/.context``).

    ``context`` is the studio's :class:`~studio.core.context.ContextRoot` (the registry is
    found where hafs keeps it, see :func:`~studio.core.context.hafs_path`) or, for scripts and
    tests, a folder that holds ``models/registry.json``.
    """

    def __init__(self, context: ContextRoot | str | os.PathLike[str],
                 read_only: bool = False, processes: ProcessManager | None = None) -> None:
        if not isinstance(context, ContextRoot):
            context = ContextRoot(Path(context), "path")
        self.context = context
        self.context_root = context.path
        self.processes = processes  # the studio's: quantize/convert children logged, owned
        self.registry = RegistryStore(hafs_path(context, "models/registry.json"),
                                      read_only=read_only)
        self.sidecar = SidecarStore(self.registry.path)

    # -- reading -------------------------------------------------------------------------
    def load(self) -> Registry:
        return self.registry.load()

    def list_models(self, *, text: str = "", role: str | None = None,
                    location: str | None = None, backend: str | None = None
                    ) -> list[ModelEntry]:
        return self.load().filter(text=text, role=role, location=location, backend=backend)

    def list_json(self, **filters: Any) -> dict[str, Any]:
        """``{"models": [...], "total": N}`` exactly like ``hafs models list --json``."""
        models = self.list_models(**filters)
        return {"models": models, "total": len(models)}

    def info(self, model_id: str) -> ModelEntry:
        return self.load().get(model_id)

    def studio_data(self, model_id: str) -> dict[str, Any]:
        """Sidecar data of a model (``artifacts``: produced GGUF files with their types)."""
        return self.sidecar.model(model_id)

    def compare(self, left_id: str, right_id: str) -> list[FieldComparison]:
        """All 36 fields of two models side by side, in hafs order."""
        registry = self.load()
        left, right = registry.get(left_id), registry.get(right_id)
        return [FieldComparison(key, left[key], right[key]) for key in FIELDS]

    def local_path(self, entry: ModelEntry) -> Path | None:
        """The first recorded location whose path exists on this machine (primary first)."""
        locations = entry["locations"] or {}
        order = [entry["primary_location"], *locations]
        for key in order:
            path = locations.get(key)
            if path and Path(path).expanduser().exists():
                return Path(path).expanduser()
        return None

    # -- writing -------------------------------------------------------------------------
    def detect(self, path: str | os.PathLike[str]) -> Detection:
        from studio.plugins.models.detect import detect_model

        return detect_model(path)

    def register(self, path: str | os.PathLike[str], *, model_id: str | None = None,
                 name: str | None = None, base: str | None = None, role: str | None = None,
                 location: str = "mac", replace: bool = False, **overrides: Any) -> ModelEntry:
        """Detect ``path`` and add it to the registry (``hafs models register``, working)."""
        from studio.plugins.models.detect import build_entry, detect_model

        detection = detect_model(path)
        entry = build_entry(detection, model_id=model_id, display_name=name, base_model=base,
                            role=role, location=location, **overrides)
        return self.registry.add(entry, replace=replace)

    def remove(self, model_id: str) -> ModelEntry | EntryDamage:
        """Remove the entry, a damaged one too (and its sidecar data); files on disk are never
        touched. Returns the entry, or the damage report of a damaged one."""
        entry = self.registry.remove(model_id)
        self.sidecar.forget(model_id)
        return entry

    def set_notes_and_tags(self, model_id: str, notes: str | None = None,
                           tags: list[str] | None = None) -> ModelEntry:
        changes: dict[str, Any] = {}
        if notes is not None:
            changes["notes"] = notes
        if tags is not None:
            changes["tags"] = [t.strip() for t in tags if t.strip()]
        return self.registry.patch(model_id, **changes)

    def convert(self, model_or_path: str | os.PathLike[str], *, outtype: str = "f16",
                out: str | os.PathLike[str] | None = None,
                base_dir: str | os.PathLike[str] | None = None,
                converter: str = "builtin", llama_cpp: LlamaCppConverter | None = None,
                ctx: JobContext = NULL_CONTEXT, overwrite: bool = False) -> ConversionResult:
        """Convert a registered model (by id) or a folder to GGUF.

        For a LoRA adapter the base model folder comes from ``base_dir`` or, when it is a local
        folder, from the adapter's ``base_model_name_or_path``; the adapter is merged first.
        A registered model gets ``"gguf"`` in its formats and the file in the sidecar.
        ``converter="llama.cpp"`` runs llama.cpp's script instead (``llama_cpp``: the one found
        with the user's settings, see :func:`~.llama_cpp_convert.find_from_settings`; else the
        default search). An existing output file is replaced only with ``overwrite``.
        """
        from studio.plugins.models.hf_to_gguf import (
            ConversionError,
            convert_hf_to_gguf,
            default_output_path,
        )

        model_id, folder = self._resolve(model_or_path)
        model_dir, adapter_dir = folder, None
        if (folder / "adapter_config.json").is_file():
            adapter_dir = folder
            base = Path(base_dir) if base_dir else _local_base(folder)
            if base is None:
                raise ConversionError(
                    f"{folder} is a LoRA adapter; its base model is not a local folder. Give the "
                    "base model folder (base_dir / --base-dir) to merge and convert")
            model_dir = base
        if out:
            target = Path(out)
        elif model_id is None:
            target = default_output_path(folder, outtype)
        else:
            target = model_gguf_path(folder, model_id, outtype)
        if converter == "llama.cpp":
            if adapter_dir is not None:
                raise ConversionError(f"{folder} is a LoRA adapter: llama.cpp's "
                                      "convert_hf_to_gguf.py converts full checkpoints; use the "
                                      "built-in converter, which merges the adapter first")
            result = _convert_with_llama_cpp(llama_cpp, model_dir, target, outtype, ctx=ctx,
                                             overwrite=overwrite, processes=self.processes)
        elif converter == "builtin":
            result = convert_hf_to_gguf(model_dir, target, outtype, adapter_dir=adapter_dir,
                                        name=model_id or folder.name, ctx=ctx,
                                        overwrite=overwrite)
        else:
            raise ConversionError(f"unknown converter {converter!r} (builtin or llama.cpp)")
        if model_id is not None:
            self._record_gguf(model_id, result.path, outtype.upper())
        return result

    def quantize(self, source: str | os.PathLike[str], type_name: str = "Q4_K_M", *,
                 out: str | os.PathLike[str] | None = None, model_id: str | None = None,
                 ctx: JobContext = NULL_CONTEXT, overwrite: bool = False) -> QuantizeResult:
        """Quantize a GGUF; with ``model_id`` the result is recorded for that model and, unless
        ``out`` says otherwise, written inside the model's local folder as ``<id>-<TYPE>.gguf``
        (next to ``source`` when the model has no local copy)."""
        from studio.plugins.models.quantize import quantize_gguf

        if out is None and model_id is not None:
            local = self.local_path(self.info(model_id))
            if local is not None:
                out = model_gguf_path(local, model_id, type_name)
        result = quantize_gguf(source, out, type_name, ctx=ctx, overwrite=overwrite,
                               processes=self.processes)
        if model_id is not None:
            self._record_gguf(model_id, result.path, result.type)
        return result

    def inspect(self, path: str | os.PathLike[str]) -> GGUFInfo:
        from studio.plugins.models.gguf_info import read_gguf_info

        return read_gguf_info(path)

    # -- helpers -------------------------------------------------------------------------
    def _resolve(self, model_or_path: str | os.PathLike[str]) -> tuple[str | None, Path]:
        candidate = Path(model_or_path).expanduser()
        if candidate.exists():
            return None, candidate
        entry = self.info(str(model_or_path))  # UnknownModelError when neither
        path = self.local_path(entry)
        if path is None:
            from studio.plugins.models.hf_to_gguf import ConversionError

            raise ConversionError(f"model {entry['model_id']!r} has no copy on this machine "
                                  f"(locations: {', '.join(entry['locations']) or 'none'}); "
                                  "pull it first")
        return entry["model_id"], path

    def _record_gguf(self, model_id: str, path: Path, type_name: str) -> None:
        """``"gguf"`` in formats (once), only for a file that exists; the file in the sidecar."""
        if not path.is_file():
            raise FileNotFoundError(f"{path}: the GGUF was not written; nothing recorded")

        def add_format(entry: ModelEntry) -> None:
            formats = entry["formats"] if isinstance(entry["formats"], list) else []
            if "gguf" not in formats:
                entry["formats"] = [*formats, "gguf"]

        self.registry.edit(model_id, add_format)
        self.sidecar.add_artifact(model_id, path, "gguf", type_name)


def _convert_with_llama_cpp(converter: LlamaCppConverter | None, model_dir: Path, target: Path,
                            outtype: str, *, ctx: JobContext, overwrite: bool,
                            processes: ProcessManager | None) -> ConversionResult:
    from studio.plugins.models.gguf_info import read_gguf_info
    from studio.plugins.models.hf_to_gguf import ConversionError, ConversionResult
    from studio.plugins.models.llama_cpp_convert import (
        convert_with_llama_cpp,
        find_llama_cpp_converter,
    )

    converter = converter or find_llama_cpp_converter()
    if converter is None:
        raise ConversionError("llama.cpp's convert_hf_to_gguf.py was not found (setting "
                              "tools.llama_cpp_dir, ~/Code/llama.cpp, PATH); use the built-in "
                              "converter")
    path = convert_with_llama_cpp(converter, model_dir, target, outtype, ctx=ctx,
                                  overwrite=overwrite, processes=processes)
    info = read_gguf_info(path)
    return ConversionResult(path, outtype.lower(), info.architecture, len(info.tensors),
                            path.stat().st_size)


def _local_base(adapter_dir: Path) -> Path | None:
    from studio.plugins.models.hf_to_gguf import LoraAdapter

    base = LoraAdapter(adapter_dir).base_model
    if base and (Path(base).expanduser() / "config.json").is_file():
        return Path(base).expanduser()
    return None


@dataclass(frozen=True)
class RegistryTextCheck:
    """What hafs would do with a registry.json holding some text (for editors, before a save).

    ``errors``: hafs would treat the whole registry as empty and overwrite it on its next save,
    losing every entry (hafs-formats §1.4). ``warnings``: hafs reads the file but drops or
    tolerates something. Each item is ``(line, column, message)``; line/column are 1-based or
    None when the problem has no place.
    """

    errors: tuple[tuple[int | None, int | None, str], ...] = ()
    warnings: tuple[tuple[int | None, int | None, str], ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


def check_registry_text(text: str) -> RegistryTextCheck:
    """Check registry.json text against hafs's loader (``json.load`` + ``ModelMetadata(**e)``).

    hafs accepts entries with the 25 required keys plus any of the 11 defaulted ones, and
    ``NaN``/``Infinity``; an unknown key, a missing required key, an entry that is not an
    object or a document that is not JSON makes it discard the registry.
    """
    import json
    import math

    def place(needle: str) -> tuple[int | None, int | None]:
        index = text.find(needle)
        if index < 0:
            return None, None
        return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1

    if not text.strip():
        return RegistryTextCheck(errors=((1, 1, "the file is empty: hafs reads that as a broken "
                                          "registry and its next save writes an empty one"),))
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        return RegistryTextCheck(errors=((exc.lineno, exc.colno, f"not JSON: {exc.msg}"),))
    if not isinstance(document, dict):
        return RegistryTextCheck(errors=((1, 1, "the top level must be an object with "
                                          '"models"; hafs would discard the registry'),))
    models = document.get("models", {})
    if not isinstance(models, dict):
        return RegistryTextCheck(errors=((*place('"models"'), '"models" must be an object of '
                                          "entries; hafs would discard the registry"),))
    errors: list[tuple[int | None, int | None, str]] = []
    warnings: list[tuple[int | None, int | None, str]] = []
    for key in document:
        if key not in ("version", "updated_at", "models"):
            warnings.append((*place(json.dumps(key)), f"top-level key {key!r}: hafs drops it "
                             "on its next save"))
    for model_id, entry in models.items():
        where = place(json.dumps(model_id) + ":")
        if where == (None, None):
            where = place(json.dumps(model_id))
        if not isinstance(entry, dict):
            errors.append((*where, f"model {model_id!r} is not an object; hafs would discard "
                           "the registry"))
            continue
        missing = [k for k in REQUIRED_FIELDS if k not in entry]
        unknown = [k for k in entry if k not in FIELD_SET]
        if missing:
            errors.append((*where, f"model {model_id!r} lacks {', '.join(missing)}; hafs would "
                           "discard the registry"))
        if unknown:
            errors.append((*where, f"model {model_id!r} has unknown key(s) {', '.join(unknown)}; "
                           "hafs would discard the registry"))
        if missing or unknown:
            continue
        if entry.get("model_id") != model_id:
            warnings.append((*where, f"model {model_id!r} has model_id "
                             f"{entry.get('model_id')!r}; hafs keys it by {model_id!r}"))
        floats = [k for k, v in entry.items() if isinstance(v, float) and not math.isfinite(v)]
        if floats:
            warnings.append((*where, f"model {model_id!r}: {', '.join(floats)} is NaN or "
                             "infinite (hafs reads it; other JSON readers do not)"))
        warnings += [(*where, f"model {model_id!r}: {problem}") for problem in
                     entry_problems({**dict.fromkeys(FIELDS), **entry})]
    return RegistryTextCheck(tuple(errors), tuple(warnings))
