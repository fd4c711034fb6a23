"""A GGUFWriter whose metadata arrays are packed in bulk.

The stock writer packs array items one ``struct.pack`` at a time with a type check each: 1.3 s
for a 32k-token vocabulary (tokens, scores, types) and ~6 s for Qwen's 151k tokens + merges,
more than copying the weights of a small model. Homogeneous str/int/float lists, which is all
a vocabulary is, are packed here in one pass; anything else falls back to the stock code.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
from gguf import GGUFEndian, GGUFValueType, GGUFWriter

__all__ = ["FastGGUFWriter"]


class FastGGUFWriter(GGUFWriter):
    def _pack_val(self, val: Any, vtype: GGUFValueType, add_vtype: bool,
                  sub_type: GGUFValueType | None = None) -> bytes:
        packed = None
        if (vtype == GGUFValueType.ARRAY and sub_type is None and isinstance(val, list | tuple)
                and val and self.endianess == GGUFEndian.LITTLE):
            packed = _pack_array(val)
        if packed is None:
            return super()._pack_val(val, vtype, add_vtype, sub_type)
        return (struct.pack("<I", GGUFValueType.ARRAY) if add_vtype else b"") + packed


_U64 = struct.Struct("<Q")


def _pack_array(values: list | tuple) -> bytes | None:
    # map/set keep the per-item work in C: ~3 ms instead of ~40 ms for a 32k vocabulary.
    first = type(values[0])
    if first not in (str, int, float) or set(map(type, values)) != {first}:
        return None  # mixed, bool or nested: the stock writer handles (or rejects) it
    if first is str:
        encoded = list(map(str.encode, values))
        parts: list[bytes] = [b""] * (2 * len(encoded))
        parts[0::2] = map(_U64.pack, map(len, encoded))
        parts[1::2] = encoded
        body, item_type = b"".join(parts), GGUFValueType.STRING
    elif first is int:
        body, item_type = np.asarray(values, dtype="<i4").tobytes(), GGUFValueType.INT32
    else:
        body, item_type = np.asarray(values, dtype="<f4").tobytes(), GGUFValueType.FLOAT32
    return struct.pack("<IQ", item_type, len(values)) + body
