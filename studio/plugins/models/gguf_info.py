"""Inspect a GGUF file: metadata, tensor table, totals, parameter count, RAM estimate.

The header is parsed straight from a memory map with ``struct``: ``gguf.GGUFReader`` builds a
NumPy array per string of every array value, which takes seconds on a 150k-token vocabulary,
while the studio wants the header of a multi-GB file on screen at once. Long arrays are kept as
summaries (type, length, first items); :meth:`GGUFInfo.array` decodes one in full on demand.
Tensor data is never read.
"""

from __future__ import annotations

import mmap
import os
import struct
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from gguf import GGML_QUANT_SIZES, GGMLQuantizationType

__all__ = [
    "ArraySummary",
    "GGUFFormatError",
    "GGUFInfo",
    "GGUFTensor",
    "info_to_dict",
    "read_gguf_info",
]

GGUF_MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32
ARRAY_HEAD = 8  # items kept from each array for display

# GGUF value type id -> (struct code, size); 8 = string, 9 = array.
_SCALARS: dict[int, tuple[str, int]] = {
    0: ("B", 1), 1: ("b", 1), 2: ("H", 2), 3: ("h", 2), 4: ("I", 4), 5: ("i", 4),
    6: ("f", 4), 7: ("?", 1), 10: ("Q", 8), 11: ("q", 8), 12: ("d", 8),
}  # fmt: skip
_NUMPY: dict[int, str] = {0: "<u1", 1: "<i1", 2: "<u2", 3: "<i2", 4: "<u4", 5: "<i4", 6: "<f4",
                          7: "?", 10: "<u8", 11: "<i8", 12: "<f8"}
_TYPE_NAMES = {0: "uint8", 1: "int8", 2: "uint16", 3: "int16", 4: "uint32", 5: "int32",
               6: "float32", 7: "bool", 8: "string", 9: "array", 10: "uint64", 11: "int64",
               12: "float64"}
STRING, ARRAY = 8, 9


class GGUFFormatError(ValueError):
    """The file is not a readable GGUF; the message names the file and byte offset."""


@dataclass(frozen=True)
class ArraySummary:
    """A metadata array too long to show in full."""

    item_type: str
    count: int
    head: list[Any]
    offset: int  # file offset of the first item, for GGUFInfo.array()

    def __str__(self) -> str:
        shown = ", ".join(repr(v) for v in self.head)
        more = f", … ({self.count} {self.item_type} values)" if self.count > len(self.head) else ""
        return f"[{shown}{more}]"


@dataclass(frozen=True)
class GGUFTensor:
    """One tensor's header entry. ``shape`` is in ggml order (ne[0] = row length first)."""

    name: str
    shape: tuple[int, ...]
    type: str
    n_elements: int
    n_bytes: int
    offset: int  # absolute file offset of the data


