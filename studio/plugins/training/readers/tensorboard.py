"""TensorBoard event files (``events.out.tfevents.*``): scalars, read incrementally.

Why our own parser: the only maintained readers are ``tensorboard`` itself (grpcio, protobuf,
werkzeug, a Rust data server: ~60 MB installed) and ``tbparse`` (tensorboard plus pandas). The
part we need is small and stable: TFRecord framing and four protobuf messages.

* TFRecord: ``uint64 length · uint32 masked CRC-32C of the length · data · uint32 masked CRC of
  the data``. The length CRC is verified (it catches a torn read or a file that is not
  TFRecord); the data CRC is not (pure-Python CRC over every byte would dominate the cost, and
  a damaged payload fails protobuf decoding anyway). An incomplete record at the end of the
  file (the writer is mid-flush) is left for the next refresh.
* ``Event``: wall_time (1, double), step (2, int64), summary (5). ``Summary.value`` (1):
  tag (1), simple_value (2, float: TF1, PyTorch, tensorboardX), metadata (9), tensor (8:
  TF2's ``tf.summary.scalar`` and tensorboardX ``new_style``). Tensor scalars are recognised by
  the ``scalars`` plugin name in the metadata, which writers put only on a tag's first event,
  or by a 0-d numeric tensor without any metadata.
"""

from __future__ import annotations

import math
import os
import struct
from pathlib import Path

from studio.plugins.training.readers.base import Progress, ReadResult
from studio.plugins.training.readers.tail import FileTail
from studio.plugins.training.series import ColumnBuilder

__all__ = ["TensorBoardReader", "crc32c", "locate_event_files", "masked_crc32c",
           "parse_event"]

PREFIX = "events.out.tfevents"
_SCALAR_PLUGIN = "scalars"
_NUMERIC_DTYPES = {1: "<f", 2: "<d", 3: "<i", 9: "<q", 19: "<e"}  # DT_FLOAT, DOUBLE, INT32…


def _crc_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _crc_table()


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


