"""The Context plugin: browse context folders, edit text, view binary files, answer expert Q&A.

Domain modules here are Qt-free (an import-linter contract checks it); the Qt views live in
``widgets/``; ``plugin.py`` holds the hooks; ``api.py`` is what other plugins may call.
"""
