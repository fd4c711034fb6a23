"""Helpers shared by the studio benchmarks: machine facts, statistics, results and tables.

Every benchmark writes ``benchmarks/results/<name>.json`` with the machine it ran on, so a figure
is never read without knowing where it came from, and prints a plain-text table.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, Any]:
    """Where the numbers come from: CPU, cores, OS, Python, Qt, date."""
    info: dict[str, Any] = {
        "cpu": cpu_model(),
        "logical_cores": os.cpu_count(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }
    try:
        import psutil

        info["physical_cores"] = psutil.cpu_count(logical=False)
        info["memory_gib"] = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        pass
    try:
        import PySide6
        from PySide6.QtCore import qVersion

        info["pyside6"] = PySide6.__version__
        info["qt"] = qVersion()
    except ImportError:
        info["qt"] = "not installed"
    return info


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` in 0..1); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


def write_results(name: str, payload: dict[str, Any]) -> Path:
    """Write ``results/<name>.json`` (machine info first) and return its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    data = {"benchmark": name, "machine": machine_info(), **payload}
    path.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY))
    return path


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], title: str = "") -> None:
    """A plain, aligned text table (numbers right-aligned)."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h)
              for i, h in enumerate(headers)]
    numeric = [all(_is_number(row[i]) for row in rows) if rows else False
               for i in range(len(headers))]
    if title:
        print(f"\n{title}")
    columns = list(zip(widths, numeric, strict=True))
    print("  ".join(_align(h, w, n) for h, (w, n) in zip(headers, columns, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(_align(c, w, n) for c, (w, n) in zip(row, columns, strict=True)))


def _align(text: str, width: int, right: bool) -> str:
    return text.rjust(width) if right else text.ljust(width)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
    return str(value)


def child_environment(**extra: str) -> dict[str, str]:
    """The environment for a measured child process: offscreen Qt, this checkout importable."""
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    path = env.get("PYTHONPATH", "")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), path) if p)
    for switch in ("HAFS_STUDIO_PLUGINS", "HAFS_STUDIO_DISABLE_PLUGINS"):
        env.pop(switch, None)
    # Measure what an installed studio does: run from compiled bytecode. Some shells here set
    # PYTHONDONTWRITEBYTECODE, which recompiles every source module on every start (~0.1 s);
    # the bytecode goes to a private tree instead of __pycache__ folders in the checkout.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "hafs-bench-pycache")
    env.update(extra)
    return env
