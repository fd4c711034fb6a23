"""Where hafs keeps the training files this plugin reads (hafs-formats §0, §2).

All lookups go through :func:`hafs_training_paths`, the one place to switch when the core
context helper (issue 7: each hafs file resolved at the root its hafs writer uses) lands.
Until then everything is resolved below the studio's context root (``studio.context``),
which is ``~/.context`` unless the user moved it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CAMPAIGN_LOG_GLOBS", "HafsTrainingPaths", "hafs_training_paths",
           "hafs_windows_mount"]

# `hafs training logs` candidates (hafs-formats §2.D), besides campaign_status.json's log_path.
CAMPAIGN_LOG_GLOBS = ("campaign_*.log", "campaign_hybrid_*.log")


@dataclass(frozen=True)
class HafsTrainingPaths:
    context: Path  # CTX
    training: Path  # TRN = CTX/training
    datasets: Path  # TRN/datasets: one folder per finished campaign
    logs: Path  # CTX/logs: campaign_*.log
    runs: Path  # TRN/runs: the studio's own runs (the demo trainer writes here)

    @property
    def campaign_status(self) -> Path:
        return self.training / "campaign_status.json"

    @property
    def campaign_monitor_status(self) -> Path:
        return self.training / "campaign_monitor_status.json"

    @property
    def campaign_pid(self) -> Path:
        return self.training / "campaign.pid"

    @property
    def campaign_logs(self) -> list[Path]:
        """Fixed campaign log locations (the glob ones are found by discovery)."""
        return [self.training / "full_campaign.log", self.training / "pilot_campaign.log"]


def hafs_training_paths(context_root: str | os.PathLike[str]) -> HafsTrainingPaths:
    """The hafs training locations for a context root (switch point for issue 7's helper)."""
    context = Path(context_root)
    training = context / "training"
    return HafsTrainingPaths(context=context, training=training,
                             datasets=training / "datasets", logs=context / "logs",
                             runs=training / "runs")


def hafs_windows_mount(environ: dict[str, str] | None = None) -> Path:
    """hafs's default local mount of the Windows training root (``~/Mounts/mm-d/hafs_training``).

    The shell scripts honour ``HAFS_WINDOWS_TRAINING_MOUNT``; the health check hard-codes the
    default (hafs-formats §0), so the variable is read first and the default used otherwise.
    """
    env = os.environ if environ is None else environ
    explicit = env.get("HAFS_WINDOWS_TRAINING_MOUNT")
    if explicit:
        return Path(explicit).expanduser()
    home = Path(env.get("HOME", str(Path.home())))
    return home / "Mounts" / "mm-d" / "hafs_training"
