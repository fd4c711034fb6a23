"""The Agents views driven with pytest-qt over real agent processes (no sleeps: waitUntil)."""

from __future__ import annotations

import os
import signal

import pytest
from agent_processes import wait_for_events
from PySide6.QtCore import Qt

from studio.plugins.agents.api import AgentStatus, agents_monitor
from studio.shell.api import ViewContext


class _Window:
    def __init__(self) -> None:
        self.shown: list[str] = []

    def show_view(self, view_id: str):
        self.shown.append(view_id)


@pytest.fixture
def live(studio, monkeypatch, tmp_path):
    """The studio's agents, in its private context root (every hafs file below it: the test
    studio's root is explicit, like --context) with a fast refresh."""
    studio.settings.set("agents", "refresh_seconds", 0.2)
    studio.settings.set("agents", "campaign_search", False)  # this machine's other processes
    studio.context.path.mkdir(parents=True, exist_ok=True)
    studio.home_context = studio.context.path
    studio.events = studio.context.path / "metrics" / "agents.jsonl"
    return studio


def _view(qtbot, studio, module: str, cls: str, view_id: str = "agents.table"):
    import importlib

    widget_class = getattr(importlib.import_module(f"studio.plugins.agents.widgets.{module}"), cls)
    view = widget_class(ViewContext(studio=studio, shell=None, window=_Window(),
                                    view_id=view_id))
    qtbot.addWidget(view)
    return view


def _status(view, name: str):
    row = view.model.row_index(name)
    return None if row is None else view.model.rows[row].status


def test_empty_state_says_where_it_looks_and_how_to_report(qtbot, live):
    view = _view(qtbot, live, "table_view", "AgentsTableView")
    qtbot.waitUntil(lambda: view.pages.currentIndex() == 2, timeout=20000)
    text = view.empty.text()
    assert str(live.context.path / "autonomy_daemon" / "daemon_status.json") in text
    assert str(live.home_context / "swarm_status.json") in text
    assert "studio.agent_reporter" in text and "docs/agents.md" in text


def test_loading_is_busy_until_a_read_reports_its_share(qtbot, live):
    from studio.plugins.agents.api import AgentsSnapshot

    view = _view(qtbot, live, "table_view", "AgentsTableView")
    view.pages.setCurrentIndex(0)
    assert (view.loading.minimum(), view.loading.maximum()) == (0, 0)  # busy: nothing counted
    view.show_snapshot(AgentsSnapshot(loading=(25, 100)))
    assert view.loading.maximum() == 100 and view.loading.value() == 25
    view.show_snapshot(AgentsSnapshot(loading=(0, 100)))  # the file was replaced: again
    assert view.loading.maximum() == 0


def test_table_shows_real_agents_goes_stale_and_stop_ends_the_process(qtbot, live, processes,
                                                                      monkeypatch):
    agent = processes.reporter_agent(live.events, "panel-agent", interval=0.3, fail_every=2)
    daemon = processes.hafs_daemon(live.home_context, "training_daemon", interval=0.3)
    wait_for_events(live.events, "panel-agent", "failure")
    view = _view(qtbot, live, "table_view", "AgentsTableView")
    alive = (AgentStatus.RUNNING, AgentStatus.IDLE)
    qtbot.waitUntil(lambda: _status(view, "panel-agent") in alive
                    and _status(view, "training_daemon") in alive, timeout=30000)
    row = view.model.rows[view.model.row_index("panel-agent")]
    assert row.pid == agent.pid and row.failures >= 1
    assert view.pages.currentIndex() == 1 and "running" in view.summary.text()
    texts = [view.model.index(view.model.row_index("panel-agent"), c).data()
             for c in range(view.model.columnCount())]
    assert texts[0] == "panel-agent" and texts[3] == str(agent.pid)

    os.kill(agent.pid, signal.SIGSTOP)
    qtbot.waitUntil(lambda: _status(view, "panel-agent") is AgentStatus.STALE, timeout=30000)
    os.kill(agent.pid, signal.SIGCONT)
    qtbot.waitUntil(lambda: _status(view, "panel-agent") in alive, timeout=30000)

    from studio.plugins.agents.widgets import actions

    assert view.select("training_daemon")
    monkeypatch.setattr(actions, "confirm", lambda *args: False)  # the user says Cancel
    view.buttons["stop"].click()
    assert daemon.poll() is None
    asked = []
    monkeypatch.setattr(actions, "confirm", lambda *args: asked.append(args) or True)
    view.buttons["stop"].click()
    assert "SIGTERM" in asked[0][2] and str(daemon.pid) in asked[0][2]
    qtbot.waitUntil(lambda: daemon.poll() is not None, timeout=30000)
    assert daemon.returncode == 0  # it ran its own clean shutdown
    qtbot.waitUntil(lambda: _status(view, "training_daemon") is AgentStatus.STOPPED,
                    timeout=30000)
    assert not view.buttons["stop"].isEnabled()


