"""The Logs plugin's public API: what other plugins (training, deploy, agents) may call.

>>> from studio.plugins.logs.api import open_log
>>> open_log(studio, run.log_file, follow=True)        # a training run's live log
>>> open_log(studio, "/var/log/llama-server.log", line=120)
>>> open_remote_log(studio, "medical-mechanica", "/home/me/train/run.log")   # over SSH

Declare ``OPTIONAL = ("logs",)`` (or ``REQUIRES``) in your plugin. Everything here is Qt-free.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from studio.plugins.logs.formats import Level, LogFormat, iso_timestamp, matching_fraction

if TYPE_CHECKING:
    from studio.api import Job, RemoteHost, Studio
    from studio.plugins.logs.service import LogsService

__all__ = [
    "SERVICE",
    "Level",
    "LogFormat",
    "iso_timestamp",
    "logs_service",
    "matching_fraction",
    "open_log",
    "open_remote_log",
]

SERVICE = "logs"


def logs_service(studio: Studio) -> LogsService:
    """The studio's Logs service (formats, bookmarks, recent files).

    Raises ``KeyError`` (``ServiceUnavailableError``) naming the plugin when Logs is not active.
    """
    return studio.services.get(SERVICE)


def open_log(studio: Studio, path: str | os.PathLike[str], line: int | None = None, *,
             follow: bool = False) -> None:
    """Show ``path`` in the Logs workspace: a new tab, or the tab already showing it.

    ``line`` is 1-based, as users see line numbers (an error message's ``file:line``);
    ``follow`` keeps the view at the end while the file grows (``tail -F``). The GUI switches
    to the Logs workspace; without a GUI (the CLI) the request is kept until a Logs view opens.
    """
    if line is not None and line < 1:
        raise ValueError(f"line numbers start at 1, got {line}")
    logs_service(studio).request_open(path, None if line is None else line - 1, follow)


def open_remote_log(studio: Studio, host: str | RemoteHost, remote_path: str, *,
                    line: int | None = None, follow: bool = True) -> Job | None:
    """Show a log that lives on an SSH host (a training node, a deployment's server).

    ``host`` is a host name from sync.toml / nodes.toml (or a ``RemoteHost`` from
    ``studio.services.remote``). The file is mirrored into the studio's cache over the host's
    one shared connection (host keys verified, never auto-accepted) and followed over one
    long-lived channel while its tab is open. Returns the job copying what the file holds now
    (progress, cancel; it fails with a message naming host and path), or None when that log is
    already open and followed. ``line`` is 1-based, as in :func:`open_log`. Never blocks on
    the network: call it from any thread.
    """
    if line is not None and line < 1:
        raise ValueError(f"line numbers start at 1, got {line}")
    return logs_service(studio).open_remote(host, remote_path, follow=follow,
                                            line=None if line is None else line - 1)
