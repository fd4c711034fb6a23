"""Hooks owned by the Training plugin (registered with ``studio_add_hookspecs`` once the
platform's plugin-owned hooks land; until then the monitor's registry has the built-ins).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from studio.core.hookspecs import hookspec

if TYPE_CHECKING:
    from studio.core.app import Studio
    from studio.plugins.training.readers.base import MetricReaderSpec


@hookspec
def studio_register_metric_readers(register: Callable[[MetricReaderSpec], None],
                                   studio: Studio) -> None:
    """Add metric reader kinds to the Training monitor (fires at ``studio_startup``).

    ``register(MetricReaderSpec(id, title, locate, open, priority))``: ``locate(folder)``
    lists the targets of your format in a run folder, ``open(target)`` returns a reader whose
    ``read()`` returns a :class:`~studio.plugins.training.readers.base.ReadResult` with only
    what is new since the last call (see ``readers/base.py``). Ids are ``<plugin>.<format>``.
    """
