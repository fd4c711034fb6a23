"""Models plugin: the hafs model registry, HF → GGUF conversion, quantization, GGUF inspection.

Everything in this package except ``plugin.py`` and ``widgets/`` is Qt-free, so the CLI and the
panel call the same functions (see :mod:`studio.plugins.models.api`).
"""
