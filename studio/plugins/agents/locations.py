"""Where hafs keeps each agent file: at the root its writer really uses (hafs-formats §0, §4).

hafs's ``[general].context_root`` setting moves only some writers: the autonomy and
observability daemons and ``MetricsLogger`` (``metrics/agents.jsonl``) follow it; the context
agent, embedding and training daemons, the swarm and the campaign launcher hard-code
``~/.context``. :func:`hafs_file_root` is the one place that knows which is which.

TODO(lead): issue 7 adds the same lookup to ``studio.core.context``; switch
:func:`hafs_file_root` to it when that merges.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

__all__ = [
    "DAEMONS",
    "AgentLocations",
    "DaemonSpec",
    "hafs_file_root",
    "home_context_root",
]

# Files whose hafs writer follows [general].context_root; everything else is under ~/.context.
_FOLLOWS_CONFIGURED_ROOT = frozenset({
    "autonomy_daemon", "observability_daemon", "metrics/agents.jsonl",
})


def home_context_root(environ: dict[str, str] | None = None) -> Path:
    """``~/.context``, the root hafs hard-codes for most of its writers."""
    env = os.environ if environ is None else environ
    return Path(env.get("HOME") or str(Path.home())) / ".context"


def hafs_file_root(item: str, configured_root: Path, home_root: Path) -> Path:
    """The root below which hafs writes ``item`` (a daemon folder or a relative file path)."""
    return configured_root if item in _FOLLOWS_CONFIGURED_ROOT else home_root


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
                   60.0, None),
        DaemonSpec("context_agent_daemon", "Context agent daemon", "context-agent-daemon",
                   180.0, "context_agent_daemon.log"),
        DaemonSpec("embedding_service", "Embedding daemon", "embedding-daemon", 60.0,
                   "embedding_daemon.log"),
        DaemonSpec("training_daemon", "Training daemon", None, 60.0, "training_daemon.log"),
    )
}


@dataclass(frozen=True)
class AgentLocations:
    """Every place the Agents workspace looks, resolved for one studio."""

    configured_root: Path
    home_root: Path

    @classmethod
    def for_roots(cls, configured_root: Path, environ: dict[str, str] | None = None
                  ) -> AgentLocations:
        return cls(Path(configured_root), home_context_root(environ))

    def root_for(self, item: str) -> Path:
        return hafs_file_root(item, self.configured_root, self.home_root)

    @property
    def roots(self) -> tuple[Path, ...]:
        """The distinct roots scanned for ``*/daemon_status.json``."""
        if self.configured_root == self.home_root:
            return (self.configured_root,)
        return (self.configured_root, self.home_root)

    def daemon_dir(self, folder: str) -> Path:
        return self.root_for(folder) / folder

    @property
    def events_file(self) -> Path:
        return self.root_for("metrics/agents.jsonl") / "metrics" / "agents.jsonl"

    @property
    def swarm_file(self) -> Path:
        """hafs's swarm writes ~/.context; a context opened elsewhere (a sample workspace, a
        copied root) that holds its own swarm_status.json is read when ~/.context has none."""
        written = self.root_for("swarm_status.json") / "swarm_status.json"
        local = self.configured_root / "swarm_status.json"
        return local if not written.exists() and local.exists() else written

    @property
    def scheduled_tasks_file(self) -> Path:
        return self.daemon_dir("training_daemon") / "scheduled_tasks.json"

    @property
    def training_dir(self) -> Path:
        return self.root_for("training") / "training"

    def log_file(self, daemon: str) -> Path | None:
        spec = DAEMONS.get(daemon)
        if spec is None or spec.log_name is None:
            return None
        # Each daemon logs next to its own status root (autonomy: CONTEXT_ROOT/logs).
        return self.root_for(daemon) / "logs" / spec.log_name

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
