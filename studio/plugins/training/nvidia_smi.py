"""Parse ``nvidia-smi --query-gpu=… --format=csv[,noheader][,nounits]`` output (a pure parser).

The remote GPU box is watched with one long-lived
``nvidia-smi --query-gpu=<FIELDS> --format=csv,noheader,nounits -lms 1000`` over SSH (it works
the same on Windows). The parser accepts every variant seen in real captures (tests/data):

* with or without the header line, and with the header repeated before every sample (a loop
  calling nvidia-smi without ``noheader``); a header remaps the columns by name;
* with or without units (``55 %``, ``17304 MiB``, ``250.07 W``, ``1500 MHz``);
* ``[N/A]``, ``[Not Supported]``, ``[Unknown Error]`` and friends → None;
* GPU names containing spaces (``NVIDIA GeForce RTX 4090``); the timestamp format
  ``2026/01/03 15:36:53.507`` (the box's local time).

Without a header the columns are the fields the caller asked for, in order.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

__all__ = ["DEFAULT_FIELDS", "GpuSample", "NvidiaSmiParser", "query_command"]

DEFAULT_FIELDS: tuple[str, ...] = (
    "timestamp", "index", "name", "utilization.gpu", "memory.used", "memory.total",
    "temperature.gpu", "power.draw", "clocks.sm",
)
# Long and short names nvidia-smi accepts for the same property (headers use the long ones).
_ALIASES = {
    "clocks.current.sm": "clocks.sm", "clocks.current.graphics": "clocks.gr",
    "clocks.current.memory": "clocks.mem", "gpu_name": "name", "temperature.gpu": "temperature.gpu",
}
_KNOWN = {"timestamp", "index", "name", "uuid", "pci.bus_id", "utilization.gpu",
          "utilization.memory", "memory.used", "memory.total", "memory.free", "temperature.gpu",
          "power.draw", "power.limit", "clocks.sm", "clocks.gr", "clocks.mem", "fan.speed",
          "pstate", "driver_version"}
_UNIT = re.compile(r"^([-+]?\d+(?:\.\d+)?)\s*(?:%|MiB|MB|GiB|W|MHz|C)?$")
_HEADER_CELL = re.compile(r"^([a-z_.]+)(?:\s*\[[^\]]*\])?$")


def query_command(fields: Sequence[str] = DEFAULT_FIELDS, interval_ms: int = 1000) -> list[str]:
    """The argv of the streaming query (``-lms`` repeats every ``interval_ms``)."""
    return ["nvidia-smi", f"--query-gpu={','.join(fields)}", "--format=csv,noheader,nounits",
            "-lms", str(int(interval_ms))]


def query_shell_command(fields: Sequence[str] = DEFAULT_FIELDS, interval_ms: int = 1000) -> str:
    """The same as one command line for an SSH session (quoted for POSIX and cmd.exe alike)."""
    return " ".join(shlex.quote(part) for part in query_command(fields, interval_ms))


@dataclass(frozen=True, slots=True)
class GpuSample:
    index: int
    name: str | None = None
    time: float | None = None  # unix seconds, from the box's local-time timestamp
    utilization: float | None = None  # percent
    memory_used_mib: float | None = None
    memory_total_mib: float | None = None
    temperature_c: float | None = None
    power_w: float | None = None
    clock_sm_mhz: float | None = None

    @property
    def memory_percent(self) -> float | None:
        if self.memory_used_mib is None or not self.memory_total_mib:
            return None
        return 100.0 * self.memory_used_mib / self.memory_total_mib

    @property
    def label(self) -> str:
        return f"GPU {self.index}" + (f" ({self.name})" if self.name else "")


def _canonical(field: str) -> str:
    field = field.strip().lower()
    return _ALIASES.get(field, field)


def _value(text: str) -> float | None:
    text = text.strip()
    if not text or text.startswith("[") or text.upper() in ("N/A", "NA"):
        return None
    match = _UNIT.match(text)
    return float(match.group(1)) if match else None


def _time(text: str) -> float | None:
    text = text.strip()
    for pattern in ("%Y/%m/%d %H:%M:%S.%f", "%Y/%m/%d %H:%M:%S"):
        try:
            return datetime.strptime(text, pattern).timestamp()
        except ValueError:
            continue
    return None


class NvidiaSmiParser:
    """Line-by-line parser keeping the current column layout (headers may change it)."""

    def __init__(self, fields: Sequence[str] = DEFAULT_FIELDS) -> None:
        self.fields = [_canonical(f) for f in fields]
        self.bad_lines = 0

    def _is_header(self, cells: list[str]) -> list[str] | None:
        names = []
        for cell in cells:
            match = _HEADER_CELL.match(cell.strip().lower())
            if not match:
                return None
            names.append(_canonical(match.group(1)))
        return names if any(name in _KNOWN for name in names) else None

    def feed_line(self, line: str) -> GpuSample | None:
        line = line.strip().strip("\ufeff")
        if not line:
            return None
        cells = [cell.strip() for cell in line.split(",")]
        header = self._is_header(cells)
        if header is not None:
            self.fields = header
            return None
        if len(cells) != len(self.fields):
            self.bad_lines += 1
            return None
        row = dict(zip(self.fields, cells, strict=True))
        index = _value(row.get("index", "0"))
        used = _value(row.get("memory.used", ""))
        total = _value(row.get("memory.total", ""))
        free = _value(row.get("memory.free", ""))
        if total is None and used is not None and free is not None:
            total = used + free
        return GpuSample(
            index=int(index) if index is not None else 0,
            name=row.get("name") or None,
            time=_time(row["timestamp"]) if "timestamp" in row else None,
            utilization=_value(row.get("utilization.gpu", "")),
            memory_used_mib=used, memory_total_mib=total,
            temperature_c=_value(row.get("temperature.gpu", "")),
            power_w=_value(row.get("power.draw", "")),
            clock_sm_mhz=_value(row.get("clocks.sm", "")),
        )

    def feed(self, lines: Iterable[str]) -> list[GpuSample]:
        samples = []
        for line in lines:
            sample = self.feed_line(line)
            if sample is not None:
                samples.append(sample)
        return samples
