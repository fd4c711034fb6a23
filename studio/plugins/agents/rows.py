"""Build table rows: daemon files, campaign files and event summaries + process checks.

Each builder takes what the readers found (:class:`DaemonFacts`, :class:`CampaignFacts`,
:class:`AgentSummary`), asks the operating system about the pid (:func:`check_process`) and
lets :func:`judge` decide the status, so the three kinds of agent follow the same rules.
"""

from __future__ import annotations

from collections.abc import Callable

from studio.plugins.agents.aggregate import AgentSummary
from studio.plugins.agents.campaign import CAMPAIGN_QUIET_S, CampaignFacts
from studio.plugins.agents.daemons import DaemonFacts
from studio.plugins.agents.liveness import ProcessCheck, Verdict, check_process, judge
from studio.plugins.agents.model import AgentRow, AgentStatus, ServiceState

__all__ = ["campaign_row", "daemon_row", "event_row"]


def _alive_fields(process: ProcessCheck | None) -> dict:
    if process is None or not process.alive:
        return {"create_time": None, "started": None}
    return {"create_time": process.create_time, "started": process.create_time}


Check = Callable[[int, float | None], ProcessCheck]


def daemon_row(facts: DaemonFacts, summary: AgentSummary | None, *, now: float, host: str,
               log_file: str, sources: tuple[str, ...], service: ServiceState | None,
               check: Check = check_process, remote_host: str = "") -> AgentRow:
    process = check(facts.pid, facts.pid_written_at) if facts.pid else None
    last_update = max((t for t in (facts.last_update, facts.pid_written_at if process and
                                   process.alive else None) if t is not None), default=None)
    verdict = judge(now=now, process=process, last_update=last_update,
                    interval_s=facts.interval_s, busy=facts.busy,
                    stopped_cleanly=facts.stopped_cleanly)
    if verdict.status is AgentStatus.STOPPED and facts.stopped_at:
        verdict = Verdict(verdict.status, f"stopped cleanly ({_clock(facts.stopped_at)})")
    details = list(facts.details)
    if service is not None:
        details.append(("Service", f"{service.unit} ({service.manager}): {service.state}"
                        + (f" — {service.error}" if service.error else "")))
    details += [("Problem", p) for p in facts.problems]

    def pick(own: object, from_events: object) -> object:
        return own if own is not None else from_events

    return AgentRow(
        name=facts.name, kind=facts.kind, status=verdict.status, reason=verdict.reason,
        pid=facts.pid, host=host, local=not remote_host, remote_host=remote_host,
        **_alive_fields(process),
        queue_depth=pick(facts.queue_depth, summary and summary.queue_depth),
        tasks_done=pick(facts.tasks_done, summary and summary.tasks_done),
        failures=pick(facts.failures, summary and summary.failures),
        success_rate=_rate(facts.tasks_done, facts.failures) if facts.tasks_done is not None
        and facts.failures is not None else (summary.success_rate if summary else None),
        mean_latency_ms=summary.mean_latency_ms if summary else None,
        throughput_per_min=summary.throughput_per_min if summary else None,
        last_error=facts.last_error or (summary.last_error if summary else ""),
        last_update=last_update, interval_s=facts.interval_s, log_file=log_file,
        sources=sources, service=service, details=tuple(details),
        metrics=summary.metrics if summary else ())


