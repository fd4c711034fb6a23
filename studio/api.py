"""The public API for plugin authors: everything a plugin needs, importable from one place.

>>> from studio import hookimpl
>>> from studio.api import CommandSpec, ViewSpec

The names here are stable; anything else in ``studio.*`` may change between releases.
"""

from studio.core.contributions import (
    WORKSPACES,
    CliCommandSpec,
    CommandSpec,
    DashboardCardSpec,
    SettingField,
    SettingsSectionSpec,
    ThemeSpec,
    ViewSpec,
    WorkspaceSpec,
)
from studio.core.events import Event, EventBus, Message, SubscriberFailed
from studio.core.hookspecs import hookimpl
from studio.core.jobs import NULL_CONTEXT, JobCancelled, JobContext
from studio.core.settings import SettingChanged

__all__ = [
    "NULL_CONTEXT",
    "WORKSPACES",
    "CliCommandSpec",
    "CommandSpec",
    "DashboardCardSpec",
    "Event",
    "EventBus",
    "JobCancelled",
    "JobContext",
    "Message",
    "SettingChanged",
    "SettingField",
    "SettingsSectionSpec",
    "SubscriberFailed",
    "ThemeSpec",
    "ViewSpec",
    "WorkspaceSpec",
    "hookimpl",
]
