"""Stream a JSONL file once: records, problems with line numbers, size and content hash.

The file is read in 1 MiB blocks (never whole), split on ``\\n`` and parsed with orjson; the
same pass feeds a BLAKE2b content hash (the embedding cache key), so a file is read exactly
once per load. Nothing in a file can crash the reader:

* a line that is not JSON, or JSON that is not an object, is *malformed*: counted and listed
  (line number, orjson's reason, the line's start) and skipped; the rest loads;
* invalid UTF-8 is replaced by U+FFFD and the line loads (listed as *repaired*);
* a line longer than ``max_line_bytes`` is skipped without being held in memory (listed as
  *oversized*);
* blank lines are ignored (hafs never writes them; editors often leave one at the end).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from studio.api import NULL_CONTEXT, JobContext

__all__ = [
    "BLOCK_BYTES",
    "MAX_LINE_BYTES",
    "MAX_LISTED_PROBLEMS",
    "BlockHandler",
    "FileReport",
    "LineProblem",
    "scan_jsonl",
]

BLOCK_BYTES = 1 << 20
# ``on_block(body, lines) -> bool``: see :func:`scan_jsonl`.
BlockHandler = Callable[[bytes, int], bool]
MAX_LINE_BYTES = 64 << 20
MAX_LISTED_PROBLEMS = 1000  # per kind; the counts are always complete
_EXCERPT = 80


@dataclass(frozen=True, slots=True)
class LineProblem:
    line: int  # 1-based, as editors show it
    reason: str
    excerpt: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "reason": self.reason, "excerpt": self.excerpt}


@dataclass
class FileReport:
    """What one pass over a JSONL file found."""

    path: Path
    split: str = ""
    exists: bool = True
    error: str = ""  # the file could not be read at all (permission, a folder, …)
    lines: int = 0
    records: int = 0
    blank: int = 0
    size_bytes: int = 0
    content_hash: str = ""
    malformed_count: int = 0
    malformed: list[LineProblem] = field(default_factory=list)
    repaired_count: int = 0
    repaired: list[LineProblem] = field(default_factory=list)
    oversized_count: int = 0
    oversized: list[LineProblem] = field(default_factory=list)
    missing_fields: dict[str, int] = field(default_factory=dict)

    def note(self, kind: str, problem: LineProblem) -> None:
        setattr(self, f"{kind}_count", getattr(self, f"{kind}_count") + 1)
        listed: list[LineProblem] = getattr(self, kind)
        if len(listed) < MAX_LISTED_PROBLEMS:
            listed.append(problem)

    def missing(self, name: str) -> None:
        self.missing_fields[name] = self.missing_fields.get(name, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path), "split": self.split, "exists": self.exists,
            "error": self.error, "lines": self.lines, "records": self.records,
            "blank_lines": self.blank, "size_bytes": self.size_bytes,
            "content_hash": self.content_hash,
            "malformed_count": self.malformed_count,
            "malformed": [p.as_dict() for p in self.malformed],
            "repaired_count": self.repaired_count,
            "repaired": [p.as_dict() for p in self.repaired],
            "oversized_count": self.oversized_count,
            "oversized": [p.as_dict() for p in self.oversized],
            "missing_fields": dict(sorted(self.missing_fields.items())),
        }


def _excerpt(line: bytes) -> str:
    return line[:_EXCERPT].decode("utf-8", "replace") + ("…" if len(line) > _EXCERPT else "")


def scan_jsonl(path: str | os.PathLike[str], on_record: Callable[[int, dict[str, Any]], None],
               *, split: str = "", report: FileReport | None = None,
               ctx: JobContext = NULL_CONTEXT, max_line_bytes: int = MAX_LINE_BYTES,
               block_bytes: int = BLOCK_BYTES, content_hash: bool = True,
               on_block: BlockHandler | None = None) -> FileReport:
    """Call ``on_record(line_number, record)`` for every JSON object line of ``path``.

    Returns the :class:`FileReport` (``report`` when given, so a record handler can note
    missing fields in it while the scan runs). A missing file gives ``exists=False`` and no
    error; an unreadable one sets ``error``. ``content_hash=False`` skips the hash (``data stats``
    needs none; it costs ~30 % of a scan). Progress is reported by bytes; cancellation is
    checked per block (raises :class:`~studio.core.jobs.JobCancelled`).

    ``on_block(body, lines)`` is a fast path for a caller that needs a few fields only
    (``data stats``): it gets each block's complete lines at once and returns True when it
    counted every one of them as a record; False (a malformed, blank or non-UTF-8 line, …)
    makes this function parse that block line by line as usual, so nothing is lost and
    problems still get their line numbers.
    """
    report = report if report is not None else FileReport(Path(path), split)
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed in the finally below
    except FileNotFoundError:
        report.exists = False
        return report
    except OSError as exc:
        report.error = f"{path}: cannot read: {exc.strerror or exc}"
        return report
    digest = hashlib.blake2b(digest_size=16)
    loads, decode_error = orjson.loads, orjson.JSONDecodeError
    records = 0  # fast-path records; _parse_line counts the others in the report
    try:
        total = os.fstat(handle.fileno()).st_size or 1
        carry = b""
        dropping = False  # inside an oversized line: discard until its newline
        line_no = 0
        while True:
            ctx.raise_if_cancelled()
            block = handle.read(block_bytes)
            if not block:
                break
            if content_hash:
                digest.update(block)
            report.size_bytes += len(block)
            if on_block is not None and not dropping:
                end = block.rfind(b"\n")
                if end >= 0 and len(carry) + end < max_line_bytes \
                        and len(block) - end <= max_line_bytes:
                    body = carry + block[:end + 1]
                    lines = body.count(b"\n")
                    if on_block(body, lines):
                        line_no += lines
                        records += lines
                        carry = block[end + 1:]
                        ctx.report(report.size_bytes / total)
                        continue  # the new carry is within max_line_bytes (checked above)
            pieces = block.split(b"\n")
            tail = pieces.pop()
            if pieces:
                first = 0
                if dropping:  # the first piece ends the oversized line
                    dropping, first = False, 1
                    line_no += 1
                elif carry:
                    pieces[0] = carry + pieces[0]
                for piece in pieces[first:] if first else pieces:
                    line_no += 1
                    # The fast path inline (a million lines: every call counts); anything
                    # unusual goes to _parse_line, which parses again and says what is wrong.
                    if len(piece) <= max_line_bytes:
                        try:
                            record = loads(piece)
                        except decode_error:
                            record = None
                        if type(record) is dict:
                            records += 1
                            on_record(line_no, record)
                            continue
                    _parse_line(piece, line_no, report, on_record, max_line_bytes)
                carry = tail
            elif not dropping:
                carry += tail
            if not dropping and len(carry) > max_line_bytes:
                report.note("oversized", LineProblem(
                    line_no + 1, f"line exceeds {max_line_bytes:,} bytes",
                    _excerpt(carry)))
                carry, dropping = b"", True
            ctx.report(report.size_bytes / total)
        if carry or dropping:  # a last line without a newline
            line_no += 1
            if carry:
                _parse_line(carry, line_no, report, on_record, max_line_bytes)
        report.lines = line_no
    except OSError as exc:
        report.error = f"{path}: read failed after {report.size_bytes:,} bytes: {exc}"
    finally:
        handle.close()
        report.records += records
    report.content_hash = digest.hexdigest() if content_hash else ""
    return report


def _parse_line(piece: bytes, line_no: int, report: FileReport,
                on_record: Callable[[int, dict[str, Any]], None], max_line_bytes: int) -> None:
    if len(piece) > max_line_bytes:
        report.note("oversized", LineProblem(
            line_no, f"line of {len(piece):,} bytes exceeds {max_line_bytes:,}", _excerpt(piece)))
        return
    try:
        record = orjson.loads(piece)
    except orjson.JSONDecodeError:
        record = _recover(piece, line_no, report)
        if record is None:
            return
    if type(record) is not dict:
        report.note("malformed", LineProblem(
            line_no, f"a JSON {type(record).__name__}, not an object", _excerpt(piece)))
        return
    report.records += 1
    on_record(line_no, record)


def _recover(piece: bytes, line_no: int, report: FileReport) -> Any:
    """A line orjson refused: blank, invalid UTF-8 (repaired) or malformed (None)."""
    if not piece.strip():
        report.blank += 1
        return None
    try:
        piece.decode("utf-8")
    except UnicodeDecodeError as exc:
        try:
            record = orjson.loads(piece.decode("utf-8", "replace"))
        except orjson.JSONDecodeError as inner:
            report.note("malformed", LineProblem(line_no, inner.msg, _excerpt(piece)))
            return None
        report.note("repaired", LineProblem(
            line_no, f"invalid UTF-8 at byte {exc.start} replaced by U+FFFD", _excerpt(piece)))
        return record
    try:
        orjson.loads(piece)
    except orjson.JSONDecodeError as exc:
        report.note("malformed", LineProblem(line_no, f"{exc.msg} (column {exc.colno})",
                                             _excerpt(piece)))
    return None
