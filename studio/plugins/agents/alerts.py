"""Alerts: an agent went stale or failed, or its failure rate jumped.

:class:`AlertTracker` compares each snapshot with the previous one and raises an alert once
per transition (a stale agent is not re-announced every second; it is again after it
recovered and went stale anew). The first snapshot only records the starting state: opening
the studio on a machine with an old stopped daemon is not news.

A failure-rate jump: among the last ``window`` finished tasks at least ``min_outcomes``, a
failure rate of at least ``threshold``, and at least ``jump`` above the agent's rate before
that window. It re-arms once the recent rate falls below half the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

from studio.api import Event
from studio.plugins.agents.aggregate import AgentSummary
from studio.plugins.agents.model import AgentRow, AgentStatus

__all__ = ["AgentAlert", "AlertTracker"]


@dataclass(frozen=True, slots=True)
class AgentAlert(Event):
    """Published on ``agents.alert``; the shell shows it in the status bar and Messages."""

    topic = "agents.alert"
    agent: str = ""
    kind: str = ""  # "stale" | "failed" | "failure-rate"
    message: str = ""
    level: str = "warning"  # "warning" | "error"


class AlertTracker:
    def __init__(self, *, threshold: float = 0.5, jump: float = 0.25, min_outcomes: int = 5
                 ) -> None:
        self.threshold = threshold
        self.jump = jump
        self.min_outcomes = min_outcomes
        self._status: dict[str, AgentStatus] | None = None
        self._rate_alerted: set[str] = set()

    def update(self, rows: tuple[AgentRow, ...], summaries: dict[str, AgentSummary]
               ) -> list[AgentAlert]:
        alerts = []
        previous = self._status
        self._status = {row.name: row.status for row in rows}
        if previous is not None:
            for row in rows:
                before = previous.get(row.name)
                if before is None or before == row.status:
                    continue
                if row.status is AgentStatus.STALE:
                    alerts.append(AgentAlert(agent=row.name, kind="stale", message=(
                        f"{row.name} went stale: {row.reason}")))
                elif row.status is AgentStatus.FAILED and before.alive:
                    alerts.append(AgentAlert(agent=row.name, kind="failed", level="error",
                                             message=f"{row.name} failed: {row.reason}"))
        for name, summary in summaries.items():
            alert = self._rate_alert(name, summary)
            if alert is not None:
                alerts.append(alert)
        return alerts

    def _rate_alert(self, name: str, summary: AgentSummary) -> AgentAlert | None:
        rate = summary.recent_failure_rate
        if rate is None or summary.recent_outcomes < self.min_outcomes:
            return None
        if rate < self.threshold / 2:
            self._rate_alerted.discard(name)
            return None
        if name in self._rate_alerted or rate < self.threshold:
            return None
        finished = summary.tasks_done + summary.failures
        earlier = finished - summary.recent_outcomes
        recent_failures = round(rate * summary.recent_outcomes)
        baseline = (summary.failures - recent_failures) / earlier if earlier > 0 else 0.0
        if rate - baseline < self.jump:
            return None
        self._rate_alerted.add(name)
        return AgentAlert(agent=name, kind="failure-rate", level="error", message=(
            f"{name}: {rate:.0%} of its last {summary.recent_outcomes} tasks failed "
            f"(before: {baseline:.0%})" + (f"; last error: {summary.last_error}"
                                            if summary.last_error else "")))
