"""The public API for plugin authors: everything a plugin needs, importable from one place.

>>> from studio.api import CommandSpec, ViewSpec, hookimpl

Qt-free. Qt helpers for views (``ViewContext``, icons, theme colours) are in
:mod:`studio.shell.api`. Plugins import only these two modules, ``studio`` itself, their own
package and other plugins' ``api`` modules (an import-linter contract checks the built-ins and
the example). The names here are stable; anything else in ``studio.*`` may change between
releases. Cheap names are imported at once; the rest (remote hosts, external tools, the CLI's
job runner) on first use, so importing this module costs a plugin next to nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from studio.core.atomic import (
    NoOutputError,
    OutputBusyError,
    OutputExistsError,
    atomic_write_bytes,
    atomic_write_text,
    atomic_writer,
    backup_bytes,
    backup_file,
    partial_output,
)
from studio.core.commands import CommandContext, CommandError, CommandExecuted, KeybindingsChanged
from studio.core.contributions import (
    FILE_SELECTION,
    WORKSPACES,
    CliCommandSpec,
    CommandSpec,
    DashboardCardSpec,
    SettingField,
    SettingsSectionSpec,
    ThemeSpec,
    ViewSpec,
    WorkspaceSpec,
    validate_identifier,
)
from studio.core.events import Event, EventBus, Message, SubscriberFailed, Subscription
from studio.core.hookspecs import hookimpl, hookspec
from studio.core.jobs import NULL_CONTEXT, Job, JobCancelled, JobContext, JobState, JobUpdated
from studio.core.plugin_hooks import ContributionTable
from studio.core.plugin_records import (
    ContributionsChanged,
    PluginChanged,
    PluginRecord,
    PluginState,
)
from studio.core.selection import Selection, SelectionChanged
from studio.core.services import ServiceUnavailableError
from studio.core.settings import SettingChanged, SettingsError
from studio.core.units import format_age, format_bytes, format_duration, format_rate

if TYPE_CHECKING:  # the lazily imported names below, for linters and editors
    from studio import native
    from studio.cli.progress import run_job
    from studio.core.app import Studio
    from studio.core.context import HAFS_SKELETON, ContextRoot, create_skeleton, hafs_path
    from studio.core.filewatch import FileWatcher, FileWatchError, FolderChange, WatchHandle
    from studio.core.folderwatch import FolderWatch
    from studio.core.managed_process import (
        ManagedProcess,
        ProcessChanged,
        ProcessFailed,
        ProcessResult,
    )
    from studio.core.process import ProcessManager
    from studio.core.process_orphans import OrphanProcess
    from studio.core.remote import (
        HostConfig,
        HostKeyError,
        MountConfig,
        RemoteEntry,
        RemoteError,
        SyncConfig,
        load_sync_config,
        sync_config_path,
    )
    from studio.core.remote_host import RemoteHost
    from studio.core.remote_manager import RemoteManager
    from studio.core.remote_state import Backoff, ConnectionState, RemoteConnectionChanged
    from studio.core.remote_stream import RemoteStream
    from studio.core.remote_transfer import RemoteRead, sha256_file
    from studio.core.themes import ThemeChanged
    from studio.core.tools import (
        ToolRegistry,
        ToolsManifestError,
        ToolSpec,
        ToolStatus,
        load_manifest,
    )
    from studio.core.tools import (
        locate as locate_tool,
    )

__all__ = [
    "FILE_SELECTION",
    "HAFS_SKELETON",
    "NULL_CONTEXT",
    "WORKSPACES",
    "Backoff",
    "CliCommandSpec",
    "CommandContext",
    "CommandError",
    "CommandExecuted",
    "CommandSpec",
    "ConnectionState",
    "ContextRoot",
    "ContributionTable",
    "ContributionsChanged",
    "DashboardCardSpec",
    "Event",
    "EventBus",
    "FileWatchError",
    "FileWatcher",
    "FolderChange",
    "FolderWatch",
    "HostConfig",
    "HostKeyError",
    "Job",
    "JobCancelled",
    "JobContext",
    "JobState",
    "JobUpdated",
    "KeybindingsChanged",
    "ManagedProcess",
    "Message",
    "MountConfig",
    "NoOutputError",
    "OrphanProcess",
    "OutputBusyError",
    "OutputExistsError",
    "PluginChanged",
    "PluginRecord",
    "PluginState",
    "ProcessChanged",
    "ProcessFailed",
    "ProcessManager",
    "ProcessResult",
    "RemoteConnectionChanged",
    "RemoteEntry",
    "RemoteError",
    "RemoteHost",
    "RemoteManager",
    "RemoteRead",
    "RemoteStream",
    "Selection",
    "SelectionChanged",
    "ServiceUnavailableError",
    "SettingChanged",
    "SettingField",
    "SettingsError",
    "SettingsSectionSpec",
    "Studio",
    "SubscriberFailed",
    "Subscription",
    "SyncConfig",
    "ThemeChanged",
    "ThemeSpec",
    "ToolRegistry",
    "ToolSpec",
    "ToolStatus",
    "ToolsManifestError",
    "ViewSpec",
    "WatchHandle",
    "WorkspaceSpec",
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_writer",
    "backup_bytes",
    "backup_file",
    "create_skeleton",
    "format_age",
    "format_bytes",
    "format_duration",
    "format_rate",
    "hafs_path",
    "hookimpl",
    "hookspec",
    "load_manifest",
    "load_sync_config",
    "locate_tool",
    "native",
    "partial_output",
    "run_job",
    "sha256_file",
    "sync_config_path",
    "validate_identifier",
]

# name -> (module, attribute): imported on first use (asyncssh, typer and rich are heavy).
_LAZY = {
    "Studio": ("studio.core.app", "Studio"),
    "ContextRoot": ("studio.core.context", "ContextRoot"),
    "HAFS_SKELETON": ("studio.core.context", "HAFS_SKELETON"),
    "create_skeleton": ("studio.core.context", "create_skeleton"),
    "hafs_path": ("studio.core.context", "hafs_path"),
    "FileWatcher": ("studio.core.filewatch", "FileWatcher"),
    "WatchHandle": ("studio.core.filewatch", "WatchHandle"),
    "ThemeChanged": ("studio.core.themes", "ThemeChanged"),
    "RemoteError": ("studio.core.remote", "RemoteError"),
    "HostKeyError": ("studio.core.remote", "HostKeyError"),
    "HostConfig": ("studio.core.remote", "HostConfig"),
    "MountConfig": ("studio.core.remote", "MountConfig"),
    "RemoteEntry": ("studio.core.remote", "RemoteEntry"),
    "RemoteHost": ("studio.core.remote_host", "RemoteHost"),
    "sha256_file": ("studio.core.remote_transfer", "sha256_file"),
    # Listed in PLATFORM_API.md for studio.api, missing until issue 10 needed them:
    "Backoff": ("studio.core.remote_state", "Backoff"),
    "RemoteStream": ("studio.core.remote_stream", "RemoteStream"),
    "FolderWatch": ("studio.core.folderwatch", "FolderWatch"),
    "SyncConfig": ("studio.core.remote", "SyncConfig"),
    "load_sync_config": ("studio.core.remote", "load_sync_config"),
    "sync_config_path": ("studio.core.remote", "sync_config_path"),
    "ToolSpec": ("studio.core.tools", "ToolSpec"),
    "ToolStatus": ("studio.core.tools", "ToolStatus"),
    "ToolsManifestError": ("studio.core.tools", "ToolsManifestError"),
    "load_manifest": ("studio.core.tools", "load_manifest"),
    "locate_tool": ("studio.core.tools", "locate"),
    "ProcessManager": ("studio.core.process", "ProcessManager"),
    "ManagedProcess": ("studio.core.managed_process", "ManagedProcess"),
    "ProcessFailed": ("studio.core.managed_process", "ProcessFailed"),
    "ProcessResult": ("studio.core.managed_process", "ProcessResult"),
    "ProcessChanged": ("studio.core.managed_process", "ProcessChanged"),
    "OrphanProcess": ("studio.core.process_orphans", "OrphanProcess"),
    "RemoteManager": ("studio.core.remote_manager", "RemoteManager"),
    "ConnectionState": ("studio.core.remote_state", "ConnectionState"),
    "RemoteConnectionChanged": ("studio.core.remote_state", "RemoteConnectionChanged"),
    "RemoteRead": ("studio.core.remote_transfer", "RemoteRead"),
    "ToolRegistry": ("studio.core.tools", "ToolRegistry"),
    "FileWatchError": ("studio.core.filewatch", "FileWatchError"),
    "FolderChange": ("studio.core.filewatch", "FolderChange"),
    "run_job": ("studio.cli.progress", "run_job"),
    "native": ("studio.native", ""),  # the module: the native kernels' typed facade
}


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(target[0])
    value = getattr(module, target[1]) if target[1] else module
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
