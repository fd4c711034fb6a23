"""Hello Studio: the example third-party plugin of HAFS Studio (see docs/plugins.md).

Importing this package never imports Qt: the studio imports plugin modules in the CLI too, and
``hafs-studio plugins list`` must stay fast. Widgets live in :mod:`hello_studio.widgets` and are
imported by the view and card factories only when the window needs them.
"""

__version__ = "0.1.0"
