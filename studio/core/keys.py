"""Key sequences as text, validated without Qt.

Accepts what users type in ``keybindings.conf`` (hafs's viz_shortcuts syntax: modifier aliases
``control``, ``option``, ``cmd``/``command``/``super``/``meta``; ``none``/``unbound`` clears a
binding) and normalises it to Qt's portable form (``Ctrl+Shift+P``) that QKeySequence parses.
"""

from __future__ import annotations

import string

__all__ = ["UNBOUND", "normalize_shortcut"]

UNBOUND = ""

_MODIFIERS = {
    "ctrl": "Ctrl",
    "control": "Ctrl",
    "shift": "Shift",
    "alt": "Alt",
    "option": "Alt",
    "meta": "Meta",
    "super": "Meta",
    "cmd": "Meta",
    "command": "Meta",
    "win": "Meta",
}
_MODIFIER_ORDER = ("Ctrl", "Alt", "Shift", "Meta")

_NAMED_KEYS = {
    name.lower(): name
    for name in (
        "Esc",
        "Tab",
        "Backtab",
        "Backspace",
        "Return",
        "Enter",
        "Ins",
        "Del",
        "Pause",
        "Print",
        "Home",
        "End",
        "Left",
        "Up",
        "Right",
        "Down",
        "PgUp",
        "PgDown",
        "Space",
        "Menu",
    )
}
_NAMED_KEYS.update(
    {
        "escape": "Esc",
        "delete": "Del",
        "insert": "Ins",
        "pageup": "PgUp",
        "pagedown": "PgDown",
        "page_up": "PgUp",
        "page_down": "PgDown",
        "enter": "Enter",
        "slash": "/",
        "backslash": "\\",
        "comma": ",",
        "period": ".",
        "minus": "-",
        "equal": "=",
        "plus": "+",
        "semicolon": ";",
        "apostrophe": "'",
        "grave": "`",
        "leftbracket": "[",
        "rightbracket": "]",
    }
)
_PUNCTUATION = set("/\\,.-=;'`[]+*!?#&()<>{}|~:\"")


def normalize_shortcut(text: str) -> str:
    """Return ``text`` as a normalised shortcut, ``UNBOUND`` for none; ValueError if invalid."""
    cleaned = text.strip()
    if cleaned.lower() in ("", "none", "unbound"):
        return UNBOUND
    # "Ctrl++" means Ctrl and the plus key: split on '+' but keep a trailing literal '+'.
    trailing_plus = cleaned.endswith("++") or cleaned == "+"
    parts = (
        [p.strip() for p in cleaned.rstrip("+").split("+")]
        if trailing_plus
        else [p.strip() for p in cleaned.split("+")]
    )
    if trailing_plus:
        parts = [p for p in parts if p] + ["+"]
    if any(not p for p in parts):
        raise ValueError(f"invalid shortcut {text!r}: empty key between '+' signs")
    *modifier_words, key_word = parts
    modifiers = set()
    for word in modifier_words:
        modifier = _MODIFIERS.get(word.lower())
        if modifier is None:
            raise ValueError(
                f"invalid shortcut {text!r}: {word!r} is not a modifier "
                "(use Ctrl, Shift, Alt, Meta)"
            )
        modifiers.add(modifier)
    key = _normalize_key(key_word, text)
    ordered = [m for m in _MODIFIER_ORDER if m in modifiers]
    return "+".join([*ordered, key])


def _normalize_key(word: str, text: str) -> str:
    lowered = word.lower()
    if lowered in _MODIFIERS:
        raise ValueError(f"invalid shortcut {text!r}: it has modifiers but no key")
    if len(word) == 1 and (word in string.ascii_letters or word in string.digits):
        return word.upper()
    if len(word) == 1 and word in _PUNCTUATION:
        return word
    if lowered in _NAMED_KEYS:
        return _NAMED_KEYS[lowered]
    if lowered.startswith("f") and lowered[1:].isdigit() and 1 <= int(lowered[1:]) <= 35:
        return f"F{int(lowered[1:])}"
    raise ValueError(f"invalid shortcut {text!r}: unknown key {word!r}")