def test_details_charts_tasks_and_events_of_the_selected_agent(qtbot, live, processes):
    processes.hafs_daemon(live.context.path, "autonomy_daemon", interval=0.3,
                          fail_task="test_suite")
    processes.reporter_agent(live.events, "charted", interval=0.3, fail_every=3)
    wait_for_events(live.events, "charted", "failure")
    table = _view(qtbot, live, "table_view", "AgentsTableView")
    details = _view(qtbot, live, "details_view", "AgentDetailsView", "agents.details")
    assert details.placeholder.isVisibleTo(details)
    qtbot.waitUntil(lambda: table.select("charted"), timeout=30000)
    qtbot.waitUntil(lambda: details.row is not None and details.row.name == "charted"
                    and details.charts.series is not None, timeout=30000)
    throughput = details.charts.plots["throughput"].getPlotItem().items
    assert throughput and sum(details.charts.series.successes) >= 1
    assert sum(details.charts.series.failures) >= 1
    qtbot.waitUntil(lambda: details.events.rowCount() > 0, timeout=30000)
    assert details.values["PID"].text().isdigit()

    qtbot.waitUntil(lambda: table.select("autonomy_daemon"), timeout=30000)
    qtbot.waitUntil(lambda: details.row is not None and details.row.name == "autonomy_daemon"
                    and details.tasks.rowCount() == 3, timeout=30000)
    names = {details.tasks.item(r, 0).text() for r in range(3)}
    assert names == {"self_heal", "curiosity_explore", "test_suite"}
    assert details.values["Last error"].text() == "test_suite: pytest exited with 2"
    assert "No task events" in details.charts.note.text()


def test_event_stream_filters_queue_swarm_and_cards(qtbot, live, processes):
    (live.home_context / "swarm_status.json").write_text(
        '{"nodes": ["AgentNode(id=\'a\', label=\'Planner\', status=\'complete\')", '
        '{"id": "b", "label": "Writer", "status": "running"}], '
        '"edges": [{"source": "a", "target": "b"}], "active_topic": "t", "start_time": ""}')
    processes.reporter_agent(live.events, "one", interval=0.3, fail_every=2)
    processes.reporter_agent(live.events, "two", interval=0.3)
    processes.hafs_daemon(live.context.path, "autonomy_daemon", interval=0.3)
    wait_for_events(live.events, "one", "failure")
    wait_for_events(live.events, "two", "success")
    events = _view(qtbot, live, "events_view", "AgentEventsView", "agents.events")
    qtbot.waitUntil(lambda: events.agent.findData("two") >= 0 and events.model.rowCount() > 0,
                    timeout=30000)
    events.agent.setCurrentIndex(events.agent.findData("two"))
    assert {events.proxy.index(r, 1).data() for r in range(events.proxy.rowCount())} == {"two"}
    events.agent.setCurrentIndex(0)
    events.kind.setCurrentText("Failures")
    qtbot.waitUntil(lambda: events.proxy.rowCount() > 0, timeout=30000)
    rows = [(events.proxy.index(r, 1).data(), events.proxy.index(r, 2).data())
            for r in range(events.proxy.rowCount())]
    assert set(rows) == {("one", "failure")}
    events.kind.setCurrentText("All events")
    events.text.setText("vanished")
    assert all("vanished" in events.proxy.index(r, 3).data()
               for r in range(events.proxy.rowCount()))

    queue = _view(qtbot, live, "queue_view", "TaskQueueView", "agents.queue")
    qtbot.waitUntil(lambda: queue.table.rowCount() == 2, timeout=30000)
    assert {queue.table.item(r, 0).text() for r in range(2)} == {"autonomy_daemon"}
    assert "autonomy_daemon" in queue.depths.text()

    swarm = _view(qtbot, live, "swarm_view", "SwarmView", "agents.swarm")
    qtbot.waitUntil(lambda: swarm.graph is not None, timeout=30000)
    nodes = [item for item in swarm.scene.items() if item.data(0)]
    assert sorted(item.data(0) for item in nodes) == ["a", "b"]
    assert "Planner" in [n.label for n in swarm.graph.nodes]

    from studio.plugins.agents.widgets.cards import AgentsStatusCard, QueueCard

    card = AgentsStatusCard(ViewContext(studio=live, shell=None, window=_Window(),
                                        view_id="agents.status"))
    qtbot.addWidget(card)
    qtbot.waitUntil(lambda: "running" in card.body.text(), timeout=30000)
    assert "of 3 agents" in card.body.text()
    queue_card = QueueCard(ViewContext(studio=live, shell=None, window=_Window(),
                                       view_id="agents.queue-card"))
    qtbot.addWidget(queue_card)
    qtbot.waitUntil(lambda: "items queued" in queue_card.body.text(), timeout=30000)


