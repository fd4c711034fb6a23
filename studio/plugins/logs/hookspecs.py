r"""Hooks owned by the Logs plugin (declared here, beside the plugin that calls them).

The Logs plugin declares it with ``studio_add_hookspecs`` and collects the contributions with
``studio.plugins.collect`` the first time the Logs service needs its formats (its own built-in
formats come through the same hook). A plugin contributing formats lists ``"logs"`` in its
``OPTIONAL`` (or ``REQUIRES``)::

    from studio.plugins.logs.api import LogFormat, iso_timestamp, matching_fraction

    @hookimpl
    def studio_register_log_formats(register):
        register(LogFormat("vllm", "vLLM server", matching_fraction(r"^INFO \d\d-\d\d "),
                           timestamp=iso_timestamp()))
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

    Fires when the Logs service first needs formats (a log is opened), and for a plugin
    enabled later when it is enabled. Each format says how to
    recognise a kind of log from its first lines (``detect``), which words are its levels
    (``level_tokens`` for the native classifier) and how to read a line's timestamp. Formats are
    stamped with the registering plugin and withdrawn when that plugin is disabled.
    """
