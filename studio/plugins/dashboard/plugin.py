"""Registers the Dashboard view and the foundation's own cards (context, plugins, start)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from studio import hookimpl
from studio.api import DashboardCardSpec, ViewSpec


@hookimpl
def studio_register_views(register: Callable[[ViewSpec], None]) -> None:
    register(
        ViewSpec(
            "dashboard.home",
            "Dashboard",
            _dashboard,
            "mdi6.view-dashboard-outline",
            "left",
            ("dashboard",),
            "Cards from every plugin; the welcome page on first run",
        )
    )


@hookimpl
def studio_register_dashboard_cards(register: Callable[[DashboardCardSpec], None]) -> None:
    register(DashboardCardSpec("dashboard.context", "Context root", _context_card, order=10))
    register(DashboardCardSpec("dashboard.plugins", "Plugins", _plugins_card, order=20))
    register(DashboardCardSpec("dashboard.start", "Get started", _start_card, order=30))


def _dashboard(context: Any) -> Any:
    from studio.plugins.dashboard.widgets.dashboard import DashboardView

    return DashboardView(context)


def _context_card(context: Any) -> Any:
    from studio.plugins.dashboard.widgets.cards import ContextCard

    return ContextCard(context)


def _plugins_card(context: Any) -> Any:
    from studio.plugins.dashboard.widgets.cards import PluginsCard

    return PluginsCard(context)


def _start_card(context: Any) -> Any:
    from studio.plugins.dashboard.widgets.cards import StartCard

    return StartCard(context)
