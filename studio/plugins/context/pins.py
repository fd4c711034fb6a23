"""The "Selected Context" list: files and folders pinned with on/off, saved in the studio config.

hafs's studio keeps this list in memory (§7); here it lives in
``<studio config>/context/selected_context.json`` (never in hafs's files), written atomically.
A damaged file is kept as ``.bak`` and the list starts empty with the reason reported.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from studio.api import atomic_write_text, backup_file

__all__ = ["Pin", "PinStore", "PinStoreError"]

FORMAT_VERSION = 1


class PinStoreError(ValueError):
    """A pin request that cannot be honoured; the message names the path."""


@dataclass(frozen=True)
class Pin:
    path: str
    enabled: bool = True
    folder: bool = False

    @property
    def exists(self) -> bool:
        return os.path.exists(self.path)


class PinStore:
    """Load, change and save the pinned list; every change is written at once."""

    def __init__(self, file: str | os.PathLike[str]) -> None:
        self.file = Path(file)
        self._lock = threading.Lock()
        self.problem = ""  # why the saved list could not be read (shown in the view)
        self._pins: list[Pin] = self._load()

    def _load(self) -> list[Pin]:
        if not self.file.exists():
            return []
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
            items = data["items"] if isinstance(data, dict) else None
            if not isinstance(items, list):
                raise ValueError('no "items" list')
            pins = []
            for item in items:
                if not isinstance(item, dict) or not isinstance(item.get("path"), str):
                    raise ValueError(f"bad item {item!r}")
                pins.append(Pin(item["path"], bool(item.get("enabled", True)),
                                bool(item.get("folder", False))))
            return pins
        except (OSError, ValueError, KeyError) as exc:
            copy = backup_file(self.file)
            self.problem = (f"{self.file}: could not be read ({exc}); "
                            f"kept as {copy.name if copy else 'nothing'}, starting empty")
            return []

    def pins(self) -> list[Pin]:
        with self._lock:
            return list(self._pins)

    def enabled_paths(self) -> list[str]:
        return [pin.path for pin in self.pins() if pin.enabled]

    def add(self, path: str | os.PathLike[str]) -> Pin:
        """Pin ``path`` (absolute, must exist); pinning it twice keeps the first pin."""
        resolved = Path(path).expanduser()
        if not resolved.is_absolute():
            resolved = resolved.absolute()
        if not resolved.exists():
            raise PinStoreError(f"{resolved}: no such file or folder")
        pin = Pin(os.path.normpath(resolved), True, resolved.is_dir())
        with self._lock:
            existing = next((p for p in self._pins if p.path == pin.path), None)
            if existing is not None:
                return existing
            self._pins.append(pin)
            self._save()
        return pin

    def set_enabled(self, path: str, enabled: bool) -> None:
        with self._lock:
            self._pins = [Pin(p.path, enabled, p.folder) if p.path == path else p
                          for p in self._pins]
            self._save()

    def remove(self, path: str) -> bool:
        with self._lock:
            before = len(self._pins)
            self._pins = [p for p in self._pins if p.path != path]
            changed = len(self._pins) != before
            if changed:
                self._save()
        return changed

    def export_text(self, only_enabled: bool = True) -> str:
        """One path per line (what "Export…" writes and ``context pins export`` prints)."""
        pins = self.pins()
        return "".join(f"{p.path}\n" for p in pins if p.enabled or not only_enabled)

    def export(self, target: str | os.PathLike[str], only_enabled: bool = True) -> Path:
        atomic_write_text(target, self.export_text(only_enabled))
        return Path(target)

    def _save(self) -> None:
        document = {"version": FORMAT_VERSION, "items": [asdict(p) for p in self._pins]}
        atomic_write_text(self.file, json.dumps(document, indent=2) + "\n")
        self.problem = ""
