"""From a registered model to the artifact a backend serves: source → GGUF → quantization.

:func:`plan_deploy` looks at what exists (the model's folder or file, the GGUF files the
Models plugin already produced) and says which steps a deploy will run, with a size estimate;
the panel shows the plan before anything runs. :func:`prepare_artifact` runs the steps inside
the deploy job through the Models plugin's public API (convert, quantize, inspect), so the
produced files land where hafs expects them and are recorded like any other conversion.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.api import JobContext
from studio.plugins.deploy.backend import Backend, DeployArtifact, DeployError
from studio.plugins.deploy.templates import ChatTemplate, template_from_gguf
from studio.plugins.models.api import (
    QUANT_TYPES,
    ModelsService,
    RegistryError,
    UnknownModelError,
)

__all__ = ["DeployPlan", "GGUFFile", "SourceInfo", "StageContext", "gguf_type",
           "plan_deploy", "prepare_artifact", "resolve_source"]

FULL_PRECISION = ("F32", "F16", "BF16")
CONVERTIBLE = {"F32": "f32", "F16": "f16", "BF16": "bf16", "Q8_0": "q8_0"}  # built-in outtypes


class StageContext(JobContext):
    """A job context for one stage: progress mapped into ``[start, end]`` of the parent's."""

    def __init__(self, parent: JobContext, start: float, end: float) -> None:
        super().__init__()
        self._parent, self._start, self._end = parent, start, end

    @property
    def cancelled(self) -> bool:
        return self._parent.cancelled

    def cancel(self) -> None:
        self._parent.cancel()

    def raise_if_cancelled(self) -> None:
        self._parent.raise_if_cancelled()

    def wait(self, seconds: float) -> bool:
        return self._parent.wait(seconds)

    def report(self, fraction: float | None = None, message: str | None = None) -> None:
        self.fraction = fraction
        if message is not None:
            self.message = message
        mapped = None if fraction is None else self._start + (self._end - self._start) * min(
            1.0, max(0.0, fraction))
        self._parent.report(mapped, message)


@dataclass(frozen=True)
class GGUFFile:
    path: Path
    type: str  # "F16", "Q4_K_M" … ("?" when the header does not say)
    size: int


@dataclass(frozen=True)
class SourceInfo:
    """What a model is on this machine."""

    model_id: str | None
    kind: str  # "hf", "lora" or "gguf"
    path: Path
    ggufs: tuple[GGUFFile, ...] = ()  # GGUF files already made for it (or the file itself)
    architecture: str = ""
    parameter_count: int | None = None

    @property
    def label(self) -> str:
        return {"hf": "Hugging Face checkpoint", "lora": "LoRA adapter",
                "gguf": "GGUF file"}[self.kind]


@dataclass(frozen=True)
class DeployPlan:
    """The steps a deploy will take, shown before it runs."""

    source: SourceInfo
    backend_id: str
    artifact_kind: str  # what the backend takes: "gguf" or "hf"
    quant: str | None
    steps: tuple[tuple[str, str], ...]  # (step, what it does)
    reuse: GGUFFile | None = None  # an existing GGUF used as is or as the quantizer's input
    convert_to: str | None = None  # built-in converter outtype ("f16" …) when converting
    estimated_bytes: int | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)


def gguf_type(info: Any) -> str:
    """The file type a GGUF header declares (``general.file_type``), e.g. ``Q4_K_M``."""
    import gguf

    value = info.metadata.get("general.file_type")
    try:
        name = gguf.LlamaFileType(int(value)).name
    except (TypeError, ValueError):
        return "?"
    return "F32" if name == "ALL_F32" else name.removeprefix("MOSTLY_")


def _gguf_file(models: ModelsService, path: Path) -> GGUFFile | None:
    from studio.plugins.models.api import GGUFFormatError

    try:
        info = models.inspect(path)
    except (GGUFFormatError, OSError):
        return None
    return GGUFFile(path, gguf_type(info), path.stat().st_size)


def resolve_source(models: ModelsService, model_or_path: str | os.PathLike[str]
                   ) -> SourceInfo:
    """A registered model id or a path (GGUF file, checkpoint or adapter folder)."""
    candidate = Path(model_or_path).expanduser()
    model_id: str | None = None
    if candidate.exists():
        path = candidate
    else:
        try:
            entry = models.info(str(model_or_path))
        except UnknownModelError as exc:
            raise DeployError(f"{model_or_path!r} is neither a registered model nor an "
                              f"existing path ({exc})") from None
        except RegistryError as exc:
            raise DeployError(f"the model registry cannot be read: {exc}") from None
        model_id = entry["model_id"]
        local = models.local_path(entry)
        if local is None:
            raise DeployError(f"model {model_id!r} has no copy on this machine (locations: "
                              f"{', '.join(entry['locations']) or 'none'}); pull it first")
        path = local
    from studio.plugins.models.api import DetectError

    try:
        detection = models.detect(path)
    except DetectError as exc:
        raise DeployError(str(exc)) from exc
    ggufs: list[GGUFFile] = []
    if detection.kind == "gguf":
        found = _gguf_file(models, path)
        if found is None:
            raise DeployError(f"{path}: not a readable GGUF file")
        ggufs.append(found)
    else:
        seen: set[Path] = set()
        recorded = models.studio_data(model_id).get("artifacts", []) if model_id else []
        candidates = [Path(a["path"]) for a in recorded if a.get("kind") == "gguf"]
        candidates += sorted(path.glob("*.gguf"))  # hafs looks inside the model folder
        for file in candidates:
            if file.is_file() and file.resolve() not in seen:
                seen.add(file.resolve())
                found = _gguf_file(models, file)
                if found is not None:
                    ggufs.append(found)
    return SourceInfo(model_id, detection.kind, path, tuple(ggufs), detection.architecture or "",
                      detection.parameter_count)


