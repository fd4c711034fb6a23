"""Export a filtered subset as JSONL (alpaca, messages or ChatML) with a manifest.

The output file and ``<file>.manifest.json`` (the filter, the source files and their content
hashes, the counts) are written to temporary files and renamed into place only when
everything succeeded: a failure or a cancel leaves neither a partial file nor a changed one.
An existing output is refused unless ``overwrite`` is set.

Forms (what hafs's exporter and trainers read, hafs-formats §2.A):

* ``alpaca``: ``{"instruction", ["input" if non-empty], "output"}``;
* ``messages``: ``{"messages": [system?, user, assistant]}`` (``{"role", "content"}`` each);
  the user turn is the instruction, followed by the input on a new line when there is one;
* ``chatml``: ``{"text": "<|im_start|>user\\n…<|im_end|>\\n<|im_start|>assistant\\n…"}``
  (each turn ends with ``<|im_end|>\\n``).

With ``include_metadata`` each line also gets hafs's ``_metadata {sample_id, domain, source,
quality_score}``. With ``use_edits`` (default) a sample the reviewer edited is exported as its
edited copy.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from studio.api import NULL_CONTEXT, JobContext, atomic_writer
from studio.plugins.data.annotations import Annotation
from studio.plugins.data.dataset import Dataset
from studio.plugins.data.filters import SampleFilter
from studio.plugins.data.records import Sample

__all__ = ["FORMATS", "ExportError", "ExportResult", "export_samples", "format_sample",
           "manifest_path"]

FORMATS = ("alpaca", "messages", "chatml")


class ExportError(Exception):
    """The export cannot start (target exists, unknown format); nothing was written."""


@dataclass(frozen=True)
class ExportResult:
    path: Path
    manifest: Path
    written: int
    edited: int


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".manifest.json")


def _texts(sample: Sample, annotation: Annotation | None, use_edits: bool
           ) -> tuple[str, str, str, bool]:
    if use_edits and annotation is not None and annotation.edited is not None:
        return (*annotation.edited, True)
    return sample.instruction, sample.input, sample.output, False


def format_sample(sample: Sample, form: str, *, annotation: Annotation | None = None,
                  use_edits: bool = True, include_metadata: bool = False) -> dict[str, Any]:
    instruction, input_, output, _ = _texts(sample, annotation, use_edits)
    user = f"{instruction}\n{input_}" if input_ else instruction
    if form == "alpaca":
        line: dict[str, Any] = {"instruction": instruction}
        if input_:
            line["input"] = input_
        line["output"] = output
    elif form == "messages":
        turns = [{"role": "system", "content": sample.system}] if sample.system else []
        turns += [{"role": "user", "content": user}, {"role": "assistant", "content": output}]
        line = {"messages": turns}
    elif form == "chatml":
        system = f"<|im_start|>system\n{sample.system}<|im_end|>\n" if sample.system else ""
        line = {"text": f"{system}<|im_start|>user\n{user}<|im_end|>\n"
                        f"<|im_start|>assistant\n{output}<|im_end|>\n"}
    else:
        raise ExportError(f"unknown format {form!r}; choose one of {', '.join(FORMATS)}")
    if include_metadata:
        line["_metadata"] = {"sample_id": sample.sample_id or sample.key,
                             "domain": sample.domain, "source": sample.source,
                             "quality_score": sample.quality_score}
    return line


def export_samples(dataset: Dataset, target: str | os.PathLike[str], *, form: str = "alpaca",
                   sample_filter: SampleFilter | None = None,
                   annotations: Mapping[str, Annotation] | None = None,
                   use_edits: bool = True, include_metadata: bool = False,
                   overwrite: bool = False, ctx: JobContext = NULL_CONTEXT) -> ExportResult:
    """Write the samples of ``dataset`` that pass ``sample_filter`` to ``target``."""
    path = Path(target).expanduser().absolute()
    manifest = manifest_path(path)
    if form not in FORMATS:
        raise ExportError(f"unknown format {form!r}; choose one of {', '.join(FORMATS)}")
    if not overwrite:
        for existing in (path, manifest):
            if existing.exists():
                raise ExportError(f"{existing} exists; choose another file or overwrite it")
    notes = annotations or {}
    sample_filter = sample_filter or SampleFilter()
    chosen: Sequence[Sample] = sample_filter.apply(dataset.samples, notes)
    written = edited = 0
    with contextlib.ExitStack() as stack:
        # Both files stay temporary until the block ends without an exception; on the way
        # out the data file is renamed first, then its manifest.
        manifest_handle = stack.enter_context(atomic_writer(manifest))
        handle = stack.enter_context(atomic_writer(path))
        for index, sample in enumerate(chosen):
            if index % 1024 == 0:
                ctx.raise_if_cancelled()
                ctx.report(index / max(1, len(chosen)), f"{index:,} of {len(chosen):,} samples")
            annotation = notes.get(sample.key)
            handle.write(orjson.dumps(format_sample(sample, form, annotation=annotation,
                                                    use_edits=use_edits,
                                                    include_metadata=include_metadata)))
            handle.write(b"\n")
            written += 1
            edited += _texts(sample, annotation, use_edits)[3]
        ctx.raise_if_cancelled()
        document = {
            "created": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "tool": "hafs-studio data export",
            "dataset": str(dataset.path),
            "sources": {split: {"path": str(r.path), "content_hash": r.content_hash,
                                "records": r.records}
                        for split, r in dataset.files.items()},
            "filter": sample_filter.describe(),
            "format": form, "use_edits": use_edits, "include_metadata": include_metadata,
            "samples": written, "edited_samples": edited,
            "field_mapping": dataset.mapping.as_dict(),
        }
        manifest_handle.write(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
    ctx.report(1.0, f"Exported {written:,} samples to {path.name}")
    return ExportResult(path, manifest, written, edited)
