"""The Logs plugin: every training, server and agent log, readable at any size.

Qt-free domain modules (``source``, ``index``, ``document``, ``render``, ``formats``,
``search``, ``follow``, ``stores``, ``service``, ``grep``) hold the logic; ``widgets/`` hold the
Qt views; ``plugin.py`` is the glue; ``api.py`` is what other plugins may import.
See docs/logs.md.
"""
