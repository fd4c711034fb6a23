"""What a log line looks like on screen: decoded, tqdm refreshes collapsed, controls escaped.

Only the visible lines are ever turned into Python strings, and only up to
:data:`DISPLAY_CAP_BYTES` of each: a 10 MB single line is shown truncated (the view offers to
open it whole). The transformation is deterministic and prefix-stable, so a byte offset inside
a line (a search hit) maps to a display column by rendering the bytes before it.

* UTF-8; invalid bytes become U+FFFD (the file is never "not UTF-8").
* A line holding ``\\r``-refreshed progress (tqdm) shows only its last state; the number of
  refreshes is kept so the view can mark the line.
* C0 control bytes other than TAB, and DEL, are shown as ``\\xNN`` (binary data stays readable
  and can never move the cursor or ring a bell); TABs expand to 8 columns.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DISPLAY_CAP_BYTES",
    "TAB_WIDTH",
    "RenderedLine",
    "display_width",
    "render_bytes",
    "render_line",
]

DISPLAY_CAP_BYTES = 64 * 1024
TAB_WIDTH = 8
UTF8_BOM = b"\xef\xbb\xbf"

_ESCAPES = {code: f"\\x{code:02x}" for code in (*range(9), *range(10, 32), 127)}


@dataclass(frozen=True, slots=True)
class RenderedLine:
    """One line as drawn. ``start`` is the byte offset (in the line) where ``text`` begins."""

    text: str
    start: int
    length: int  # bytes of the whole line, without its line break
    truncated: bool  # the line goes on after what ``text`` shows
    refreshes: int  # \r-refreshes collapsed into the shown state (0: an ordinary line)
    end: int = 0  # byte offset (in the line) just after what ``text`` shows


def render_bytes(raw: bytes) -> str:
    """Decode and escape ``raw`` the way lines are drawn (no collapsing, no truncation)."""
    return raw.decode("utf-8", "replace").translate(_ESCAPES).expandtabs(TAB_WIDTH)


def render_line(head: bytes, length: int, tail: bytes = b"", *, first_line: bool = False
                ) -> RenderedLine:
    """Render a line of ``length`` bytes from its first bytes ``head`` (and last bytes ``tail``).

    ``head`` is the whole line when it is at most :data:`DISPLAY_CAP_BYTES` long; for longer
    lines the caller passes the first and the last ``DISPLAY_CAP_BYTES`` so that a long run of
    ``\\r`` refreshes still shows its final state. A trailing ``\\r`` (CRLF) is not content.
    """
    whole = len(head) >= length
    raw = head[:length] if whole else head
    if whole and raw.endswith(b"\r"):
        raw = raw[:-1]
        length -= 1
    start = len(UTF8_BOM) if first_line and raw.startswith(UTF8_BOM) else 0
    refreshes = 0
    segment_source, source_offset = raw[start:], start
    complete = whole  # segment_source runs to the end of the line
    if not whole and tail:
        tail_body = tail[:-1] if tail.endswith(b"\r") else tail
        if b"\r" in tail_body:
            segment_source, source_offset = tail_body, length - len(tail)
            complete = True
    if b"\r" in segment_source:
        refreshes = segment_source.count(b"\r")
        body = segment_source.rstrip(b"\r")
        cut = body.rfind(b"\r") + 1  # the last non-empty state is what a terminal shows
        segment_source = body[cut:]
        source_offset += cut
    truncated = len(segment_source) > DISPLAY_CAP_BYTES or not complete
    shown = _cut_at_character(segment_source[:DISPLAY_CAP_BYTES], truncated)
    return RenderedLine(render_bytes(shown), source_offset, length, truncated, refreshes,
                        source_offset + len(shown))


def display_width(raw: bytes) -> int:
    """Columns that ``raw`` (bytes of a line from its shown start) takes on screen."""
    return len(render_bytes(raw))


def _cut_at_character(shown: bytes, truncated: bool) -> bytes:
    """Drop an incomplete UTF-8 sequence at a truncation point (not a real invalid byte)."""
    if not truncated:
        return shown
    for back in range(1, min(4, len(shown)) + 1):
        byte = shown[-back]
        if byte < 0x80:
            return shown
        if byte >= 0xC0:  # a lead byte: is its sequence complete?
            needed = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return shown if back >= needed else shown[:-back]
    return shown
