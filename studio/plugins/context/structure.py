"""Where each field of a GGUF or safetensors file lies: named byte regions for the hex view.

Parsed here on their own from the file's bytes (``struct`` over a memory map), so a test can
hold this layout against the Models inspector (:mod:`studio.plugins.models.gguf_info`) and
against the writers that made the file: the two must agree on every offset. Regions do not
overlap; :meth:`Layout.at` finds the one holding an offset by bisection.
"""

from __future__ import annotations

import bisect
import json
import mmap
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "Layout",
    "LayoutError",
    "Region",
    "detect_layout",
    "gguf_layout",
    "safetensors_layout",
]


class LayoutError(ValueError):
    """The file does not have the structure its kind promises; names the file and offset."""


@dataclass(frozen=True)
class Region:
    start: int
    end: int  # exclusive
    kind: str  # header, kv, tensor_info, padding, tensor_data, length, json, metadata
    name: str
    detail: str = ""

    @property
    def size(self) -> int:
        return self.end - self.start


@dataclass
class Layout:
    format: str  # "gguf" or "safetensors"
    path: Path
    regions: list[Region] = field(default_factory=list)
    summary: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.regions.sort(key=lambda r: r.start)
        self._starts = [r.start for r in self.regions]

    def at(self, offset: int) -> Region | None:
        """The region containing ``offset`` (None between regions or past them)."""
        index = bisect.bisect_right(self._starts, offset) - 1
        if index >= 0 and offset < self.regions[index].end:
            return self.regions[index]
        return None

    def overlapping(self, start: int, end: int) -> list[Region]:
        """Regions intersecting [start, end) (the hex view's visible rows)."""
        index = max(0, bisect.bisect_right(self._starts, start) - 1)
        found = []
        while index < len(self.regions) and self.regions[index].start < end:
            if self.regions[index].end > start:
                found.append(self.regions[index])
            index += 1
        return found

    def named(self, kind: str) -> list[Region]:
        return [r for r in self.regions if r.kind == kind]


# -- GGUF ------------------------------------------------------------------------------------

_GGUF_TYPES = {0: ("uint8", "B", 1), 1: ("int8", "b", 1), 2: ("uint16", "H", 2),
               3: ("int16", "h", 2), 4: ("uint32", "I", 4), 5: ("int32", "i", 4),
               6: ("float32", "f", 4), 7: ("bool", "?", 1), 10: ("uint64", "Q", 8),
               11: ("int64", "q", 8), 12: ("float64", "d", 8)}
_STRING, _ARRAY = 8, 9


class _Reader:
    def __init__(self, view: mmap.mmap | bytes, path: Path) -> None:
        self.view, self.path, self.size = view, path, len(view)

    def need(self, offset: int, count: int, what: str) -> None:
        if offset + count > self.size:
            raise LayoutError(f"{self.path}: {what} at byte {offset} runs past the end of the "
                              f"file ({self.size} bytes)")

    def unpack(self, fmt: str, offset: int, what: str) -> tuple:
        self.need(offset, struct.calcsize(fmt), what)
        return struct.unpack_from(fmt, self.view, offset)

    def string(self, offset: int, what: str) -> tuple[str, int]:
        (length,) = self.unpack("<Q", offset, what)
        self.need(offset + 8, length, what)
        return bytes(self.view[offset + 8:offset + 8 + length]).decode("utf-8", "replace"), \
            offset + 8 + length

    def value(self, offset: int, value_type: int, what: str) -> tuple[str, int]:
        """A short rendering of the value and the offset after it (arrays are skipped over)."""
        if value_type in _GGUF_TYPES:
            _, code, size = _GGUF_TYPES[value_type]
            return repr(self.unpack("<" + code, offset, what)[0]), offset + size
        if value_type == _STRING:
            text, end = self.string(offset, what)
            return repr(text if len(text) <= 80 else text[:77] + "…"), end
        if value_type == _ARRAY:
            item_type, count = self.unpack("<IQ", offset, what)
            offset += 12
            if item_type in _GGUF_TYPES:
                size = _GGUF_TYPES[item_type][2]
                self.need(offset, size * count, what)
                return f"[{count} x {_GGUF_TYPES[item_type][0]}]", offset + size * count
            for _ in range(count):
                _, offset = self.value(offset, item_type, what)
            type_name = {_STRING: "string", _ARRAY: "array"}.get(item_type, str(item_type))
            return f"[{count} x {type_name}]", offset
        raise LayoutError(f"{self.path}: {what}: unknown value type {value_type} at byte "
                          f"{offset}")


