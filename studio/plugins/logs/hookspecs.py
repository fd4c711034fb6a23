"""Hooks owned by the Logs plugin (declared here, beside the plugin that calls them).

Phase 2 of issue 11 wires this through the platform's plugin-owned hooks
(``studio_add_hookspecs``); until then the built-in formats are registered directly and this
module documents the contract a format-contributing plugin will implement.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from studio.api import hookspec

if TYPE_CHECKING:
    from studio.api import Studio
    from studio.plugins.logs.formats import LogFormat


@hookspec
def studio_register_log_formats(register: Callable[[LogFormat], None], studio: Studio) -> None:
    """Register log formats (:class:`studio.plugins.logs.api.LogFormat`) with the Logs plugin.

    Fires once when the Logs plugin starts (``studio_startup``). Each format says how to
    recognise a kind of log from its first lines (``detect``), which words are its levels
    (``level_tokens`` for the native classifier) and how to read a line's timestamp. Formats are
    stamped with the registering plugin and withdrawn when that plugin is disabled.
    """