# -- protobuf wire format ----------------------------------------------------------------------
def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _fields(data: bytes) -> list[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) of every field; raises ValueError on damage."""
    out = []
    pos, end = 0, len(data)
    while pos < end:
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == 2:
            length, pos = _varint(data, pos)
            value, pos = data[pos:pos + length], pos + length
        elif wire == 5:
            value, pos = data[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        if pos > end:
            raise ValueError("truncated field")
        out.append((number, wire, value))
    return out


def _plugin_name(metadata: bytes) -> str | None:
    for number, wire, value in _fields(metadata):
        if number == 1 and wire == 2:  # plugin_data
            for inner, inner_wire, name in _fields(value):  # type: ignore[arg-type]
                if inner == 1 and inner_wire == 2:
                    return bytes(name).decode("utf-8", "replace")  # type: ignore[arg-type]
    return None


def _tensor_scalar(tensor: bytes) -> float | None:
    dtype = None
    dims = 0
    content = b""
    values: list[float] = []
    for number, wire, value in _fields(tensor):
        if number == 1 and wire == 0:
            dtype = value
        elif number == 2 and wire == 2:
            dims = sum(1 for n, _, _ in _fields(value) if n == 2)  # type: ignore[arg-type]
        elif number == 4 and wire == 2:
            content = value  # type: ignore[assignment]
        elif number == 5:  # float_val: packed (2) or not (5)
            values.extend(struct.unpack(f"<{len(value) // 4}f", value))  # type: ignore[arg-type]
        elif number == 6:
            values.extend(struct.unpack(f"<{len(value) // 8}d", value))  # type: ignore[arg-type]
        elif number in (7, 10, 13) and wire in (0, 2):
            if wire == 0:
                values.append(float(value))  # type: ignore[arg-type]
            else:
                pos = 0
                while pos < len(value):  # type: ignore[arg-type]
                    item, pos = _varint(value, pos)  # type: ignore[arg-type]
                    values.append(float(item))
    if dims or dtype not in _NUMERIC_DTYPES:
        return None
    if content:
        fmt = _NUMERIC_DTYPES[dtype]  # type: ignore[index]
        if len(content) != struct.calcsize(fmt):
            return None
        return float(struct.unpack(fmt, content)[0])
    if dtype == 19 and values:  # DT_HALF values arrive as their int bits
        return float(struct.unpack("<e", struct.pack("<H", int(values[0])))[0])
    return float(values[0]) if values else None


def parse_event(data: bytes, scalar_tags: dict[str, bool]
                ) -> tuple[float, int, list[tuple[str, float]]]:
    """(wall_time, step, [(tag, value)]) of one serialized Event.

    ``scalar_tags`` remembers, per tag, whether its first event named the scalars plugin.
    """
    wall, step, scalars = float("nan"), 0, []
    for number, wire, value in _fields(data):
        if number == 1 and wire == 1:
            wall = struct.unpack("<d", value)[0]  # type: ignore[arg-type]
        elif number == 2 and wire == 0:
            step = value - (1 << 64) if value >= 1 << 63 else value  # type: ignore[operator]
        elif number == 5 and wire == 2:
            for field, field_wire, item in _fields(value):  # type: ignore[arg-type]
                if field == 1 and field_wire == 2:
                    scalar = _summary_value(item, scalar_tags)  # type: ignore[arg-type]
                    if scalar is not None:
                        scalars.append(scalar)
    return wall, int(step), scalars


def _summary_value(data: bytes, scalar_tags: dict[str, bool]) -> tuple[str, float] | None:
    tag, simple, tensor, metadata = None, None, None, None
    for number, wire, value in _fields(data):
        if number == 1 and wire == 2:
            tag = bytes(value).decode("utf-8", "replace")  # type: ignore[arg-type]
        elif number == 2 and wire == 5:
            simple = struct.unpack("<f", value)[0]  # type: ignore[arg-type]
        elif number == 8 and wire == 2:
            tensor = value
        elif number == 9 and wire == 2:
            metadata = value
    if tag is None:
        return None
    if metadata is not None and tag not in scalar_tags:
        scalar_tags[tag] = _plugin_name(metadata) in (_SCALAR_PLUGIN, None)  # type: ignore[arg-type]
    if simple is not None:
        return tag, float(simple)
    if tensor is not None and scalar_tags.get(tag, True):
        value = _tensor_scalar(tensor)  # type: ignore[arg-type]
        if value is not None:
            return tag, value
    return None


def locate_event_files(folder: Path, depth: int = 2) -> list[Path]:
    found: list[Path] = []

    def walk(directory: Path, level: int) -> None:
        try:
            entries = list(os.scandir(directory))
        except OSError:
            return
        for entry in entries:
            if entry.name.startswith(PREFIX) and entry.is_file():
                found.append(Path(entry.path))
            elif level < depth and entry.is_dir() and not entry.name.startswith(
                    ("checkpoint-", ".")):
                walk(Path(entry.path), level + 1)

    walk(folder, 0)
    return sorted(found)


def locate_tensorboard(folder: Path) -> list[Path]:
    return [folder] if locate_event_files(folder) else []


class _EventFile:
    def __init__(self, path: Path) -> None:
        self.tail = FileTail(path)
        self.pending = b""
        self.scalar_tags: dict[str, bool] = {}
        self.damaged: str | None = None


class TensorBoardReader:
    """Every event file under a run folder (a restarted run writes a new file)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._files: dict[Path, _EventFile] = {}
        self._progress = Progress()

    @property
    def bytes_read(self) -> int:
        return sum(f.tail.bytes_read for f in self._files.values())

    def read(self) -> ReadResult:
        paths = [self.path] if self.path.is_file() else locate_event_files(self.path)
        result = ReadResult()
        columns = ColumnBuilder()
        for path in paths:
            state = self._files.get(path)
            if state is None:
                state = self._files[path] = _EventFile(path)
            if state.tail.unchanged():
                continue
            chunk = state.tail.read()
            result.bytes_read += len(chunk.data)
            if chunk.mtime is not None:
                result.last_update = max(result.last_update or 0.0, chunk.mtime)
            if chunk.reset:
                state.pending, state.scalar_tags = b"", {}
                result.reset = True
            self._records(state, chunk.data, columns)
            if state.damaged:
                result.error = state.damaged
        result.columns = columns.build()
        result.progress = self._progress
        return result

    def _records(self, state: _EventFile, data: bytes, columns: ColumnBuilder) -> None:
        buffer = state.pending + data
        pos = 0
        while len(buffer) - pos >= 12:
            header = buffer[pos:pos + 8]
            (length,) = struct.unpack("<Q", header)
            (length_crc,) = struct.unpack("<I", buffer[pos + 8:pos + 12])
            if masked_crc32c(header) != length_crc:
                state.damaged = f"{state.tail.path}: damaged record at byte " \
                                f"{state.tail.offset - len(buffer) + pos} (length CRC mismatch)"
                state.pending = b""
                return
            end = pos + 12 + length + 4
            if end > len(buffer):
                break  # the writer has not flushed the whole record yet
            payload = buffer[pos + 12:pos + 12 + length]
            pos = end
            try:
                wall, step, scalars = parse_event(payload, state.scalar_tags)
            except (ValueError, struct.error):
                continue
            for tag, value in scalars:
                columns.add(tag, float(step), value, wall)
            if scalars:
                self._progress = self._progress.merged(
                    Progress(global_step=max(step, self._progress.global_step or 0),
                             observed_at=None if math.isnan(wall) else wall))
        state.pending = buffer[pos:]
