"""Turning a child's byte stream into lines, and the log file a managed process writes.

Tools redraw progress bars with a bare carriage return (tqdm, llama.cpp), so ``\\r``, ``\\n`` and
``\\r\\n`` all end a line. A bar that is still being drawn sits unterminated in the buffer; it is
offered separately (:meth:`LineSplitter.pending`) so progress parsers see it at once while logs
and error tails only get complete lines.
"""

from __future__ import annotations

import datetime
import re
import threading
from collections import deque
from pathlib import Path
from typing import IO

__all__ = ["LineSplitter", "ProcessLog", "TailBuffer"]

_LINE_END = re.compile(rb"\r\n|\r|\n")


class LineSplitter:
    """Feed bytes, get complete decoded lines (without their terminators)."""

    def __init__(self) -> None:
        self._buffer = b""
        self._skip_lf = False  # a chunk ended in "\r": a "\n" starting the next one is its pair

    def feed(self, chunk: bytes) -> list[str]:
        if self._skip_lf and chunk.startswith(b"\n"):
            chunk = chunk[1:]
        self._skip_lf = chunk.endswith(b"\r")
        *complete, self._buffer = _LINE_END.split(self._buffer + chunk)
        return [_decode(raw) for raw in complete]

    def pending(self) -> str:
        """The unterminated rest (a progress bar being redrawn), "" when there is none."""
        return _decode(self._buffer)

    def close(self) -> list[str]:
        """End of stream: the rest, if any, is a last line."""
        rest, self._buffer = self._buffer, b""
        return [_decode(rest)] if rest else []


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


class TailBuffer:
    """The last ``size`` non-blank lines, thread-safe (for error messages)."""

    def __init__(self, size: int = 50) -> None:
        self._lines: deque[str] = deque(maxlen=size)
        self._lock = threading.Lock()

    def add(self, line: str) -> None:
        if line.strip():
            with self._lock:
                self._lines.append(line)

    def lines(self) -> list[str]:
        with self._lock:
            return list(self._lines)


class ProcessLog:
    """A managed process's log: a header naming the command, its output, a footer with the exit.

    Lines from stdout and stderr are written as they arrive (one lock, flushed once per read
    chunk), so the log viewer can follow a running process.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._handle: IO[str] | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = path.open("a", encoding="utf-8", errors="replace")

    def note(self, text: str) -> None:
        """A line of our own (header, footer), marked with ``#`` so a reader can tell."""
        self.write([f"# {_now()} {text}"])

    def write(self, lines: list[str]) -> None:
        if self._handle is None or not lines:
            return
        with self._lock:
            if self._handle.closed:
                return
            self._handle.write("\n".join(lines) + "\n")
            self._handle.flush()

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._handle.close()


def _now() -> str:
    return datetime.datetime.now().isoformat(timespec="seconds")