def test_alert_reaches_the_status_bar_and_messages(qtbot, live, processes):
    from studio.testing import shown_shell

    agent = processes.reporter_agent(live.events, "watched", interval=0.3)
    wait_for_events(live.events, "watched", "heartbeat")
    with shown_shell(qtbot, live) as shell:
        window = shell.main_window
        window.switch_workspace("agents")
        qtbot.waitUntil(lambda: agents_monitor(live).snapshot.get("watched") is not None
                        and agents_monitor(live).snapshot.get("watched").status.alive,
                        timeout=30000)
        messages = window.show_view("workbench.messages")
        posted = []
        shell.message.connect(lambda text, _ms: posted.append(text))
        os.kill(agent.pid, signal.SIGSTOP)
        qtbot.waitUntil(lambda: any("watched went stale" in text for text in posted),
                        timeout=30000)
        qtbot.waitUntil(lambda: any(
            "watched went stale" in messages.tree.topLevelItem(i).text(2)
            for i in range(messages.tree.topLevelItemCount())), timeout=30000)
        item = next(messages.tree.topLevelItem(i)
                    for i in range(messages.tree.topLevelItemCount())
                    if "watched" in messages.tree.topLevelItem(i).text(2))
        assert item.text(1) == "agent watched"
        os.kill(agent.pid, signal.SIGCONT)


def test_view_ids_and_workspace(live):
    views = live.contributions.views
    for view_id in ("agents.table", "agents.details", "agents.swarm", "agents.events",
                    "agents.queue"):
        assert views[view_id].workspaces == ("agents",)
    assert Qt  # the Qt namespace is importable in this environment


def test_open_log_without_the_logs_plugin_falls_back_cleanly(live, tmp_path):
    """Logs is OPTIONAL: absent (not in this build) or disabled, Open log uses the desktop."""
    from studio.plugins.agents.widgets import actions

    log = tmp_path / "agent.log"
    log.write_text("line\n")
    if "logs" in live.plugins.records:  # built in since issue 11: disable it live
        live.disable_plugin("logs")
    assert "logs" not in live.plugins.records or \
        live.plugins.records["logs"].state.value != "active"
    assert actions._open_in_logs(live, str(log)) is False


def test_a_remote_agents_log_opens_in_logs_over_ssh(live, ssh_host, tmp_path):
    """With the Logs plugin active, a remote agent's log is mirrored from its host (by name
    from sync.toml) and its tab requested, following it."""
    from studio.plugins.agents.widgets import actions
    from studio.plugins.logs.api import logs_service

    remote = live.services.remote
    remote.sync_path.parent.mkdir(parents=True, exist_ok=True)
    remote.sync_path.write_text(ssh_host.sync_path.read_text())
    log = tmp_path / "far-agent.log"
    log.write_text("INFO far-agent started\n")
    assert actions._open_in_logs(live, str(log), ssh_host.name)
    service = logs_service(live)
    [job] = [j for j in live.jobs.jobs() if j.owner == "logs"]
    mirror = job.future.result(timeout=60)
    assert mirror.read_text() == "INFO far-agent started\n"
    assert [(p.path, p.follow) for p in service.take_pending()] == [(str(mirror), True)]
    assert service.remote_label(mirror) == f"{ssh_host.name}:{log}"
