"""Going places in a log: a line by its time (binary search over timestamps).

Logs are written in time order, so the first line at or after a time is found by bisecting
line numbers, reading ~log2(lines) lines. A probe that lands on a line without a timestamp (a
traceback, a tqdm bar) looks at the following lines, up to :data:`PROBE_LINES`.
"""

from __future__ import annotations

from studio.plugins.logs.document import Generation, LogDocument

__all__ = ["PROBE_LINES", "find_time", "first_timestamp"]

PROBE_LINES = 64


def _time_at_or_after(doc: LogDocument, gen: Generation, line: int, stop: int
                      ) -> tuple[int, float] | None:
    """The first (line, seconds) at or after ``line`` (at most PROBE_LINES on, before stop)."""
    parse = doc.format.timestamp
    if parse is None:
        return None
    end = min(line + PROBE_LINES, stop)
    for rendered_line, rendered in enumerate(doc.lines(line, end - line, gen), start=line):
        seconds = parse(rendered.text)
        if seconds is not None:
            return rendered_line, seconds
    return None


def first_timestamp(doc: LogDocument) -> float | None:
    gen = doc.current
    found = _time_at_or_after(doc, gen, 0, gen.line_count)
    return None if found is None else found[1]


def find_time(doc: LogDocument, seconds: float) -> int | None:
    """The first line whose timestamp is at or after ``seconds``; None if the format has no
    timestamps or none is found. After the last timestamp: the last line."""
    gen = doc.current
    count = gen.line_count
    if doc.format.timestamp is None or count == 0:
        return None
    low, high = 0, count  # answer in [low, high]
    best: int | None = None
    while low < high:
        middle = (low + high) // 2
        found = _time_at_or_after(doc, gen, middle, high)
        if found is None:  # no timestamp in [middle, middle + probe): look left
            high = middle
            continue
        line, value = found
        if value >= seconds:
            best, high = line, middle
        else:
            low = line + 1
    if best is None:
        return count - 1 if first_timestamp(doc) is not None else None
    return best
