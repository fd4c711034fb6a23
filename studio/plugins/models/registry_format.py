"""registry.json bytes ⇄ :class:`Registry`: read whatever hafs accepts, write what hafs accepts.

**Reading** (:func:`parse_registry`) accepts every registry hafs's loader accepts
(hafs-formats §1.4: ``json.load``, then ``ModelMetadata(**entry)`` per entry):

* ``NaN``, ``Infinity`` and ``-Infinity`` (hafs's ``json.dump`` writes them for a NaN loss).
  orjson refuses them, so a file it cannot parse is parsed again by the standard library's C
  scanner, which is hafs's own parser; registries without them keep orjson's speed.
* Entries with 25 to 36 keys: the 11 defaulted fields hafs fills are filled the same way
  (:func:`~.schema.hafs_default`) in the entry the studio shows.
* Keys the studio does not know (a newer hafs may add fields): the entry loads, and the keys
  are kept (:meth:`Registry.unknown_keys`).
* An entry hafs itself cannot load (not an object, or a required key missing) is reported as
  an :class:`EntryDamage` with file, line and reason, while every other entry loads.

**Writing** (:func:`dumps_registry`) follows one rule that joins "keep what hafs wrote
untouched" and "write exactly hafs's keys":

* An entry the studio did not change is written back exactly as it was read: the same keys in
  the same order, unknown keys, missing defaulted keys and ``NaN`` included. Whichever hafs
  wrote it reads the same value again, so a studio save can never make any hafs version load
  less than it did before. (A damaged entry is written back the same way.)
* An entry the studio creates or changes is written strictly: exactly hafs's 36 keys in hafs's
  order, defaults filled, ``null`` instead of ``NaN`` or infinity. The studio never adds a key
  of its own and never drops one of the 36. Keys a newer hafs added to an entry the studio
  then changes are not the studio's to drop: they follow the 36, untouched, because that hafs
  may require them.

Canonical entries (exactly the 36 keys, id field equal to the key, finite numbers) take the
fast path: they are the studio's entries as they are, with no copy and no bookkeeping.
"""

from __future__ import annotations

import contextlib
import gc
import json
import math
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from studio.plugins.models.registry_types import (
    REGISTRY_VERSION,
    EntryDamage,
    KeptEntry,
    Registry,
    RegistryCorruptError,
)
from studio.plugins.models.schema import (
    FIELD_SET,
    FIELDS,
    REQUIRED_FIELDS,
    ModelEntry,
    hafs_default,
    now_iso,
)

__all__ = ["dumps_registry", "parse_registry"]

# -- reading -------------------------------------------------------------------------------
def parse_registry(data: bytes, path: Path, *, exact: bool = False) -> Registry:
    """Parse registry bytes leniently (see the module docstring).

    ``exact`` (the write path): orjson reads an integer beyond 64 bits as a float, where hafs's
    ``json.load`` keeps every digit; a file with a run of 19 digits is then parsed by the
    standard library instead, so a save never rounds one. (The check costs a pass over the
    bytes, which a save can afford and a display load skips.)

    Raises :class:`RegistryCorruptError` only when hafs could not load the file at all: empty,
    not JSON, the top level or ``models`` not an object.
    """
    if not data.strip():
        raise RegistryCorruptError(path, "the file is empty", empty=True)
    with _gc_paused():
        try:
            if exact and _may_hold_a_long_integer(data):
                raise orjson.JSONDecodeError("long integer", "", 0)
            raw = orjson.loads(data)
            nonfinite_possible = False
        except orjson.JSONDecodeError:
            raw = _loads_like_hafs(data, path)
            nonfinite_possible = True
        if not isinstance(raw, dict):
            raise RegistryCorruptError(path, "top level is not a JSON object", 1, 1)
        models = raw.get("models", {})
        if not isinstance(models, dict):
            raise RegistryCorruptError(path, '"models" is not an object',
                                       *_locate(data, b'"models"'))
        registry = Registry(models=models, version=str(raw.get("version", REGISTRY_VERSION)),
                            updated_at=str(raw.get("updated_at") or ""),
                            extra={k: v for k, v in raw.items()
                                   if k not in ("version", "updated_at", "models")})
        # One C-level pass: a canonical entry is a dict with exactly the 36 keys whose id field
        # is its key (hafs keys models by the dict key and keeps the field as it is).
        odd = [model_id for model_id, entry in models.items()
               if type(entry) is not dict or entry.keys() != FIELD_SET
               or entry["model_id"] != model_id]
        if nonfinite_possible:
            odd_set = set(odd)
            odd += [model_id for model_id, entry in models.items()
                    if model_id not in odd_set and not _orjson_can_encode(entry)]
        if odd:
            _admit_odd_entries(registry, odd, data, path)
    return registry