def event_row(summary: AgentSummary, *, now: float, host: str, events_path: str,
              stale_after_s: float, check: Check = check_process, here: bool | None = None,
              name: str | None = None, remote_host: str = "") -> AgentRow:
    """An agent known only from agents.jsonl (studio.agent_reporter or hafs MetricsLogger).

    ``here``: whether its reported host is the machine whose pids ``check`` sees (default: it
    names no host or ``host``).
    """
    local = (not summary.host or summary.host == host) if here is None else here
    process = None
    if summary.pid is not None and local:
        process = check(summary.pid, summary.started or summary.last_ts)
    stop = summary.stop
    exit_code = stop.get("exit_code", 0) if stop else 0
    stopped_cleanly = stop is not None and exit_code in (0, None) and not stop.get("error")
    failed_reason = "" if stop is None or stopped_cleanly else (
        f"stopped with exit code {exit_code}" + (f": {stop['error']}" if stop.get("error")
                                                 else ""))
    last_update = summary.heartbeat_ts or summary.last_ts
    if stop is not None and process is not None and process.alive:
        # It said it stopped; its process is still on its way out.
        status = AgentStatus.FAILED if failed_reason else AgentStatus.STOPPED
        verdict = Verdict(status, (failed_reason or "stopped cleanly")
                          + f" (pid {summary.pid} is still exiting)")
    else:
        verdict = judge(now=now, process=process, last_update=last_update,
                        interval_s=summary.interval_s or stale_after_s / 2,
                        busy=_busy(summary, now), stopped_cleanly=stopped_cleanly,
                        failed_reason=failed_reason, remote=not local)
    details = [("Events", f"{summary.tasks_started} started, {summary.tasks_done} succeeded, "
                          f"{summary.failures} failed, {summary.items} items")]
    if summary.running_tasks:
        details.append(("In progress", f"{summary.running_tasks} task(s)"))
    if summary.heartbeat_ts is None:
        details.append(("Heartbeat", "none: it does not send heartbeats (docs/agents.md)"))
    fields = _alive_fields(process)
    if fields["started"] is None and verdict.status.alive:
        fields["started"] = summary.started
    return AgentRow(
        name=name or summary.agent, kind=summary.kind, status=verdict.status,
        reason=verdict.reason, pid=summary.pid,
        host=summary.host or (host if summary.pid else ""), local=local and not remote_host,
        remote_host=remote_host if local else "",
        **fields, queue_depth=summary.queue_depth, tasks_done=summary.tasks_done,
        failures=summary.failures, success_rate=summary.success_rate,
        mean_latency_ms=summary.mean_latency_ms,
        throughput_per_min=summary.throughput_per_min, last_error=summary.last_error,
        last_update=last_update, interval_s=summary.interval_s, log_file=summary.log_file,
        sources=(events_path,), details=tuple(details), metrics=summary.metrics)


def campaign_row(facts: CampaignFacts, *, now: float, host: str,
                 check: Check = check_process, name: str = "campaign",
                 remote_host: str = "") -> AgentRow:
    process = facts.found_process or (check(facts.pid, facts.pid_written_at) if facts.pid
                                      else None)
    failed = facts.failed_reason
    if not failed and process is not None and not process.alive and not facts.finished:
        at = f" at {facts.progress}/{facts.total}" if facts.progress is not None else ""
        failed = f"{process.reason}: the campaign ended{at} before its target (stopped or crashed)"
    verdict = judge(now=now, process=process, last_update=facts.last_update,
                    interval_s=CAMPAIGN_QUIET_S, busy=True, stopped_cleanly=facts.finished,
                    failed_reason=failed if process is None or not process.alive else "")
    queue = (facts.total - facts.progress) if facts.progress is not None and facts.total else None
    return AgentRow(
        name=name, kind="campaign", status=verdict.status, reason=verdict.reason,
        pid=facts.pid, host=host, local=not remote_host, remote_host=remote_host,
        **_alive_fields(process),
        queue_depth=max(0, queue) if queue is not None else None, tasks_done=facts.progress,
        last_error=failed if verdict.status is AgentStatus.FAILED else "",
        last_update=facts.last_update, interval_s=CAMPAIGN_QUIET_S, log_file=facts.log_file,
        sources=facts.sources,
        details=facts.details + tuple(("Problem", p) for p in facts.problems))


def _busy(summary: AgentSummary, now: float) -> bool:
    """Running: a task is open, or one started or ended within the last two intervals (at
    least a minute); alive but without task activity since then: Idle."""
    if summary.running_tasks:
        return True
    if summary.last_task_ts is None:
        return False
    window = max(60.0, 2 * (summary.interval_s or 0.0))
    return now - summary.last_task_ts <= window


def _rate(done: int | None, failed: int | None) -> float | None:
    if done is None or failed is None or done + failed == 0:
        return None
    return done / (done + failed)


def _clock(seconds: float) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))