def _gguf_tensor_bytes(type_id: int, shape: tuple[int, ...]) -> tuple[str, int]:
    from gguf import GGML_QUANT_SIZES, GGMLQuantizationType

    qtype = GGMLQuantizationType(type_id)
    block, type_size = GGML_QUANT_SIZES[qtype]
    elements = 1
    for dim in shape:
        elements *= dim
    return qtype.name, elements // block * type_size


def gguf_layout(view: mmap.mmap | bytes, path: Path) -> Layout:
    """Header fields, each key-value pair, each tensor info, padding and each tensor's data."""
    r = _Reader(view, path)
    if bytes(view[:4]) != b"GGUF":
        raise LayoutError(f"{path}: not a GGUF file (magic {bytes(view[:4])!r})")
    version, n_tensors, n_kv = r.unpack("<IQQ", 4, "header")
    regions = [
        Region(0, 4, "header", "magic", "GGUF"),
        Region(4, 8, "header", "version", str(version)),
        Region(8, 16, "header", "tensor_count", str(n_tensors)),
        Region(16, 24, "header", "metadata_kv_count", str(n_kv)),
    ]
    offset = 24
    alignment = 32
    for index in range(n_kv):
        start = offset
        key, offset = r.string(offset, f"key {index}")
        (value_type,) = r.unpack("<I", offset, f"type of {key!r}")
        shown, offset = r.value(offset + 4, value_type, f"value of {key!r}")
        if key == "general.alignment" and value_type in _GGUF_TYPES:
            alignment = int(struct.unpack_from("<" + _GGUF_TYPES[value_type][1], view,
                                               offset - _GGUF_TYPES[value_type][2])[0])
        type_name = ("string" if value_type == _STRING else "array" if value_type == _ARRAY
                     else _GGUF_TYPES.get(value_type, ("?",))[0])
        regions.append(Region(start, offset, "kv", key, f"{type_name} = {shown}"))
    infos = []
    for index in range(n_tensors):
        start = offset
        name, offset = r.string(offset, f"tensor info {index}")
        (n_dims,) = r.unpack("<I", offset, f"dims of tensor {name!r}")
        shape = r.unpack(f"<{n_dims}Q", offset + 4, f"shape of tensor {name!r}")
        offset += 4 + 8 * n_dims
        type_id, data_offset = r.unpack("<IQ", offset, f"type of tensor {name!r}")
        offset += 12
        infos.append((name, tuple(shape), type_id, data_offset))
        regions.append(Region(start, offset, "tensor_info", name,
                              f"shape {list(shape)}, type {type_id}, data at +{data_offset}"))
    data_start = (offset + alignment - 1) // alignment * alignment
    if data_start > offset:
        regions.append(Region(offset, data_start, "padding", "alignment padding",
                              f"to a multiple of {alignment}"))
    for name, shape, type_id, data_offset in infos:
        try:
            type_name, n_bytes = _gguf_tensor_bytes(type_id, shape)
        except (ValueError, KeyError):
            raise LayoutError(f"{path}: tensor {name!r} has unknown type id {type_id}") from None
        start = data_start + data_offset
        if start + n_bytes > r.size:
            raise LayoutError(f"{path}: tensor {name!r} ends past the end of the file")
        regions.append(Region(start, start + n_bytes, "tensor_data", name,
                              f"{type_name} {list(shape)}, {n_bytes} bytes"))
    summary = {"version": version, "tensor_count": n_tensors, "kv_count": n_kv,
               "alignment": alignment, "data_offset": data_start}
    return Layout("gguf", path, regions, summary)


