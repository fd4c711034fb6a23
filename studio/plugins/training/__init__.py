"""Training plugin: live local and remote runs, loss curves, GPU telemetry, ETA, stop.

Everything in this package except ``plugin.py`` and ``widgets/`` is Qt-free, so the CLI, the
panel and the tests drive the same readers, discovery and status rules
(see :mod:`studio.plugins.training.api`).
"""