_DIGIT_MARKS = bytes(1 if 0x30 <= byte <= 0x39 else 0 for byte in range(256))


def _may_hold_a_long_integer(data: bytes) -> bool:
    """19 digits in a row somewhere (in a number or a string): maybe beyond 64 bits."""
    return data.translate(_DIGIT_MARKS).find(b"\x01" * 19) >= 0


class _NonFinite(float):
    """NaN or ±Infinity as read from the file: a float that orjson refuses to encode, which is
    how the entries holding one are found at C speed (see :func:`_orjson_can_encode`)."""

    __slots__ = ()


_CONSTANTS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _loads_like_hafs(data: bytes, path: Path) -> Any:
    """The standard library's parser: hafs's own, which accepts NaN and ±Infinity."""
    try:
        return json.loads(data, parse_constant=lambda name: _NonFinite(_CONSTANTS[name]))
    except json.JSONDecodeError as exc:
        raise RegistryCorruptError(path, f"invalid JSON: {exc.msg}", exc.lineno,
                                   exc.colno) from None
    except (UnicodeDecodeError, RecursionError) as exc:
        raise RegistryCorruptError(path, f"not a JSON text: {exc}") from None


def _orjson_can_encode(entry: Any) -> bool:
    """False for an entry holding NaN/±Infinity (a :class:`_NonFinite`) or an integer beyond
    64 bits: both are kept as read and written back by the standard library's encoder.
    (A recursive Python scan of 10k entries costs ~15x this.)"""
    try:
        orjson.dumps(entry)
    except TypeError:  # orjson.JSONEncodeError is one
        return False
    return True


def _admit_odd_entries(registry: Registry, odd: list[str], data: bytes, path: Path) -> None:
    """Show each non-canonical entry in its complete form, or record why hafs refuses it."""
    models = registry.models
    stamp = now_iso()
    models_at = data.find(b'"models"')
    for model_id in odd:
        raw = models[model_id]
        reason = _refusal(raw)
        if reason is not None:
            registry.damaged[model_id] = EntryDamage(
                model_id, reason, str(path), *_locate(data, _key_pattern(model_id), models_at))
            registry.kept[model_id] = KeptEntry(raw, None)
            continue
        shown = {key: raw[key] if key in raw else hafs_default(key, stamp) for key in FIELDS}
        shown["model_id"] = model_id
        models[model_id] = shown  # type: ignore[assignment]
        registry.kept[model_id] = KeptEntry(raw, shown, tuple(shown.values()))  # type: ignore[arg-type]
    if registry.damaged:
        registry.order = tuple(models)
        for model_id in registry.damaged:
            del models[model_id]


def _refusal(raw: Any) -> str | None:
    """Why hafs's ``ModelMetadata(**raw)`` fails for this entry, or None when it succeeds.

    Unknown keys are not counted: a newer hafs may have added them (they are kept).
    """
    if not isinstance(raw, dict):
        kind = {list: "an array", str: "a string", type(None): "null", bool: "a boolean"}.get(
            type(raw), "a number")
        return f"is {kind}, not an object: hafs cannot load it"
    missing = [key for key in REQUIRED_FIELDS if key not in raw]
    if missing:
        return (f"lacks the required key{'s' * (len(missing) > 1)} {', '.join(missing)}: "
                "hafs cannot load it")
    return None


def _key_pattern(model_id: str) -> bytes:
    return json.dumps(model_id).encode() + b":"


