"""Zero-copy access to the tensors of a (possibly sharded) safetensors checkpoint.

The safetensors layout is an 8-byte header length, a JSON header (name → dtype, shape, byte
range) and the raw data. Each shard is memory-mapped once and a tensor is a NumPy view into it,
so converting a 15 GB checkpoint touches one tensor's pages at a time and never holds the model
in memory. (The ``safetensors`` package's NumPy loader cannot return bfloat16, the dtype most
fine-tunes are saved in, hence this reader; the tests write checkpoints with that package.)
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Checkpoint", "CheckpointError", "TensorRef", "to_float32"]

_DTYPES: dict[str, str] = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2", "I64": "<i8", "I32": "<i4",
    "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "?",
}  # fmt: skip
MAX_HEADER_BYTES = 100 * 1024 * 1024


class CheckpointError(ValueError):
    """A checkpoint file is missing or damaged; the message names the file."""


@dataclass(frozen=True)
class TensorRef:
    """Where one tensor lives; :meth:`Checkpoint.array` turns it into a view."""

    name: str
    dtype: str  # safetensors dtype name (F32, BF16 …)
    shape: tuple[int, ...]
    file: Path
    start: int  # absolute byte offset in file
    n_bytes: int


def _read_header(path: Path) -> tuple[dict, int]:
    try:
        with open(path, "rb") as handle:
            prefix = handle.read(8)
            if len(prefix) != 8:
                raise CheckpointError(f"{path}: too short to be a safetensors file")
            (length,) = struct.unpack("<Q", prefix)
            if length > MAX_HEADER_BYTES:
                raise CheckpointError(f"{path}: header of {length} bytes: not a safetensors file")
            header = json.loads(handle.read(length))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path}: cannot read safetensors header: {exc}") from exc
    return header, 8 + length


class Checkpoint:
    """All safetensors files of a model folder (``model.safetensors`` or an indexed shard set)."""

    def __init__(self, files: list[Path]) -> None:
        self.files = files
        self.tensors: dict[str, TensorRef] = {}
        self.metadata: dict[str, str] = {}
        self._maps: dict[Path, np.memmap] = {}
        for file in files:
            header, data_start = _read_header(file)
            self.metadata.update(header.pop("__metadata__", None) or {})
            for name, spec in header.items():
                begin, end = spec["data_offsets"]
                if spec["dtype"] not in _DTYPES:
                    raise CheckpointError(f"{file}: tensor {name!r} has unsupported dtype "
                                          f"{spec['dtype']}")
                self.tensors[name] = TensorRef(name, spec["dtype"], tuple(spec["shape"]), file,
                                               data_start + begin, end - begin)

    @classmethod
    def from_folder(cls, folder: str | os.PathLike[str], stem: str = "model") -> Checkpoint:
        """Open ``<stem>.safetensors`` or the shards listed in ``<stem>.safetensors.index.json``
        (``stem="adapter_model"`` for a LoRA adapter)."""
        folder = Path(folder)
        index = folder / f"{stem}.safetensors.index.json"
        if index.is_file():
            try:
                weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
            except (OSError, ValueError, KeyError) as exc:
                raise CheckpointError(f"{index}: not a safetensors index ({exc})") from exc
            files = [folder / name for name in dict.fromkeys(weight_map.values())]
        elif (folder / f"{stem}.safetensors").is_file():
            files = [folder / f"{stem}.safetensors"]
        else:
            files = sorted(folder.glob("*.safetensors")) if stem == "model" else []
        missing = [f for f in files if not f.is_file()]
        if not files or missing:
            what = ", ".join(str(f) for f in missing) or f"{stem}.safetensors"
            raise CheckpointError(f"{folder}: missing weights ({what})")
        return cls(files)

    def array(self, name: str) -> np.ndarray:
        """The tensor as a read-only view in its stored dtype (BF16 as uint16 bits)."""
        ref = self.tensors[name]
        view = self._maps.get(ref.file)
        if view is None:
            view = np.memmap(ref.file, dtype=np.uint8, mode="r")
            self._maps[ref.file] = view
        dtype = np.dtype(_DTYPES[ref.dtype])
        count = ref.n_bytes // dtype.itemsize
        return np.frombuffer(view, dtype=dtype, count=count, offset=ref.start).reshape(ref.shape)

    def float32(self, name: str) -> np.ndarray:
        return to_float32(self.array(name), self.tensors[name].dtype)

    def close(self) -> None:
        self._maps.clear()


def to_float32(array: np.ndarray, dtype_name: str) -> np.ndarray:
    """Widen a stored tensor to float32 (bfloat16 is the top half of a float32)."""
    if dtype_name == "BF16":
        return (array.astype(np.uint32) << 16).view(np.float32)
    return array.astype(np.float32, copy=False)
