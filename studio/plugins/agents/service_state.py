"""The init system's view of hafs's managed services (systemd user units, launchd labels).

hafs installs its services (``hafs services install|start <name>``) as systemd user units
``~/.config/systemd/user/hafs-<name>.service`` on Linux and launchd agents
``~/Library/LaunchAgents/com.hafs.<name>.plist`` on macOS (``src/services/adapters``). A
service is asked about only when its unit or plist file exists and the tool is on PATH; the
tool runs as an argv list (no shell) with a timeout, and a failure (no user bus in a container,
a missing tool) becomes the state's ``error`` instead of an exception.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from studio.plugins.agents.model import ServiceState

__all__ = [
    "launchd_plist",
    "parse_launchctl_list",
    "parse_systemctl_show",
    "query_service",
    "systemd_unit_file",
]

_TIMEOUT_S = 5.0
_SYSTEMD_STATES = {"active": "running", "reloading": "running", "inactive": "stopped",
                   "failed": "failed", "activating": "starting", "deactivating": "stopping"}


def systemd_unit_file(home: Path, service: str) -> Path:
    return home / ".config" / "systemd" / "user" / f"hafs-{service}.service"


def launchd_plist(home: Path, service: str) -> Path:
    return home / "Library" / "LaunchAgents" / f"com.hafs.{service}.plist"


def parse_systemctl_show(unit: str, text: str) -> ServiceState:
    """``systemctl --user show UNIT --property=ActiveState,MainPID,ExecMainStatus`` output."""
    values = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    state = _SYSTEMD_STATES.get(values.get("ActiveState", ""), "unknown")
    pid = _int(values.get("MainPID"))
    return ServiceState("systemd", unit, state, pid or None, _int(values.get("ExecMainStatus")))


def parse_launchctl_list(label: str, text: str) -> ServiceState:
    """``launchctl list LABEL`` output (a plist-like dict with ``"PID" = 123;``)."""
    pid = re.search(r'"PID"\s*=\s*(\d+)', text)
    status = re.search(r'"LastExitStatus"\s*=\s*(-?\d+)', text)
    exit_code = int(status.group(1)) if status else None
    if pid:
        state = "running"
    elif exit_code not in (None, 0):
        state = "failed"
    else:
        state = "stopped"
    return ServiceState("launchd", label, state, int(pid.group(1)) if pid else None, exit_code)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


Runner = Callable[[list[str]], tuple[int, str, str]]


def _run(argv: list[str]) -> tuple[int, str, str]:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=_TIMEOUT_S,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 127, "", str(exc)
    return done.returncode, done.stdout, done.stderr


def query_service(service: str, home: Path, *, platform: str = sys.platform,
                  which: Callable[[str], str | None] = shutil.which, run: Runner = _run
                  ) -> ServiceState | None:
    """The service's state, or None when it is not installed as a unit/agent here."""
    if platform == "darwin":
        label = f"com.hafs.{service}"
        if not launchd_plist(home, service).exists():
            return None
        if which("launchctl") is None:
            return ServiceState("launchd", label, "unknown", error="launchctl is not on PATH")
        code, out, err = run(["launchctl", "list", label])
        if code != 0:
            # launchctl list LABEL fails when the agent is installed but not loaded.
            return ServiceState("launchd", label, "stopped", error=(err or out).strip() or None)
        return parse_launchctl_list(label, out)
    unit = f"hafs-{service}"
    if not systemd_unit_file(home, service).exists():
        return None
    if which("systemctl") is None:
        return ServiceState("systemd", unit, "unknown", error="systemctl is not on PATH")
    code, out, err = run(["systemctl", "--user", "show", unit,
                          "--property=ActiveState,MainPID,ExecMainStatus"])
    if code != 0:
        return ServiceState("systemd", unit, "unknown",
                            error=(err or out).strip() or f"systemctl exited with {code}")
    return parse_systemctl_show(unit, out)


def query_services(services: Iterable[str], home: Path) -> dict[str, ServiceState]:
    states = {}
    for service in services:
        state = query_service(service, home)
        if state is not None:
            states[service] = state
    return states
