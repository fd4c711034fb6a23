"""Plugins enabled, disabled and torn down while the window is open; view subscriptions."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication, QLabel, QPushButton

from studio.core.contributions import CommandSpec, DashboardCardSpec, ViewSpec
from studio.core.events import Message
from studio.shell.docks import ViewErrorPanel
from studio.testing import BUILTIN_PLUGINS, make_plugin, shown_shell

pytestmark = pytest.mark.usefixtures("qapp")


def _probe(received: list, threads: list, failures: dict):
    def make_view(context):
        if failures.get("view"):
            failures["view"] -= 1
            raise RuntimeError("view factory exploded")
        label = QLabel("probe")
        label.setObjectName("probe-view")

        def on_ping(event):  # not a QObject method: the subscription follows the view
            received.append(event.name)
            threads.append(QThread.currentThread())

        context.subscribe("probe.ping", on_ping)
        return label

    def register_views(register):
        register(ViewSpec("probe.main", "Probe", make_view, area="right",
                          workspaces=("dashboard",)))
        register(ViewSpec("probe.other", "Probe Other", lambda c: QLabel("other"),
                          area="bottom", workspaces=("dashboard",)))

    def register_commands(register):
        register(CommandSpec("probe.hello", "Probe Hello", lambda: "hi", menu="Tools",
                             toolbar=True))

    def register_cards(register):
        register(DashboardCardSpec("probe.card", "Probe card", lambda c: QLabel("card")))

    return make_plugin("probe", studio_register_views=register_views,
                       studio_register_commands=register_commands,
                       studio_register_dashboard_cards=register_cards)


@pytest.fixture
def probe(qtbot, studio_factory):
    received: list = []
    threads: list = []
    failures: dict = {}
    studio = studio_factory([("probe", _probe(received, threads, failures))],
                            builtins=BUILTIN_PLUGINS)
    with shown_shell(qtbot, studio, (1200, 800)) as shell:
        yield shell, received, threads, failures


def _menu_texts(window, path):
    return [a.text() for a in window._menus[path].actions()]


def test_disable_and_enable_live_removes_and_restores_docks_menus_and_cards(qtbot, probe):
    shell, *_ = probe
    window, studio = shell.main_window, shell.studio
    qtbot.waitUntil(lambda: window.docks["probe.main"].materialized)
    dashboard = window.docks["dashboard.home"].materialize()
    qtbot.waitUntil(lambda: "probe.card" in dashboard.cards)
    assert "Probe Hello" in _menu_texts(window, "Tools")

    toggle = studio.disable_plugin("probe")
    assert toggle.applied
    qtbot.waitUntil(lambda: "probe.main" not in window.docks)
    assert "probe.other" not in window.docks
    assert "Probe Hello" not in _menu_texts(window, "Tools")
    assert "command:probe.hello" not in [a.objectName() for a in window._toolbar.actions()]
    qtbot.waitUntil(lambda: "probe.card" not in dashboard.cards)

    assert studio.enable_plugin("probe").applied
    qtbot.waitUntil(lambda: "probe.main" in window.docks)
    dock = window.docks["probe.main"]
    qtbot.waitUntil(lambda: dock.isVisible() and dock.materialized)  # in this workspace
    assert "Probe Hello" in _menu_texts(window, "Tools")
    qtbot.waitUntil(lambda: "probe.card" in dashboard.cards)
    assert shell.run_command("probe.hello") == "hi"


def test_view_subscriptions_run_on_the_gui_thread_and_end_with_the_view(qtbot, probe):
    shell, received, threads, _ = probe
    window, studio = shell.main_window, shell.studio
    qtbot.waitUntil(lambda: window.docks["probe.main"].materialized)
    (subscription,) = [s for s in studio.bus.subscriptions() if s.pattern == "probe.ping"]
    assert subscription.owner == "probe"
    worker = threading.Thread(target=lambda: studio.bus.publish(Message(name="from-worker"),
                                                                  topic="probe.ping"))
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: received == ["from-worker"])
    assert threads == [QApplication.instance().thread()]
    view = window.docks["probe.main"].view
    with qtbot.waitSignal(view.destroyed):
        view.deleteLater()
    assert not [s for s in studio.bus.subscriptions() if s.pattern == "probe.ping"]


def test_a_failing_view_tears_its_plugin_down_but_keeps_showing_why(qtbot, studio_factory):
    failures = {"view": 1}
    studio = studio_factory([("probe", _probe([], [], failures))], builtins=BUILTIN_PLUGINS)
    with shown_shell(qtbot, studio, (1200, 800)) as shell:
        window = shell.main_window
        dock = window.docks["probe.main"]
        qtbot.waitUntil(lambda: dock.failed)
        assert studio.plugins.records["probe"].state == "errored"
        qtbot.waitUntil(lambda: "probe.other" not in window.docks)  # everything else goes
        assert "probe.hello" not in studio.commands
        assert window.docks["probe.main"] is dock and isinstance(dock.widget(), ViewErrorPanel)

        dock.widget().findChild(QPushButton).click()  # Retry: brings the plugin back
        qtbot.waitUntil(lambda: window.docks.get("probe.main") not in (None, dock))
        fresh = window.docks["probe.main"]
        qtbot.waitUntil(lambda: fresh.materialized)
        assert studio.plugins.records["probe"].state == "active"
        assert "probe.other" in window.docks and "probe.hello" in studio.commands


def test_the_window_paints_from_the_plugin_index_then_the_plugins_arrive(qtbot, studio_home):
    from studio.core.plugin_index import is_placeholder
    from studio.shell.app import StudioShell
    from studio.testing import make_studio

    make_studio(studio_home, builtins=BUILTIN_PLUGINS).shutdown()  # writes the index
    studio = make_studio(studio_home, builtins=BUILTIN_PLUGINS, start=False)
    assert studio.start_first_frame()
    shell = StudioShell(studio, restore_session=False)
    window = shell.start()
    qtbot.addWidget(window)
    docks = dict(window.docks)
    assert is_placeholder(docks["dashboard.home"].spec)  # dock titles before any plugin
    assert docks["dashboard.home"].windowTitle() == "Dashboard"
    window.show()
    qtbot.waitUntil(lambda: studio.started, timeout=10000)  # finished after the first frame
    qtbot.waitUntil(lambda: window.docks["dashboard.home"].materialized, timeout=10000)
    assert window.docks["dashboard.home"] is docks["dashboard.home"]  # same dock, real view
    assert not any(is_placeholder(d.spec) for d in window.docks.values())
    assert "command:workbench.preferences" in [a.objectName() for a in
                                               window._menus["Tools"].actions()]
    assert shell.run_command("workbench.workspace.models") is None
    qtbot.waitUntil(lambda: window.docks["models.list"].materialized, timeout=10000)
    shell.shutdown()
    studio.shutdown()
