"""Hooks the Training plugin offers to other plugins (declared through ``studio_add_hookspecs``).

Implement them in your plugin's ``plugin.py`` and list ``"training"`` in your ``OPTIONAL``::

    OPTIONAL = ("training",)

    @hookimpl
    def studio_register_metric_readers(register):
        register(MetricReaderSpec("myplugin.wandb", "W&B offline runs", locate, open, 35))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from studio.api import hookspec

if TYPE_CHECKING:
    from studio.api import Studio
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
