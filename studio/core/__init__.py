"""Qt-free core of HAFS Studio: event bus, hooks, plugin manager, commands, settings, jobs.

Nothing in this package may import Qt (an import-linter contract enforces it), so domain code,
the CLI and tests run without a QApplication.
"""
