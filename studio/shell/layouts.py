"""Saved dock layouts: one per workspace, plus the session of open windows.

Files live in the studio's config folder (``layouts/``). Each file carries
:data:`LAYOUT_VERSION`; when the shell changes the set or meaning of docks the version goes up
and old layouts are discarded (the defaults apply) instead of being restored half-broken. A
damaged file is kept as ``.bak`` and reported. No Qt here: states are the opaque bytes
``QMainWindow.saveState`` produced.
"""

from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.core import small_json
from studio.core.atomic import atomic_write_bytes, backup_file

__all__ = ["LAYOUT_VERSION", "LayoutStore", "WindowSession"]

log = logging.getLogger(__name__)

LAYOUT_VERSION = 1


@dataclass
class WindowSession:
    """One open window: its workspace, geometry and (for secondary windows) its dock state."""

    workspace: str
    geometry: bytes = b""
    state: bytes = b""


def _encode(blob: bytes) -> str:
    return base64.b64encode(blob).decode("ascii")


def _decode(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ValueError("expected base64 text")
    return base64.b64decode(text, validate=True)


class LayoutStore:
    """Reads and writes ``workspaces.json`` and ``session.json`` under ``directory``."""

    def __init__(self, directory: Path, *, read_only: bool = False) -> None:
        self.directory = directory
        self.read_only = read_only  # --screenshot renders must not change the user's layouts
        self.problems: list[str] = []
        self._states: dict[str, bytes] = {}
        self._load_states()

    @property
    def workspaces_file(self) -> Path:
        return self.directory / "workspaces.json"

    @property
    def session_file(self) -> Path:
        return self.directory / "session.json"

    # -- workspace layouts -------------------------------------------------------------
    def workspace_state(self, workspace: str) -> bytes | None:
        return self._states.get(workspace)

    def save_workspace_state(self, workspace: str, state: bytes) -> None:
        self._states[workspace] = bytes(state)
        self._write(
            self.workspaces_file,
            {"workspaces": {ws: _encode(blob) for ws, blob in sorted(self._states.items())}},
        )

    def reset_workspace(self, workspace: str) -> None:
        if self._states.pop(workspace, None) is not None:
            self.save_workspace_state_all()

    def save_workspace_state_all(self) -> None:
        self._write(
            self.workspaces_file,
            {"workspaces": {ws: _encode(blob) for ws, blob in sorted(self._states.items())}},
        )

    def report_unusable(self, workspace: str) -> None:
        """The shell could not restore this workspace's state: forget it, say so."""
        self.problems.append(
            f"{self.workspaces_file}: the saved layout of workspace '{workspace}' could not be "
            "restored; the default layout is used"
        )
        self._states.pop(workspace, None)

    # -- window session ----------------------------------------------------------------
    def session(self) -> list[WindowSession]:
        data = self._read(self.session_file)
        if data is None:
            return []
        sessions = []
        try:
            for item in data.get("windows", []):
                sessions.append(
                    WindowSession(
                        workspace=str(item["workspace"]),
                        geometry=_decode(item.get("geometry", "")),
                        state=_decode(item.get("state", "")),
                    )
                )
        except (KeyError, TypeError, ValueError, AttributeError, binascii.Error) as exc:
            self._damaged(self.session_file, exc)
            return []
        return sessions

    def save_session(self, windows: list[WindowSession]) -> None:
        self._write(
            self.session_file,
            {
                "windows": [
                    {
                        "workspace": w.workspace,
                        "geometry": _encode(w.geometry),
                        "state": _encode(w.state),
                    }
                    for w in windows
                ]
            },
        )

    # -- file handling -----------------------------------------------------------------
    def _load_states(self) -> None:
        data = self._read(self.workspaces_file)
        if data is None:
            return
        try:
            self._states = {
                str(ws): _decode(blob) for ws, blob in dict(data.get("workspaces", {})).items()
            }
        except (TypeError, ValueError, AttributeError, binascii.Error) as exc:
            self._damaged(self.workspaces_file, exc)

    def _read(self, path: Path) -> dict[str, Any] | None:
        try:
            data = small_json.loads(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, small_json.JSONDecodeError) as exc:
            self._damaged(path, exc)
            return None
        if not isinstance(data, dict):
            self._damaged(path, ValueError("expected a JSON object"))
            return None
        if data.get("version") != LAYOUT_VERSION:
            # A layout from another shell version: start fresh rather than restore it wrongly.
            log.info("discarding %s (layout version %r)", path, data.get("version"))
            return None
        return data

    def _damaged(self, path: Path, exc: Exception) -> None:
        backup = backup_file(path)
        path.unlink(missing_ok=True)
        self.problems.append(f"{path} is damaged ({exc}); defaults used, copy kept at {backup}")
        log.warning("%s", self.problems[-1])

    def _write(self, path: Path, payload: dict[str, Any]) -> None:
        if self.read_only:
            return
        payload = {"version": LAYOUT_VERSION, **payload}
        atomic_write_bytes(path, small_json.dumps(payload, indent=True))