# -- safetensors -----------------------------------------------------------------------------

def safetensors_layout(view: mmap.mmap | bytes, path: Path) -> Layout:
    """Length field, the JSON header (each tensor's entry, ``__metadata__``) and each tensor."""
    r = _Reader(view, path)
    (length,) = r.unpack("<Q", 0, "header length")
    r.need(8, length, "JSON header")
    raw = bytes(view[8:8 + length])
    try:
        text = raw.decode("utf-8")
        header = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LayoutError(f"{path}: the JSON header (bytes 8..{8 + length}) is not valid JSON: "
                          f"{exc}") from None
    if not isinstance(header, dict):
        raise LayoutError(f"{path}: the JSON header is not an object")
    regions = [Region(0, 8, "length", "header length", f"{length} bytes (u64 little endian)")]
    spans = _json_entry_spans(text)
    byte_of = _byte_offsets(text)
    covered = 8
    for key, (char_start, char_end) in spans.items():
        start, end = 8 + byte_of(char_start), 8 + byte_of(char_end)
        if start > covered:
            regions.append(Region(covered, start, "json", "header JSON", "braces, commas"))
        kind = "metadata" if key == "__metadata__" else "json"
        regions.append(Region(start, end, kind, key, "header entry"))
        covered = end
    if covered < 8 + length:
        regions.append(Region(covered, 8 + length, "json", "header JSON", "braces, padding"))
    data_start = 8 + length
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        try:
            begin, end = (int(x) for x in entry["data_offsets"])
            dtype, shape = str(entry["dtype"]), list(entry["shape"])
        except (KeyError, TypeError, ValueError):
            raise LayoutError(f"{path}: tensor {key!r} has no valid dtype/shape/data_offsets "
                              "in the header") from None
        if data_start + end > r.size or begin > end:
            raise LayoutError(f"{path}: tensor {key!r} data [{begin}, {end}) lies outside the "
                              "file")
        regions.append(Region(data_start + begin, data_start + end, "tensor_data", key,
                              f"{dtype} {shape}, {end - begin} bytes"))
    tensors = sum(1 for k in header if k != "__metadata__")
    summary = {"header_length": length, "data_offset": data_start, "tensor_count": tensors,
               "metadata": header.get("__metadata__", {})}
    return Layout("safetensors", path, regions, summary)


def _json_entry_spans(text: str) -> dict[str, tuple[int, int]]:
    """Character spans of each top-level ``"key": value`` of a JSON object."""
    decoder = json.JSONDecoder()
    spans: dict[str, tuple[int, int]] = {}
    index = text.index("{") + 1
    length = len(text)
    while index < length:
        while index < length and text[index] in " \t\r\n,":
            index += 1
        if index >= length or text[index] == "}":
            break
        start = index
        key, index = decoder.raw_decode(text, index)
        while text[index] in " \t\r\n:":
            index += 1
        _, index = decoder.raw_decode(text, index)
        spans[str(key)] = (start, index)
    return spans


def _byte_offsets(text: str) -> Callable[[int], int]:
    if text.isascii():
        return lambda i: i
    return lambda i: len(text[:i].encode("utf-8"))


# -- detection -------------------------------------------------------------------------------

def detect_layout(path: str | os.PathLike[str], view: mmap.mmap | bytes | None = None
                  ) -> Layout | None:
    """The layout of a GGUF or safetensors file, None for other files.

    Raises :class:`LayoutError` when the file claims to be one of them but is damaged.
    """
    path = Path(path)
    if view is None:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size == 0:
                return None
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                return detect_layout(path, mapped)
    head = bytes(view[:9])
    if head.startswith(b"GGUF"):
        return gguf_layout(view, path)
    if path.suffix.lower() == ".safetensors" or (len(head) == 9 and head[8:9] == b"{"):
        return safetensors_layout(view, path)
    return None
