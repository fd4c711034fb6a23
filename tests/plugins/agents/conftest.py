"""Shared fixtures of the Agents plugin tests: real processes, two hafs roots, monitors."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# agent_processes.py sits next to the tests; make it importable whatever pytest's import mode.
sys.path.insert(0, str(Path(__file__).parent))

from agent_processes import Processes

from studio.api import ContextRoot
from studio.plugins.agents.monitor import AgentsMonitor, MonitorConfig


@dataclass
class Roots:
    """hafs's configured context root and ``$HOME`` (whose ``.context`` other writers use)."""

    configured: Path
    home: Path

    @property
    def home_context(self) -> Path:
        return self.home / ".context"

    @property
    def events(self) -> Path:
        return self.configured / "metrics" / "agents.jsonl"

    @property
    def environ(self) -> dict[str, str]:
        return {"HOME": str(self.home)}

    @property
    def context(self) -> ContextRoot:
        """What the studio resolves from hafs's config below (data in two folders)."""
        return ContextRoot(self.configured, "test", hard_coded=self.home_context)


@pytest.fixture
def roots(tmp_path: Path) -> Roots:
    configured, home = tmp_path / "configured-root", tmp_path / "home"
    configured.mkdir()
    (home / ".context").mkdir(parents=True)
    # hafs's own setting moves the root: the daemons that follow it write to `configured`, the
    # others to ~/.context (the CLI tests resolve this themselves, through HOME).
    config = home / ".config" / "hafs" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[general]\ncontext_root = "{configured}"\n', encoding="utf-8")
    return Roots(configured, home)


@pytest.fixture
def processes() -> Iterator[Processes]:
    started = Processes()
    yield started
    started.close()


@pytest.fixture
def make_monitor(roots: Roots) -> Iterator:
    made: list[AgentsMonitor] = []

    def factory(bus=None, context: ContextRoot | None = None, **config) -> AgentsMonitor:
        config.setdefault("campaign_search", False)  # other processes of this machine
        monitor = AgentsMonitor(context or roots.context, bus=bus, home=roots.home,
                                config=MonitorConfig(**config))
        made.append(monitor)
        return monitor

    yield factory
    for monitor in made:
        monitor.stop()