@dataclass
class GGUFInfo:
    """Everything the inspector shows about one file."""

    path: Path
    version: int
    file_size: int
    metadata: dict[str, Any]
    tensors: list[GGUFTensor]
    data_offset: int
    _array_types: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", ""))

    @property
    def parameter_count(self) -> int:
        return sum(t.n_elements for t in self.tensors)

    @property
    def tensor_bytes(self) -> int:
        return sum(t.n_bytes for t in self.tensors)

    def totals_by_type(self) -> dict[str, dict[str, int]]:
        """``{type: {"tensors": n, "elements": n, "bytes": n}}``, largest share first."""
        totals: dict[str, dict[str, int]] = defaultdict(lambda: {"tensors": 0, "elements": 0,
                                                                  "bytes": 0})
        for tensor in self.tensors:
            row = totals[tensor.type]
            row["tensors"] += 1
            row["elements"] += tensor.n_elements
            row["bytes"] += tensor.n_bytes
        return dict(sorted(totals.items(), key=lambda item: -item[1]["bytes"]))

    def arch_value(self, key: str, default: Any = None) -> Any:
        return self.metadata.get(f"{self.architecture}.{key}", default)

    def estimated_ram_bytes(self, n_ctx: int | None = None) -> int:
        """Weights + F16 KV cache for ``n_ctx`` tokens (default: training context, ≤ 4096).

        A planning figure: llama.cpp adds compute buffers of a few hundred MB at most.
        """
        n_layer = int(self.arch_value("block_count", 0) or 0)
        n_embd = int(self.arch_value("embedding_length", 0) or 0)
        n_head = int(_first(self.arch_value("attention.head_count", 1)) or 1)
        n_head_kv = int(_first(self.arch_value("attention.head_count_kv", n_head)) or n_head)
        if n_ctx is None:
            n_ctx = min(int(self.arch_value("context_length", 2048) or 2048), 4096)
        head_dim = int(self.arch_value("attention.key_length", 0) or (n_embd // max(n_head, 1)))
        kv_cache = 2 * n_layer * n_ctx * n_head_kv * head_dim * 2
        return self.tensor_bytes + kv_cache

    def array(self, key: str) -> list[Any]:
        """Decode a summarized metadata array in full (e.g. ``tokenizer.ggml.tokens``)."""
        value = self.metadata[key]
        if not isinstance(value, ArraySummary):
            return list(value)
        with open(self.path, "rb") as handle, mmap.mmap(handle.fileno(), 0,
                                                       access=mmap.ACCESS_READ) as view:
            items, _ = _read_array_items(view, value.offset, self._array_types[key],
                                         value.count, None)
        return items


def _first(value: Any) -> Any:
    # Per-layer head counts are arrays in some models; the first layer is representative.
    if isinstance(value, ArraySummary):
        return value.head[0] if value.head else None
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _read_string(view: mmap.mmap, offset: int) -> tuple[str, int]:
    (length,) = struct.unpack_from("<Q", view, offset)
    start = offset + 8
    return view[start:start + length].decode("utf-8", errors="replace"), start + length


def _read_array_items(view: mmap.mmap, offset: int, item_type: int, count: int,
                      limit: int | None) -> tuple[list[Any], int]:
    """Decode up to ``limit`` items (all if None); return them and the offset after the array."""
    if item_type in _NUMPY:
        size = _SCALARS[item_type][1]
        keep = count if limit is None else min(count, limit)
        items = np.frombuffer(view, dtype=_NUMPY[item_type], count=keep, offset=offset).tolist()
        return items, offset + size * count
    if item_type == STRING:
        items: list[Any] = []
        unpack = struct.Struct("<Q").unpack_from
        for index in range(count):
            (length,) = unpack(view, offset)
            if limit is None or index < limit:
                items.append(view[offset + 8:offset + 8 + length].decode("utf-8", "replace"))
            offset += 8 + length
        return items, offset
    if item_type == ARRAY:  # nested arrays: rare; summarize each
        items = []
        for _ in range(count):
            value, offset = _read_value(view, offset, ARRAY)
            items.append(value)
        return items, offset
    raise GGUFFormatError(f"unknown array item type {item_type} at byte {offset}")


def _read_value(view: mmap.mmap, offset: int, value_type: int) -> tuple[Any, int]:
    if value_type in _SCALARS:
        code, size = _SCALARS[value_type]
        return struct.unpack_from("<" + code, view, offset)[0], offset + size
    if value_type == STRING:
        return _read_string(view, offset)
    if value_type == ARRAY:
        item_type, count = struct.unpack_from("<IQ", view, offset)
        start = offset + 12
        if count <= ARRAY_HEAD * 4:
            return _read_array_items(view, start, item_type, count, None)
        head, end = _read_array_items(view, start, item_type, count, ARRAY_HEAD)
        return ArraySummary(_TYPE_NAMES.get(item_type, str(item_type)), count, head, start), end
    raise GGUFFormatError(f"unknown value type {value_type} at byte {offset}")


def read_gguf_info(path: str | os.PathLike[str]) -> GGUFInfo:
    """Parse the header of a GGUF file (memory-mapped; tensor data is not touched)."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size < 24:
                raise GGUFFormatError(f"{path}: {size} bytes is too small for a GGUF header")
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
                return _parse(view, path, size)
    except (struct.error, IndexError, ValueError) as exc:
        if isinstance(exc, GGUFFormatError):
            raise
        raise GGUFFormatError(f"{path}: truncated or damaged GGUF header ({exc})") from exc


def _parse(view: mmap.mmap, path: Path, size: int) -> GGUFInfo:
    if view[:4] != GGUF_MAGIC:
        raise GGUFFormatError(f"{path}: not a GGUF file (magic {bytes(view[:4])!r})")
    version, n_tensors, n_kv = struct.unpack_from("<IQQ", view, 4)
    if version < 2:
        raise GGUFFormatError(f"{path}: GGUF version {version} is too old (need 2 or newer)")
    offset = 24
    metadata: dict[str, Any] = {}
    array_types: dict[str, int] = {}
    for _ in range(n_kv):
        key, offset = _read_string(view, offset)
        (value_type,) = struct.unpack_from("<I", view, offset)
        if value_type == ARRAY:
            array_types[key] = struct.unpack_from("<I", view, offset + 4)[0]
        try:
            metadata[key], offset = _read_value(view, offset + 4, value_type)
        except GGUFFormatError as exc:
            raise GGUFFormatError(f"{path}: key {key!r}: {exc}") from None
    raw_tensors = []
    for _ in range(n_tensors):
        name, offset = _read_string(view, offset)
        (n_dims,) = struct.unpack_from("<I", view, offset)
        shape = struct.unpack_from(f"<{n_dims}Q", view, offset + 4)
        offset += 4 + 8 * n_dims
        type_id, data_offset = struct.unpack_from("<IQ", view, offset)
        offset += 12
        raw_tensors.append((name, shape, type_id, data_offset))
    alignment = int(metadata.get("general.alignment", DEFAULT_ALIGNMENT))
    data_start = (offset + alignment - 1) // alignment * alignment
    tensors = [_tensor(path, data_start, raw) for raw in raw_tensors]
    for tensor in tensors:
        if tensor.offset + tensor.n_bytes > size:
            raise GGUFFormatError(f"{path}: tensor {tensor.name!r} ends past the end of the file "
                                  "(truncated download?)")
    return GGUFInfo(path, version, size, metadata, tensors, data_start, array_types)


def _tensor(path: Path, data_start: int, raw: tuple[str, tuple[int, ...], int, int]
            ) -> GGUFTensor:
    name, shape, type_id, offset = raw
    try:
        qtype = GGMLQuantizationType(type_id)
        block, type_size = GGML_QUANT_SIZES[qtype]
    except (ValueError, KeyError):
        raise GGUFFormatError(f"{path}: tensor {name!r} has unknown type id {type_id}") from None
    n_elements = int(np.prod(shape, dtype=np.int64)) if shape else 1
    return GGUFTensor(name, tuple(int(d) for d in shape), qtype.name, n_elements,
                      n_elements // block * type_size, data_start + offset)


def info_to_dict(info: GGUFInfo) -> dict[str, Any]:
    """JSON-ready view for ``models inspect --json`` (arrays summarized as in the panel)."""

    def plain(value: Any) -> Any:
        if isinstance(value, ArraySummary):
            return {"type": value.item_type, "count": value.count, "head": value.head}
        return value

    return {
        "path": str(info.path),
        "version": info.version,
        "file_size": info.file_size,
        "architecture": info.architecture,
        "parameter_count": info.parameter_count,
        "tensor_bytes": info.tensor_bytes,
        "estimated_ram_bytes": info.estimated_ram_bytes(),
        "metadata": {key: plain(value) for key, value in info.metadata.items()},
        "totals_by_type": info.totals_by_type(),
        "tensors": [
            {"name": t.name, "shape": list(t.shape), "type": t.type, "bytes": t.n_bytes,
             "offset": t.offset}
            for t in info.tensors
        ],
    }
