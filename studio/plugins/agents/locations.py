"""Where hafs keeps each agent file, resolved through the studio's ``hafs_path`` (hafs-formats
§0, §4).

hafs's ``[general].context_root`` setting moves only some writers: the autonomy and
observability daemons (with their logs) and ``MetricsLogger`` (``metrics/agents.jsonl``)
follow it; the context agent, embedding and training daemons, the swarm and the campaign
launcher hard-code ``~/.context``. :func:`studio.api.hafs_path` knows which is which, so every
path here goes through it. The relative names (:data:`EVENTS_FILE`, ``<daemon>/daemon_status.json``
…) are also what a remote host's files are read by, below that host's own context root.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from studio.api import hafs_path

if TYPE_CHECKING:
    from studio.api import ContextRoot

__all__ = [
    "CAMPAIGN_FILES",
    "DAEMONS",
    "EVENTS_FILE",
    "SCHEDULED_TASKS_FILE",
    "SWARM_FILE",
    "TRAINING_DIR",
    "AgentLocations",
    "DaemonSpec",
]

EVENTS_FILE = "metrics/agents.jsonl"
SWARM_FILE = "swarm_status.json"
TRAINING_DIR = "training"
SCHEDULED_TASKS_FILE = "training_daemon/scheduled_tasks.json"
# Below TRAINING_DIR (hafs-formats §2.B); campaign.pid is the launcher's pid file.
CAMPAIGN_FILES = ("campaign_status.json", "campaign_monitor_status.json",
                  "orchestrator_state.json", "campaign.pid", "full_campaign.log")


@dataclass(frozen=True)
class DaemonSpec:
    """A hafs daemon: its folder, its managed-service name and how often it writes status."""

    folder: str
    title: str
    # `hafs services …` name: launchd label com.hafs.<service>, systemd unit hafs-<service>
    service: str | None
    default_interval_s: float
    log_name: str | None  # CTX/logs/<log_name>


DAEMONS: dict[str, DaemonSpec] = {
    spec.folder: spec for spec in (
        DaemonSpec("autonomy_daemon", "Autonomy daemon", "autonomy-daemon", 30.0,
                   "autonomy_daemon.log"),
        DaemonSpec("observability_daemon", "Observability daemon", "observability-daemon",
                   60.0, "observability_daemon.log"),
        DaemonSpec("context_agent_daemon", "Context agent daemon", "context-agent-daemon",
                   180.0, "context_agent_daemon.log"),
        DaemonSpec("embedding_service", "Embedding daemon", "embedding-daemon", 60.0,
                   "embedding_daemon.log"),
        DaemonSpec("training_daemon", "Training daemon", None, 60.0, "training_daemon.log"),
    )
}


def daemon_log_name(daemon: str) -> str | None:
    """``logs/<file>`` of a known daemon, relative to the context root; None if it has none."""
    spec = DAEMONS.get(daemon)
    return f"logs/{spec.log_name}" if spec is not None and spec.log_name else None


@dataclass(frozen=True)
class AgentLocations:
    """Every place the Agents workspace looks on this machine, for one studio's context."""

    context: ContextRoot

    def path(self, relative: str) -> Path:
        """Where hafs keeps ``relative`` (``"autonomy_daemon"``, ``"metrics/agents.jsonl"``)."""
        return hafs_path(self.context, relative)

    @property
    def roots(self) -> tuple[Path, ...]:
        """The distinct roots scanned for ``*/daemon_status.json``."""
        return self.context.roots

    def daemon_dir(self, folder: str) -> Path:
        return self.path(folder)

    @property
    def events_file(self) -> Path:
        return self.path(EVENTS_FILE)

    @property
    def swarm_file(self) -> Path:
        return self.path(SWARM_FILE)

    @property
    def scheduled_tasks_file(self) -> Path:
        return self.path(SCHEDULED_TASKS_FILE)

    @property
    def training_dir(self) -> Path:
        return self.path(TRAINING_DIR)

    def log_file(self, daemon: str) -> Path | None:
        relative = daemon_log_name(daemon)
        return self.path(relative) if relative else None

    def describe(self) -> list[tuple[str, str, bool | None]]:
        """(what, where, exists) for the empty state: every place the workspace reads."""
        return [(what, path, os.path.exists(path) if check else None)
                for what, path, check in self._places]

    @cached_property
    def _places(self) -> tuple[tuple[str, str, bool], ...]:
        rows = [(f"{spec.title} status", self.daemon_dir(spec.folder) / "daemon_status.json")
                for spec in DAEMONS.values()]
        rows += [
            ("Agent events (any agent can append)", self.events_file),
            ("Training daemon task queue", self.scheduled_tasks_file),
            ("Swarm graph", self.swarm_file),
            ("Data-generation campaign", self.training_dir / "campaign_status.json"),
        ]
        places = [(what, str(path), True) for what, path in rows]
        places += [("Any other daemon", str(root / "*" / "daemon_status.json"), False)
                   for root in self.roots]
        return tuple(places)