def _locate(data: bytes, needle: bytes, start: int = 0) -> tuple[int | None, int | None]:
    index = data.find(needle, max(start, 0))
    if index < 0:
        return None, None
    line = data.count(b"\n", 0, index) + 1
    return line, index - (data.rfind(b"\n", 0, index) + 1) + 1


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Keep the cyclic GC away from a freshly parsed document.

    orjson builds ~40k GC-tracked containers for 10k entries (JSON cannot hold cycles). With
    the GC running, every few hundred of them trigger a pass that rescans the young ones, and
    once it is re-enabled the first pass scans all 40k: together ~1.4x the parse itself. So the
    GC is off while parsing, and ``freeze()`` + ``unfreeze()`` then file everything tracked
    straight into the oldest generation (an O(1) list splice, no scan), where only the next
    full collection looks at it. It is re-enabled only if it was on (another thread may be
    inside this block too).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        if enabled:
            gc.enable()


# -- writing -------------------------------------------------------------------------------
_NON_ASCII = re.compile(rb"[\x80-\xff]+")


def _ascii_escape(match: re.Match[bytes]) -> bytes:
    # json.dumps' ensure_ascii: \uXXXX, astral characters as surrogate pairs.
    text = match.group().decode("utf-8")
    return json.dumps(text)[1:-1].encode("ascii")


def dumps_registry(registry: Registry) -> bytes:
    """Serialise like hafs (``json.dump(indent=2)``, ensure_ascii, key order kept).

    orjson does the work (the stdlib's indented encoder is pure Python and ~25x slower on a big
    registry); non-ASCII bytes, which can only occur inside strings, are escaped afterwards.
    Entries kept as read (see the module docstring) are encoded by the standard library, which
    writes ``NaN`` as hafs does, and spliced in. The only difference from hafs's bytes is the
    spelling of some floats (``1e-05`` is written ``0.00001``): the same numbers for every JSON
    reader.
    """
    models: dict[str, Any] = registry.models
    verbatim: list[bytes] = []
    marker = ""
    if registry.kept:
        marker = f"\x00hafs-studio-verbatim-{secrets.token_hex(8)}-"
        models = {}
        for model_id in _write_order(registry):
            entry = registry.models.get(model_id)
            kept = registry.kept.get(model_id)
            if kept is None:
                models[model_id] = entry
            elif entry is None or registry.is_unchanged(model_id):
                models[model_id] = f"{marker}{len(verbatim)}"
                verbatim.append(_indented_json(kept.raw))
            else:
                models[model_id] = _strict(entry, kept)
    document = {"version": registry.version, "updated_at": registry.updated_at,
                "models": models, **registry.extra}
    try:
        data = orjson.dumps(document, option=orjson.OPT_INDENT_2)
    except orjson.JSONEncodeError:  # e.g. an integer beyond 64 bits in a changed entry
        data = json.dumps(_finite(document), indent=2, allow_nan=False).encode()
    if verbatim:
        escaped = json.dumps(marker)[1:-1].encode()  # the marker as orjson escapes it
        pattern = re.compile(b'"' + re.escape(escaped) + rb'(\d+)"')
        data, count = pattern.subn(lambda m: verbatim[int(m.group(1))], data)
        if count != len(verbatim):  # never write a placeholder in place of an entry
            raise RuntimeError(f"registry encoder: {count} of {len(verbatim)} kept entries "
                               "were spliced in")
    return data if data.isascii() else _NON_ASCII.sub(_ascii_escape, data)


def _write_order(registry: Registry) -> list[str]:
    if not registry.damaged:
        return list(registry.models)
    ids = [i for i in registry.order if i in registry.models or i in registry.damaged]
    listed = set(ids)
    return ids + [i for i in registry.models if i not in listed]


def _indented_json(value: Any) -> bytes:
    """``value`` as hafs's ``json.dump(indent=2)`` writes it at the depth of an entry."""
    return json.dumps(value, indent=2).replace("\n", "\n    ").encode("ascii")


def _strict(entry: ModelEntry, kept: KeptEntry) -> dict[str, Any]:
    """A changed non-canonical entry: the 36 keys in hafs order, then the unknown keys it had.

    The id field keeps the value hafs wrote (hafs keys entries by the dict key and never
    rewrites the field); NaN becomes null when orjson encodes it.
    """
    out: dict[str, Any] = {key: entry[key] for key in FIELDS}  # type: ignore[literal-required]
    if isinstance(kept.raw, dict):
        if "model_id" in kept.raw:
            out["model_id"] = kept.raw["model_id"]
        out.update((k, v) for k, v in kept.raw.items() if k not in FIELD_SET)
    return _finite(out)


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities replaced by None (the strict form's null), as plain
    floats and containers that orjson encodes."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
