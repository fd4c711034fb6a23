"""Turning token bytes into streamed text: UTF-8 split across tokens, and stop strings.

Shared by the in-process backends (llama.cpp, CTranslate2); a server backend lets its server
apply the stop strings.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Sequence

__all__ = ["IncrementalDecode", "StopStrings", "Utf8Pieces"]


class Utf8Pieces:
    """Decode token bytes incrementally: a character split over two tokens is emitted once."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def feed(self, data: bytes) -> str:
        return self._decoder.decode(data)

    def flush(self) -> str:
        return self._decoder.decode(b"", final=True)


class StopStrings:
    """Holds back text that may be the start of a stop string; says when one was produced.

    :meth:`feed` returns ``(text to emit, stopped)``. The stop string itself is never emitted;
    text before it is.
    """

    def __init__(self, stops: Sequence[str]) -> None:
        self._stops = [s for s in stops if s]
        self._held = ""

    def feed(self, text: str) -> tuple[str, bool]:
        if not self._stops:
            return text, False
        buffer = self._held + text
        cut = min((i for i in (buffer.find(s) for s in self._stops) if i >= 0), default=-1)
        if cut >= 0:
            self._held = ""
            return buffer[:cut], True
        keep = max((self._partial(buffer, s) for s in self._stops), default=0)
        self._held = buffer[len(buffer) - keep:] if keep else ""
        return buffer[:len(buffer) - keep], False

    def flush(self) -> str:
        held, self._held = self._held, ""
        return held

    @staticmethod
    def _partial(buffer: str, stop: str) -> int:
        """Length of the longest end of ``buffer`` that begins ``stop``."""
        for length in range(min(len(stop) - 1, len(buffer)), 0, -1):
            if stop.startswith(buffer[-length:]):
                return length
        return 0


class IncrementalDecode:
    """Streams the text of a growing id list using a whole-sequence ``decode(ids)`` function.

    Decoding token by token breaks SentencePiece spacing and characters split over byte
    tokens; decoding everything each step is quadratic. So only a short window is decoded:
    the text of the ids since the last emission, minus the text those ids had before, held
    back while it ends in an incomplete character (U+FFFD).
    """

    def __init__(self, decode: Callable[[list[int]], str]) -> None:
        self._decode = decode
        self._ids: list[int] = []
        self._prefix = 0  # window start
        self._read = 0  # ids already emitted

    def step(self, token_id: int) -> str:
        self._ids.append(token_id)
        before = self._decode(self._ids[self._prefix:self._read])
        after = self._decode(self._ids[self._prefix:])
        if len(after) > len(before) and not after.endswith("\ufffd"):
            self._prefix, self._read = self._read, len(self._ids)
            return after[len(before):]
        return ""

    def flush(self) -> str:
        before = self._decode(self._ids[self._prefix:self._read])
        after = self._decode(self._ids[self._prefix:])
        self._prefix = self._read = len(self._ids)
        return after[len(before):]