def plan_deploy(models: ModelsService, source: SourceInfo, backend: Backend,
                quant: str | None) -> DeployPlan:
    """What deploying ``source`` on ``backend`` with ``quant`` will do (no side effects)."""
    if backend.artifact == "hf":
        if source.kind != "hf":
            raise DeployError(f"{backend.name} converts a Hugging Face checkpoint folder; "
                              f"{source.path} is a {source.label}")
        steps = (("convert", f"checkpoint → CTranslate2 ({quant or 'int8'})"),
                 ("deploy", f"load with {backend.name}"))
        return DeployPlan(source, backend.id, "hf", quant, steps,
                          estimated_bytes=_estimate_ct2(source, quant))
    quant = quant.upper() if quant else None
    if quant is not None and quant not in QUANT_TYPES and quant != "F32":
        raise DeployError(f"unknown quantization type {quant!r} (choose from "
                          f"{', '.join(QUANT_TYPES)})")
    by_type = {g.type: g for g in source.ggufs}
    steps: list[tuple[str, str]] = []
    reuse, convert_to = None, None
    if quant is None or quant in by_type:
        reuse = by_type.get(quant) if quant else (source.ggufs[0] if source.ggufs else None)
    if reuse is not None:
        steps.append(("gguf", f"{reuse.path.name} ({reuse.type})"))
    else:
        full = next((by_type[t] for t in FULL_PRECISION if t in by_type), None)
        if full is not None:
            reuse = full
            steps.append(("gguf", f"{full.path.name} ({full.type})"))
        elif source.kind == "gguf":
            have = source.ggufs[0].type if source.ggufs else "?"
            raise DeployError(f"{source.path} is already {have}; llama.cpp quantizes only from "
                              "F32/F16/BF16 (deploy it as is, without --quant)")
        else:
            convert_to = CONVERTIBLE.get(quant or "F16", "f16")
            steps.append(("convert", f"{source.label} → {convert_to.upper()} GGUF"))
        target = quant if quant else None
        if target and target != (reuse.type if reuse else convert_to.upper()):
            steps.append(("quantize", f"to {target} with llama.cpp"))
    steps.append(("deploy", f"deploy on {backend.name}"))
    return DeployPlan(source, backend.id, "gguf", quant, tuple(steps), reuse, convert_to,
                      _estimate_gguf(models, reuse, quant, source))


def _estimate_gguf(models: ModelsService, reuse: GGUFFile | None, quant: str | None,
                   source: SourceInfo) -> int | None:
    from studio.plugins.models.api import estimate_quantized_size

    if reuse is not None and (quant is None or reuse.type == quant):
        return reuse.size
    if reuse is not None and quant in QUANT_TYPES:
        try:
            return int(estimate_quantized_size(reuse.path, quant))
        except Exception:
            return None
    if source.parameter_count and (quant or "F16") in QUANT_TYPES:
        return int(source.parameter_count * QUANT_TYPES[quant or "F16"].bits_per_weight / 8)
    if source.parameter_count and quant == "F32":
        return source.parameter_count * 4
    return None


def _estimate_ct2(source: SourceInfo, compute_type: str | None) -> int | None:
    bytes_per_weight = {"int8": 1, "int8_float32": 1, "float16": 2, "float32": 4}
    if not source.parameter_count:
        return None
    return source.parameter_count * bytes_per_weight.get(compute_type or "int8", 4)


def prepare_artifact(models: ModelsService, plan: DeployPlan, ctx: JobContext
                     ) -> DeployArtifact:
    """Run the plan's convert and quantize steps; return what the backend deploys."""
    from studio.plugins.models.api import ConversionError, QuantizeError

    source = plan.source
    if plan.artifact_kind == "hf":
        # The CTranslate2 converter reads the checkpoint's template itself.
        return DeployArtifact("hf", source.path, source.model_id, ChatTemplate(None))
    target = source.model_id or source.path
    try:
        if plan.reuse is not None:
            path, kind = plan.reuse.path, plan.reuse.type
            ctx.report(0.3, f"Using {path.name}")
        else:
            assert plan.convert_to is not None
            converted = models.convert(target, outtype=plan.convert_to,
                                       ctx=StageContext(ctx, 0.0, 0.6))
            path, kind = converted.path, plan.convert_to.upper()
        ctx.raise_if_cancelled()
        if plan.quant and plan.quant != kind:
            result = models.quantize(path, plan.quant, model_id=source.model_id,
                                     ctx=StageContext(ctx, 0.6, 1.0))
            path, kind = result.path, result.type
    except (ConversionError, QuantizeError) as exc:
        raise DeployError(str(exc)) from exc
    info = models.inspect(path)
    return DeployArtifact("gguf", path, source.model_id, template_from_gguf(info), kind)

