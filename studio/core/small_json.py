"""Reading and writing the studio's own small JSON files with the standard library.

Settings, window layouts, the plugin index, plugin choices and the crash guard are read before
the window's first frame; importing orjson (and the uuid, datetime and platform modules it
pulls in) there costs more than parsing these few-kilobyte files. Big files (the Models
registry, reports) keep using orjson. The output matches ``orjson.dumps(...,
option=OPT_INDENT_2)``: two-space indents, UTF-8, no NaN.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

__all__ = ["JSONDecodeError", "dumps", "loads", "read_cache"]

log = logging.getLogger(__name__)

JSONDecodeError = json.JSONDecodeError


def loads(raw: bytes | str) -> Any:
    """Parse ``raw``; :class:`JSONDecodeError` for bad JSON and for bytes that are not UTF-8."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JSONDecodeError(f"not UTF-8 ({exc.reason})", "", exc.start) from exc
    return json.loads(raw)


def dumps(data: Any, *, indent: bool = False, sort_keys: bool = False) -> bytes:
    """``data`` as UTF-8 JSON bytes (compact, or indented by two spaces)."""
    text = json.dumps(data, indent=2 if indent else None, sort_keys=sort_keys,
                      ensure_ascii=False, allow_nan=False,
                      separators=None if indent else (",", ":"))
    return text.encode("utf-8")


def read_cache(path: Path, what: str) -> dict[str, Any] | None:
    """The JSON object in the cache file ``path``, or None when it is missing or unusable.

    For files the studio can rebuild (``what`` names one in the log): an unreadable file, bad
    JSON, a half-written file or anything but an object is logged at info level, never raised.
    """
    try:
        data = loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, JSONDecodeError) as exc:
        log.info("%s %s unreadable (%s); ignoring it", what, path, exc)
        return None
    return data if isinstance(data, dict) else None
